import type { TraceSession } from "./session.ts";
import { literal, quote } from "./tables.ts";
import type { TailWindow } from "./tail.ts";

/** A column of an exported table; `time` columns hold epoch ms and are written as timestamps. */
export interface ExportColumn {
  name: string;
  type: "VARCHAR" | "BIGINT" | "INTEGER" | "DOUBLE" | "BOOLEAN";
  time?: boolean;
}

/** One table of the per-serial record, long/tidy and keyed by serial. */
export interface ExportTable {
  name: string;
  columns: readonly ExportColumn[];
  /** Sort order of the exported file. */
  order: readonly string[];
}

const v = (name: string): ExportColumn => ({ name, type: "VARCHAR" });
const d = (name: string): ExportColumn => ({ name, type: "DOUBLE" });
const t = (name: string): ExportColumn => ({ name, type: "BIGINT", time: true });
const i = (name: string): ExportColumn => ({ name, type: "INTEGER" });
const b = (name: string): ExportColumn => ({ name, type: "BOOLEAN" });
const ORIGIN = [v("site"), v("line"), v("station")];

/** The tables of the record, in export order. */
export const EXPORT_TABLES: readonly ExportTable[] = [
  {
    name: "visits",
    columns: [
      v("serial"),
      i("visit"),
      ...ORIGIN,
      v("product"),
      v("panel"),
      t("start"),
      t("complete"),
      v("result"),
      v("status"),
    ],
    order: ["serial", "visit"],
  },
  {
    name: "signals",
    columns: [
      v("serial"),
      i("visit"),
      v("measurement"),
      ...ORIGIN,
      v("sample_serial"),
      t("ts"),
      v("field"),
      d("value"),
    ],
    order: ["serial", "visit", "measurement", "ts", "field"],
  },
  {
    name: "environment",
    columns: [
      v("serial"),
      i("visit"),
      v("measurement"),
      ...ORIGIN,
      t("ts"),
      v("field"),
      d("value"),
    ],
    order: ["serial", "visit", "measurement", "line", "station", "ts", "field"],
  },
  {
    name: "events",
    columns: [v("serial"), i("visit"), ...ORIGIN, t("ts"), v("kind"), v("code"), v("message")],
    order: ["serial", "visit", "ts", "kind", "code"],
  },
  {
    name: "spi",
    columns: [
      v("serial"),
      ...ORIGIN,
      t("ts"),
      v("product"),
      v("result"),
      { name: "pad_count", type: "BIGINT" },
      d("volume_pct_mean"),
      d("volume_pct_min"),
      d("volume_pct_max"),
    ],
    order: ["serial", "ts"],
  },
  {
    name: "spi_pads",
    columns: [
      v("serial"),
      ...ORIGIN,
      t("ts"),
      v("ref"),
      d("volume_pct"),
      d("height_um"),
      d("area_pct"),
      d("offset_x_um"),
      d("offset_y_um"),
    ],
    order: ["serial", "ts", "ref"],
  },
  {
    name: "tests",
    columns: [
      v("serial"),
      ...ORIGIN,
      t("ts"),
      v("kind"),
      v("result"),
      v("program"),
      { name: "defect_count", type: "BIGINT" },
      v("firmware_version"),
      v("firmware_checksum"),
      v("firmware_mac"),
      v("firmware_license"),
    ],
    order: ["serial", "ts", "kind"],
  },
  {
    name: "test_measurements",
    columns: [
      v("serial"),
      ...ORIGIN,
      t("ts"),
      v("kind"),
      v("name"),
      d("value"),
      d("low"),
      d("high"),
      v("unit"),
      b("pass"),
    ],
    order: ["serial", "ts", "kind", "name"],
  },
  {
    name: "test_defects",
    columns: [
      v("serial"),
      ...ORIGIN,
      t("ts"),
      v("kind"),
      v("code"),
      v("ref"),
      { name: "count", type: "BIGINT" },
    ],
    order: ["serial", "ts", "kind", "code", "ref"],
  },
  {
    name: "materials",
    columns: [
      v("serial"),
      ...ORIGIN,
      t("ts"),
      v("ref"),
      v("part"),
      v("lot"),
      v("supplier"),
      v("date_code"),
      v("reel"),
    ],
    order: ["serial", "ref", "ts"],
  },
  {
    name: "containers",
    columns: [
      v("serial"),
      i("level"),
      v("kind"),
      v("container"),
      v("holds"),
      ...ORIGIN,
      t("ts"),
      v("destination"),
    ],
    order: ["serial", "level", "ts", "container"],
  },
  {
    name: "levels",
    columns: [
      v("serial"),
      v("product"),
      i("process_level"),
      i("material_level"),
      b("p1"),
      b("p2"),
      b("p3"),
      b("p4"),
      b("m1"),
      b("m2"),
      b("m3"),
      b("m4"),
    ],
    order: ["serial"],
  },
  {
    name: "gaps",
    columns: [v("serial"), v("level"), v("kind"), ...ORIGIN, t("from"), t("to"), v("detail")],
    order: ["serial", "level", "kind", "from"],
  },
];

export type ExportTableName =
  | "visits"
  | "signals"
  | "environment"
  | "events"
  | "spi"
  | "spi_pads"
  | "tests"
  | "test_measurements"
  | "test_defects"
  | "materials"
  | "containers"
  | "levels"
  | "gaps";

export const EXPORT_TABLE_NAMES = EXPORT_TABLES.map((table) => table.name) as ExportTableName[];

/** The session's table holding staged rows of one record table. */
export function stagedTable(name: string): string {
  return quote(`x_${name}`);
}

const BUCKET_MS = 60_000;
const DAY_MS = 86_400_000;

/** Creates the staging tables (once per session) and empties them. */
export async function resetStage(session: TraceSession): Promise<void> {
  // One round trip: a session's first batch creates the tables, later ones only empty them.
  const statements = [
    "CREATE TEMP TABLE IF NOT EXISTS batch_serial (serial VARCHAR PRIMARY KEY)",
    // Samples per visit and measurement ('' = the environment), what completeness judges by.
    "CREATE TEMP TABLE IF NOT EXISTS x_signal_count (serial VARCHAR, visit INTEGER, measurement VARCHAR, n BIGINT)",
    ...EXPORT_TABLES.map(
      (table) =>
        `CREATE TEMP TABLE IF NOT EXISTS ${stagedTable(table.name)} (${table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(", ")})`,
    ),
  ];
  await session.run(`${statements.join(";\n")};\n${emptyStage()}`);
}

function emptyStage(): string {
  return ["batch_serial", "x_signal_count", ...EXPORT_TABLES.map((t) => `x_${t.name}`)]
    .map((t) => `DELETE FROM ${quote(t)};`)
    .join("\n");
}

/** Empties the staged rows of the current batch's serials' tables (the JSON writer's way to move on). */
export async function clearStage(session: TraceSession): Promise<void> {
  await session.run(emptyStage());
}

interface Span {
  from: number;
  to: number;
}

/**
 * Stages the record of a batch of serials (every table but `levels` and `gaps`, which the
 * completeness assessment adds): reads InfluxDB's tail for them first, so that the views hold
 * everything. Returns the time span of the batch's visits (undefined when none has one).
 */
export async function stageBatch(
  session: TraceSession,
  serials: readonly string[],
  mode: StageMode = "record",
): Promise<Span | undefined> {
  await fillBatch(session, serials);
  await session.tail.serials(serials);
  await stageVisits(session);
  const span = await visitSpan(session);
  if (span) {
    await session.tail.windows(await tailWindows(session, span));
    await session.tail.measurement(
      session.options.ingestMeasurement,
      span.from - LOOKAROUND_MS,
      span.to + LOOKAROUND_MS,
    );
    await stageWindows(session, span, mode);
  }
  await stageUnitRecords(session, mode, span);
  if (mode === "record") {
    await session.tail.measurement("pack", span?.from, undefined);
    await stageContainers(session, span, serials.length);
  }
  return span;
}

/**
 * `record`: every row of the record. `assess`: what the completeness judgement needs, with the
 * signals of each visit counted rather than copied (for judging many units of a product).
 */
export type StageMode = "record" | "assess";

/** Stages only what genealogy needs of a batch: visits, placements, containers. */
export async function stageGenealogy(
  session: TraceSession,
  serials: readonly string[],
): Promise<Span | undefined> {
  await fillBatch(session, serials);
  await session.tail.serials(serials);
  await stageVisits(session);
  const span = await visitSpan(session);
  await session.tail.measurement("pack", span?.from, undefined);
  const slack = session.options.recordSlackMs;
  const window = span === undefined ? undefined : { from: span.from - slack, to: span.to + slack };
  await session.run(
    `INSERT INTO x_materials SELECT serial, site, line, station, ts, ref, part, lot, supplier, date_code, reel FROM ${session.from("placement", window)} WHERE serial IN (SELECT serial FROM batch_serial)`,
  );
  await stageContainers(session, span, serials.length);
  return span;
}

async function fillBatch(session: TraceSession, serials: readonly string[]): Promise<void> {
  await session.run("DELETE FROM batch_serial");
  const insert = await session.connection.createAppender("batch_serial", "main", "temp");
  try {
    for (const serial of new Set(serials)) {
      insert.appendVarchar(serial);
      insert.endRow();
    }
    insert.flushSync();
  } finally {
    insert.closeSync();
  }
}

async function visitSpan(session: TraceSession): Promise<Span | undefined> {
  const [row] = await session.all<{ from: number | null; to: number | null }>(
    `SELECT min(coalesce(start, complete)) AS "from", max(coalesce(complete, start)) AS "to" FROM x_visits WHERE serial IN (SELECT serial FROM batch_serial)`,
  );
  return row?.from == null || row.to == null ? undefined : { from: row.from, to: row.to };
}

async function stageVisits(session: TraceSession): Promise<void> {
  await session.run(`INSERT INTO x_visits
WITH e AS (
  SELECT serial, site, line, station, event, product, result, panel, ts FROM ${session.from("unit_event")}
  WHERE serial IN (SELECT serial FROM batch_serial) AND event IN ('start', 'complete')
), edge AS (
  SELECT *, lead(event) OVER w AS next_event, lead(ts) OVER w AS next_ts,
    lead(result) OVER w AS next_result, lead(product) OVER w AS next_product,
    lead(panel) OVER w AS next_panel, lag(event) OVER w AS previous_event
  FROM e WINDOW w AS (PARTITION BY serial, site, line, station ORDER BY ts, event DESC)
), v AS (
  SELECT serial, site, line, station,
    coalesce(product, CASE WHEN next_event = 'complete' THEN next_product END) AS product,
    coalesce(panel, CASE WHEN next_event = 'complete' THEN next_panel END) AS panel,
    ts AS start, CASE WHEN next_event = 'complete' THEN next_ts END AS complete,
    CASE WHEN next_event = 'complete' THEN next_result END AS result,
    CASE WHEN next_event = 'complete' THEN 'complete' ELSE 'open' END AS status
  FROM edge WHERE event = 'start'
  UNION ALL
  SELECT serial, site, line, station, product, panel, NULL, ts, result, 'no_start'
  FROM edge WHERE event = 'complete' AND (previous_event IS NULL OR previous_event <> 'start')
)
SELECT serial, CAST(row_number() OVER (PARTITION BY serial ORDER BY coalesce(start, complete), station, line) AS INTEGER),
  site, line, station, product, panel, start, complete, result, status
FROM v`);
}

/**
 * The InfluxDB windows a batch needs: each visited station, and its line's environment, over the
 * batch's span and the minutes around it (one window per place: the tail merges them anyway).
 */
async function tailWindows(session: TraceSession, span: Span): Promise<TailWindow[]> {
  const stations = await session.all<{ site: string; line: string; station: string }>(
    `SELECT DISTINCT site, line, station FROM x_visits
     WHERE serial IN (SELECT serial FROM batch_serial) AND start IS NOT NULL AND complete IS NOT NULL`,
  );
  const { environmentMeasurements, siteLines } = session.options;
  const from = span.from - LOOKAROUND_MS;
  const to = span.to + LOOKAROUND_MS;
  const windows: TailWindow[] = [];
  for (const v of stations) {
    windows.push({
      site: v.site,
      lines: [v.line],
      station: v.station,
      measurements: undefined,
      from,
      to,
    });
  }
  for (const key of new Set(stations.map((v) => JSON.stringify([v.site, v.line])))) {
    const [site, line] = JSON.parse(key) as [string, string];
    windows.push({
      site,
      lines: [...new Set([line, ...siteLines])],
      station: undefined,
      measurements: environmentMeasurements,
      from,
      to,
    });
  }
  return windows;
}

function inList(values: readonly string[]): string {
  return values.length === 0 ? "(NULL)" : `(${values.map(literal).join(", ")})`;
}

/** How far around a batch's visits signals are read, for their usual interval and gaps, ms. */
export const LOOKAROUND_MS = 5 * 60_000;

/**
 * One read of `signal` for the whole batch — its lines' and halls' signals and the ingestor's
 * self-metrics from `LOOKAROUND_MS` before its first visit to as long after its last — into
 * `x_window`; each visit's signals and environment, their counts, and (in completeness) the
 * streams' usual intervals and gaps are taken from there.
 */
async function stageWindows(session: TraceSession, span: Span, mode: StageMode): Promise<void> {
  const { environmentMeasurements, siteLines, ingestMeasurement } = session.options;
  const env = inList(environmentMeasurements);
  const lines = await session.all<{ site: string; line: string }>(
    "SELECT DISTINCT site, line FROM x_visits WHERE serial IN (SELECT serial FROM batch_serial)",
  );
  const sites = [...new Set(lines.map((l) => l.site))];
  const scope = [
    ...lines.map((l) => `(site = ${literal(l.site)} AND line = ${literal(l.line)})`),
    ...(siteLines.length > 0
      ? sites.map((site) => `(site = ${literal(site)} AND line IN ${inList(siteLines)})`)
      : []),
    `measurement = ${literal(ingestMeasurement)}`,
  ].join(" OR ");
  const around = { from: span.from - LOOKAROUND_MS, to: span.to + LOOKAROUND_MS };
  await session.run(
    `CREATE OR REPLACE TEMP TABLE x_window AS
     SELECT measurement, site, line, station, serial, field, value, ts FROM ${session.from("signal", around)}
     WHERE (${scope}) AND (serial IS NULL OR serial IN (SELECT serial FROM batch_serial))`,
  );
  const visitBuckets = `SELECT serial, visit, site, line, station, start, complete,
      unnest(range(start // ${BUCKET_MS}, complete // ${BUCKET_MS} + 1)) AS bucket
    FROM x_visits WHERE serial IN (SELECT serial FROM batch_serial) AND start IS NOT NULL AND complete IS NOT NULL`;
  // Equality on the minute bucket keeps the join a hash join: a signal sample meets only the few
  // visits of its station that cover its minute (an oven holds a dozen boards at once).
  const signals = `WITH vb AS (${visitBuckets}),
s AS (SELECT * FROM x_window WHERE measurement NOT IN ${env} AND station IS NOT NULL)`;
  const signalJoin = `FROM s JOIN vb ON s.site = vb.site AND s.line = vb.line AND s.station = vb.station AND s.ts // ${BUCKET_MS} = vb.bucket
WHERE s.ts BETWEEN vb.start AND vb.complete AND (s.serial IS NULL OR s.serial = vb.serial)`;
  const environment = `WITH vb AS (${visitBuckets}),
e AS (SELECT * FROM x_window WHERE measurement IN ${env} AND serial IS NULL),
matched AS (
  SELECT vb.serial, vb.visit, e.measurement, e.site, e.line, e.station, e.ts, e.field, e.value
  FROM e JOIN vb ON e.site = vb.site AND e.line = vb.line AND e.ts // ${BUCKET_MS} = vb.bucket
  WHERE e.ts BETWEEN vb.start AND vb.complete
  UNION ALL
  SELECT vb.serial, vb.visit, e.measurement, e.site, e.line, e.station, e.ts, e.field, e.value
  FROM e JOIN vb ON e.site = vb.site AND e.ts // ${BUCKET_MS} = vb.bucket
  WHERE e.line IN ${inList(siteLines)} AND e.line <> vb.line AND e.ts BETWEEN vb.start AND vb.complete
)`;
  if (mode === "record") {
    await session.run(
      `INSERT INTO x_signals ${signals}
SELECT vb.serial, vb.visit, s.measurement, s.site, s.line, s.station, s.serial, s.ts, s.field, s.value ${signalJoin};
INSERT INTO x_environment ${environment} SELECT * FROM matched;
INSERT INTO x_signal_count SELECT serial, visit, measurement, count(DISTINCT ts) FROM x_signals
  WHERE serial IN (SELECT serial FROM batch_serial) GROUP BY ALL
  UNION ALL SELECT serial, visit, '', count(*) FROM x_environment WHERE serial IN (SELECT serial FROM batch_serial) GROUP BY ALL;`,
    );
  } else {
    await session.run(
      `INSERT INTO x_signal_count ${signals}
SELECT vb.serial, vb.visit, s.measurement, count(DISTINCT s.ts) ${signalJoin} GROUP BY ALL;
INSERT INTO x_signal_count ${environment} SELECT serial, visit, '', count(*) FROM matched GROUP BY ALL;`,
    );
  }
  await session.run(
    `INSERT INTO x_events
SELECT v.serial, v.visit, ev.site, ev.line, ev.station, ev.ts, ev.kind, ev.code, ev.message
FROM ${session.from("station_event", span)} ev
JOIN x_visits v ON ev.site = v.site AND ev.line = v.line AND ev.station = v.station AND ev.ts BETWEEN v.start AND v.complete
WHERE v.serial IN (SELECT serial FROM batch_serial)`,
  );
}

/** The time span of a staged table's rows of the batch: where their pads / measurements are. */
async function stagedSpan(session: TraceSession, table: string): Promise<Span | undefined> {
  const [row] = await session.all<{ lo: number | null; hi: number | null }>(
    `SELECT min(ts) AS lo, max(ts) AS hi FROM ${stagedTable(table)} WHERE serial IN (SELECT serial FROM batch_serial)`,
  );
  if (row?.lo == null || row.hi == null) return undefined;
  return { from: row.lo, to: row.hi };
}

/**
 * A unit's inspections, tests and placements happen while it is on the line: they are read within
 * its visits' span widened by `recordSlackMs`, not across all history (a retest days later comes
 * with its own visit). A batch whose serials have no visit at all is read everywhere.
 */
async function stageUnitRecords(
  session: TraceSession,
  mode: StageMode,
  span: Span | undefined,
): Promise<void> {
  const mine = "serial IN (SELECT serial FROM batch_serial)";
  const slack = session.options.recordSlackMs;
  const window = span === undefined ? undefined : { from: span.from - slack, to: span.to + slack };
  await session.run(
    `INSERT INTO x_spi SELECT serial, site, line, station, ts, product, result, pad_count, volume_pct_mean, volume_pct_min, volume_pct_max FROM ${session.from("spi_board", window)} WHERE ${mine};
     INSERT INTO x_tests SELECT serial, site, line, station, ts, kind, result, program, defect_count, firmware_version, firmware_checksum, firmware_mac, firmware_license FROM ${session.from("test_result", window)} WHERE ${mine};
     INSERT INTO x_materials SELECT serial, site, line, station, ts, ref, part, lot, supplier, date_code, reel FROM ${session.from("placement", window)} WHERE ${mine};`,
  );
  if (mode === "assess") return;
  // Pads and test measurements carry their board's / test's timestamp (the contract): the time
  // span of those rows is all there is to read.
  const spi = await stagedSpan(session, "spi");
  if (spi)
    await session.run(
      `INSERT INTO x_spi_pads SELECT serial, site, line, station, ts, ref, volume_pct, height_um, area_pct, offset_x_um, offset_y_um
       FROM ${session.from("spi_pad", spi)} WHERE ${mine}`,
    );
  const tests = await stagedSpan(session, "tests");
  if (tests)
    await session.run(
      `INSERT INTO x_test_measurements SELECT serial, site, line, station, ts, kind, name, value, low, high, unit, pass
       FROM ${session.from("test_measurement", tests)} WHERE ${mine};
       INSERT INTO x_test_defects SELECT serial, site, line, station, ts, kind, code, ref, count
       FROM ${session.from("test_defect", tests)} WHERE ${mine};`,
    );
}

/**
 * Containers holding each serial, box then pallet then shipment, as the `pack` records nest them.
 * `packs` is the pack rows to read (a table or a windowed source); a box is unnested only when its
 * JSON text names one of the seed serials.
 */
export function containerChainSql(seed: string, packs: string, few: boolean): string {
  // For a few serials, a text search skips parsing every box; for many, parsing every box once wins.
  const named = few
    ? ` AND EXISTS (SELECT 1 FROM (${seed}) s(serial) WHERE contains(p.serials, '"' || s.serial || '"'))`
    : "";
  return `WITH RECURSIVE p AS (
  SELECT kind, container, site, line, station, destination, ts, serials, containers FROM ${packs}
), members AS (
  SELECT p.*, unnest(from_json(p.serials, '["VARCHAR"]')) AS member FROM p WHERE p.serials IS NOT NULL${named}
), nested AS (
  SELECT p.*, unnest(from_json(p.containers, '["VARCHAR"]')) AS member FROM p WHERE p.containers IS NOT NULL
), chain(serial, level, kind, container, holds, site, line, station, ts, destination) AS (
  SELECT m.member, 1, m.kind, m.container, m.member, m.site, m.line, m.station, m.ts, m.destination
  FROM members m WHERE m.member IN (${seed})
  UNION
  SELECT c.serial, c.level + 1, n.kind, n.container, c.container, n.site, n.line, n.station, n.ts, n.destination
  FROM chain c JOIN nested n ON n.member = c.container WHERE c.level < 8
)
SELECT serial, CAST(level AS INTEGER) AS level, kind, container, holds, site, line, station, ts, destination FROM chain`;
}

/** Up to this many serials, boxes are searched by text before being parsed. */
export const FEW_SERIALS = 50;

async function stageContainers(
  session: TraceSession,
  span: Span | undefined,
  serials: number,
): Promise<void> {
  await session.run(
    `INSERT INTO x_containers ${containerChainSql("SELECT serial FROM batch_serial", packsSince(session, span?.from), serials <= FEW_SERIALS)}`,
  );
}

/** Pack rows from a day before `since` on (a unit is packed after its first visit); all without it. */
export function packsSince(session: TraceSession, since: number | undefined): string {
  if (since === undefined) return session.from("pack");
  const from = Math.floor(since) - DAY_MS;
  return session.from("pack", { from, to: Math.max(from, session.options.now()) + 366 * DAY_MS });
}
