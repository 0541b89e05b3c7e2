import type { DuckDBAppender } from "@duckdb/node-api";
import type { TraceSession } from "./session.ts";
import { literal } from "./tables.ts";
import type { Completeness, Gap, MaterialLevel, ProcessLevel } from "./types.ts";

const DAY_MS = 86_400_000;
/** How far around a batch's visits streams are read to learn their usual interval, ms. */
/** How far around a batch's visits the product's route and bill of materials are learned, ms. */
const NEIGHBOURHOOD_MS = 30 * 60_000;
const HOUR_MS = 3_600_000;

const PROCESS: readonly ProcessLevel[] = ["P1", "P2", "P3", "P4"];
const MATERIAL: readonly MaterialLevel[] = ["M1", "M2", "M3", "M4"];

interface StagedVisit {
  serial: string;
  visit: number;
  site: string;
  line: string;
  station: string;
  product: string | null;
  start: number | null;
  complete: number | null;
  status: "complete" | "open" | "no_start";
}

interface Stream {
  site: string | null;
  line: string | null;
  station: string | null;
  measurement: string;
  usual: number;
}

interface StreamGap extends Stream {
  from: number;
  to: number;
}

interface Span {
  from: number;
  to: number;
}

/**
 * Judges the staged batch against IPC-1782: which P and M levels each serial's data supports and
 * the gaps that hold the others back. Writes `levels` and `gaps` to the stage and returns them by
 * serial. Judged against the batch's neighbourhood: the product's route (stations most of its
 * units visit), its bill of materials (refs most of its units carry), the usual interval of each
 * stream in the minutes around.
 */
export async function assessBatch(
  session: TraceSession,
  serials: readonly string[],
  span: Span | undefined,
): Promise<Map<string, Completeness>> {
  const o = session.options;
  const visits = await session.all<StagedVisit>(
    `SELECT serial, visit, site, line, station, product, start, complete, status FROM x_visits
     WHERE serial IN (SELECT serial FROM batch_serial) ORDER BY serial, visit`,
  );
  const gaps = new Map<string, Gap[]>(serials.map((s) => [s, []]));
  const add = (serial: string, gap: Gap) => gaps.get(serial)?.push(gap);
  const visitsOf = groupBy(visits, (v) => v.serial);
  const productOf = new Map<string, string | null>();
  for (const [serial, list] of visitsOf)
    productOf.set(serial, list.find((v) => v.product)?.product ?? null);

  const neighbourhood = span ? await readNeighbourhood(session, span) : undefined;
  const tail = session.tailState;
  const horizon = session.tail.horizon();
  const hole = await session.tail.warehouseOnly();

  for (const serial of serials) {
    const mine = visitsOf.get(serial) ?? [];
    const product = productOf.get(serial) ?? null;
    const lines = [...new Set(mine.map((v) => `${v.site}\u0000${v.line}`))];
    const first = Math.min(...mine.map((v) => v.start ?? v.complete ?? Number.POSITIVE_INFINITY));
    const last = Math.max(...mine.map((v) => v.complete ?? v.start ?? Number.NEGATIVE_INFINITY));

    if (mine.length === 0)
      add(
        serial,
        gap(
          "P2",
          "no-visits",
          null,
          null,
          null,
          null,
          null,
          "no unit start/complete of this serial at any station",
        ),
      );
    if (product === null && mine.length > 0)
      add(
        serial,
        gap("P2", "no-product", null, null, null, null, null, "no visit names the product"),
      );

    // The sources themselves: InfluxDB's tail not read, or not answering, for the recent part.
    if (mine.length > 0 && horizon !== undefined && last >= horizon) {
      if (tail.kind === "unavailable")
        add(
          serial,
          gap(
            "P3",
            "source-unavailable",
            null,
            null,
            null,
            horizon,
            null,
            `InfluxDB did not answer (${tail.reason}): data after ${iso(horizon)} may be missing`,
          ),
        );
      else if (tail.kind === "not-configured")
        add(
          serial,
          gap(
            "P3",
            "tail-not-read",
            null,
            null,
            null,
            horizon,
            null,
            `no InfluxDB configured: data after ${iso(horizon)} not yet in the archive or warehouse is not seen`,
          ),
        );
    }

    // What falls in the hole cannot be seen: a unit seen up to a day before it may go on in it.
    if (
      hole &&
      mine.length > 0 &&
      last + DAY_MS >= (hole.from ?? Number.NEGATIVE_INFINITY) &&
      first < hole.to
    )
      add(
        serial,
        gap(
          "P3",
          "warehouse-only",
          null,
          null,
          null,
          hole.from ?? null,
          hole.to,
          "part of this unit's time is only in the warehouse, which its writer holds: read it again when the jobs process is stopped, or keep InfluxDB's retention longer than the archive's delay",
        ),
      );
    for (const v of mine) {
      if (v.status === "open")
        add(
          serial,
          gap(
            "P3",
            "open-visit",
            v.site,
            v.line,
            v.station,
            v.start,
            null,
            "start without complete: the visit's window, result and signals are unknown",
          ),
        );
      if (v.status === "no_start")
        add(
          serial,
          gap(
            "P3",
            "no-start",
            v.site,
            v.line,
            v.station,
            null,
            v.complete,
            "complete without start: the visit's window is unknown",
          ),
        );
    }
    if (!neighbourhood) continue;
    const n = neighbourhood;

    // P1: the line's stations report their events.
    for (const key of lines) {
      const [site, line] = key.split("\u0000") as [string, string];
      if (!n.eventLines.has(key))
        add(
          serial,
          gap(
            "P1",
            "no-events",
            site,
            line,
            null,
            first - DAY_MS,
            last + DAY_MS,
            "no station event (stop, failure, changeover) recorded on the line in the day around",
          ),
        );
      if (
        !n.streams.some(
          (s) =>
            s.site === site &&
            s.line === line &&
            !o.environmentMeasurements.includes(s.measurement),
        )
      )
        add(
          serial,
          gap(
            "P2",
            "no-process-parameters",
            site,
            line,
            null,
            first,
            last,
            "no station of the line streamed a signal while the unit was on it",
          ),
        );
    }

    // P3: every step of the route, each with its result record.
    const route = n.routes.get(routeKey(product, mine[0]?.site, mine[0]?.line)) ?? [];
    const visited = new Set(mine.map((v) => v.station));
    const lastOnRoute = Math.max(-1, ...route.map((station, i) => (visited.has(station) ? i : -1)));
    route.forEach((station, i) => {
      if (i < lastOnRoute && !visited.has(station))
        add(
          serial,
          gap(
            "P3",
            "missing-station",
            mine[0]?.site ?? null,
            mine[0]?.line ?? null,
            station,
            null,
            null,
            "a station of the product's route before the unit's last one has no visit",
          ),
        );
    });
    for (const v of mine) {
      const results = n.resultStations.get(routeKey(product, v.site, v.line));
      if (
        v.status === "complete" &&
        results?.has(v.station) &&
        !n.hasResult.has(`${serial}\u0000${v.station}`)
      )
        add(
          serial,
          gap(
            "P3",
            "missing-result",
            v.site,
            v.line,
            v.station,
            v.start,
            v.complete,
            "this station records a result (SPI, AOI, ICT, FCT) for most units, but none for this one",
          ),
        );
    }

    // P4: every signal of the station during each visit, its environment, no outage.
    for (const v of mine) {
      if (v.start === null || v.complete === null) continue;
      const duration = v.complete - v.start;
      const here = n.streams.filter(
        (s) =>
          s.site === v.site &&
          s.line === v.line &&
          s.station === v.station &&
          !o.environmentMeasurements.includes(s.measurement),
      );
      for (const stream of here) {
        const count =
          n.signalCounts.get(`${serial}\u0000${v.visit}\u0000${stream.measurement}`) ?? 0;
        if (count === 0 && duration >= stream.usual)
          add(
            serial,
            gap(
              "P4",
              "no-signals",
              v.site,
              v.line,
              v.station,
              v.start,
              v.complete,
              `no ${stream.measurement} sample during the visit (usually every ${stream.usual} ms)`,
            ),
          );
      }
      for (const g of n.gaps) {
        if (g.from >= v.complete || g.to <= v.start) continue;
        const env = o.environmentMeasurements.includes(g.measurement);
        const ingest = g.measurement === o.ingestMeasurement;
        const sameLine =
          g.site === v.site &&
          (g.line === v.line || (env && g.line !== null && o.siteLines.includes(g.line)));
        if (ingest)
          add(
            serial,
            gap(
              "P4",
              "ingest-outage",
              null,
              null,
              null,
              g.from,
              g.to,
              `the ingestor's self-metrics (${g.measurement}) stop for ${g.to - g.from} ms (usually every ${g.usual} ms): readings of this window may be missing`,
            ),
          );
        else if (env && sameLine)
          add(
            serial,
            gap(
              "P4",
              "environment-gap",
              g.site,
              g.line,
              g.station,
              g.from,
              g.to,
              `${g.measurement} from ${g.station} stops for ${g.to - g.from} ms (usually every ${g.usual} ms)`,
            ),
          );
        else if (sameLine && g.station === v.station)
          add(
            serial,
            gap(
              "P4",
              "signal-gap",
              g.site,
              g.line,
              g.station,
              g.from,
              g.to,
              `${g.measurement} stops for ${g.to - g.from} ms (usually every ${g.usual} ms)`,
            ),
          );
      }
      const envCount = n.environmentCounts.get(`${serial}\u0000${v.visit}`) ?? 0;
      const envStreams = n.streams.filter(
        (s) =>
          o.environmentMeasurements.includes(s.measurement) &&
          s.site === v.site &&
          (s.line === v.line || (s.line !== null && o.siteLines.includes(s.line))),
      );
      const usualEnv = Math.min(...envStreams.map((s) => s.usual));
      if (envStreams.length === 0)
        add(
          serial,
          gap(
            "P4",
            "no-environment",
            v.site,
            v.line,
            v.station,
            v.start,
            v.complete,
            `no ${o.environmentMeasurements.join(" / ")} reading on the line or the site's ${o.siteLines.join(" / ")} around the visit`,
          ),
        );
      else if (envCount === 0 && duration >= usualEnv)
        add(
          serial,
          gap(
            "P4",
            "no-environment",
            v.site,
            v.line,
            v.station,
            v.start,
            v.complete,
            "no environment reading during the visit",
          ),
        );
    }

    // M levels: materials of the order, of the batch, of this unit.
    const bomKey = routeKey(product, mine[0]?.site, mine[0]?.line);
    const bom = n.boms.get(bomKey);
    if (!bom || bom.refs.length === 0) {
      add(
        serial,
        gap(
          "M1",
          "no-materials",
          mine[0]?.site ?? null,
          mine[0]?.line ?? null,
          null,
          first,
          last,
          "no component placement recorded for the product on the line in the hour around",
        ),
      );
    } else if (bom.lotShare < o.routeShare) {
      add(
        serial,
        gap(
          "M2",
          "batch-lots-unknown",
          mine[0]?.site ?? null,
          mine[0]?.line ?? null,
          null,
          first,
          last,
          `only ${Math.round(bom.lotShare * 100)} % of the product's placements around name a known lot`,
        ),
      );
    }
    const placed = n.placements.get(serial) ?? [];
    // A unit that left the line before the placing station carries no components: nothing to miss.
    const reachedPlacement = mine.some((v) => bom?.stations.has(v.station));
    if (placed.length === 0 && bom && bom.refs.length > 0 && reachedPlacement)
      add(
        serial,
        gap("M3", "no-placements", null, null, null, null, null, "no placement names this serial"),
      );
    else if (placed.length > 0 || reachedPlacement) {
      const refs = new Set(placed.map((p) => p.ref));
      for (const ref of bom?.refs ?? []) {
        if (!refs.has(ref))
          add(
            serial,
            gap(
              "M3",
              "missing-placement",
              null,
              null,
              null,
              null,
              null,
              `no placement of ${ref}, which most units of the product carry`,
            ),
          );
      }
      for (const p of placed) {
        if (isUnknownLot(p.lot, o.unknownLots))
          add(
            serial,
            gap(
              "M3",
              "unknown-lot",
              p.site,
              p.line,
              p.station,
              p.ts,
              p.ts,
              `${p.ref} (${p.part ?? "part ?"}): lot ${JSON.stringify(p.lot)} is not known`,
            ),
          );
        if (!p.supplier?.trim())
          add(
            serial,
            gap(
              "M3",
              "missing-supplier",
              p.site,
              p.line,
              p.station,
              p.ts,
              p.ts,
              `${p.ref}: no supplier`,
            ),
          );
        if (!p.date_code?.trim())
          add(
            serial,
            gap(
              "M3",
              "missing-date-code",
              p.site,
              p.line,
              p.station,
              p.ts,
              p.ts,
              `${p.ref}: no date code`,
            ),
          );
      }
    }
  }

  const result = new Map<string, Completeness>();
  for (const serial of serials) {
    const list = gaps.get(serial) ?? [];
    list.push(
      gap(
        "M4",
        "no-raw-material-genealogy",
        null,
        null,
        null,
        null,
        null,
        "the MQTT contract carries no sub-lot of a component (wafer, raw material batch)",
      ),
    );
    result.set(serial, completeness(list));
  }
  await stageCompleteness(session, result, productOf);
  return result;
}

/** Levels from gaps: a level is supported when no gap holds it back; the level is the highest run from 1. */
export function completeness(gaps: Gap[]): Completeness {
  const held = new Set(gaps.map((g) => g.level));
  const levels = Object.fromEntries(
    [...PROCESS, ...MATERIAL].map((l) => [l, !held.has(l)]),
  ) as Completeness["levels"];
  const run = (names: readonly (ProcessLevel | MaterialLevel)[]) => {
    let level = 0;
    for (const name of names) {
      if (!levels[name]) break;
      level++;
    }
    return level;
  };
  return { processLevel: run(PROCESS), materialLevel: run(MATERIAL), levels, gaps };
}

function gap(
  level: Gap["level"],
  kind: string,
  site: string | null,
  line: string | null,
  station: string | null,
  from: number | null,
  to: number | null,
  detail: string,
): Gap {
  return { level, kind, site, line, station, from, to, detail };
}

export function isUnknownLot(lot: string | null, unknown: readonly string[]): boolean {
  if (lot === null) return true;
  const text = lot.trim().toLowerCase();
  return unknown.some((u) => u.trim().toLowerCase() === text);
}

function routeKey(
  product: string | null,
  site: string | undefined,
  line: string | undefined,
): string {
  return `${product ?? ""}\u0000${site ?? ""}\u0000${line ?? ""}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}

interface ProductContext {
  routes: Map<string, string[]>;
  resultStations: Map<string, Set<string>>;
  boms: Map<string, { refs: string[]; lotShare: number; stations: Set<string> }>;
  eventLines: Set<string>;
}

interface Neighbourhood {
  routes: Map<string, string[]>;
  resultStations: Map<string, Set<string>>;
  hasResult: Set<string>;
  boms: Map<string, { refs: string[]; lotShare: number; stations: Set<string> }>;
  placements: Map<string, PlacementRow[]>;
  streams: Stream[];
  gaps: StreamGap[];
  signalCounts: Map<string, number>;
  environmentCounts: Map<string, number>;
  eventLines: Set<string>;
}

interface PlacementRow {
  serial: string;
  site: string;
  line: string;
  station: string;
  ts: number;
  ref: string;
  part: string | null;
  lot: string | null;
  supplier: string | null;
  date_code: string | null;
}

/**
 * The product's route, result stations, bill of materials and which lines report events, learned
 * from the hours around a span. Hour-aligned, so that the units of one hour share one answer, kept
 * by the store for a minute when only cold sources hold the window.
 */
async function productContext(
  session: TraceSession,
  span: Span,
  lines: readonly { site: string; line: string }[],
): Promise<ProductContext> {
  const near = {
    from: Math.floor((span.from - NEIGHBOURHOOD_MS) / HOUR_MS) * HOUR_MS,
    to: Math.ceil((span.to + NEIGHBOURHOOD_MS) / HOUR_MS) * HOUR_MS,
  };
  const day = {
    from: Math.floor((span.from - DAY_MS) / HOUR_MS) * HOUR_MS,
    to: Math.ceil((span.to + DAY_MS) / HOUR_MS) * HOUR_MS,
  };
  const horizon = session.tail.horizon();
  const cold = !session.plan.influx || (horizon !== undefined && day.to < horizon);
  const key = `context|${lines
    .map((l) => `${l.site}/${l.line}`)
    .sort()
    .join(",")}|${near.from}|${near.to}|${day.from}|${day.to}`;
  const compute = () => readProductContext(session, near, day, lines);
  return cold ? session.memo(key, compute) : compute();
}

async function readProductContext(
  session: TraceSession,
  near: Span,
  day: Span,
  lines: readonly { site: string; line: string }[],
): Promise<ProductContext> {
  const o = session.options;
  // What InfluxDB holds beyond the cold sources, for the neighbourhood (route, materials, events).
  for (const measurement of ["unit", "test", "spi", "placement"])
    await session.tail.measurement(measurement, near.from, near.to);
  await session.tail.measurement("event", day.from, day.to);
  const lineFilter =
    lines.length === 0
      ? "false"
      : lines.map((l) => `(site = ${literal(l.site)} AND line = ${literal(l.line)})`).join(" OR ");

  // The product's route on its line: stations at least routeShare of its units visit, in their usual order.
  const routeRows = await session.all<{
    product: string | null;
    site: string;
    line: string;
    station: string;
    share: number;
    position: number;
  }>(
    `WITH u AS (
       SELECT serial, site, line, station, min(ts) AS first, any_value(product) AS product
       FROM ${session.from("unit_event", near)} WHERE (${lineFilter}) AND serial IS NOT NULL AND event = 'start'
       GROUP BY serial, site, line, station
     ), p AS (
       SELECT serial, any_value(product) FILTER (WHERE product IS NOT NULL) AS product FROM u GROUP BY serial
     ), r AS (
       SELECT p.product, u.site, u.line, u.station, u.serial,
         row_number() OVER (PARTITION BY u.serial, u.site, u.line ORDER BY u.first) AS position
       FROM u JOIN p USING (serial)
     ), totals AS (SELECT product, site, line, count(DISTINCT serial) AS units FROM r GROUP BY ALL)
     SELECT r.product, r.site, r.line, r.station, count(DISTINCT r.serial) / any_value(t.units) AS share, median(r.position) AS position
     FROM r JOIN totals t ON t.product IS NOT DISTINCT FROM r.product AND t.site = r.site AND t.line = r.line
     GROUP BY r.product, r.site, r.line, r.station`,
  );
  const routes = new Map<string, string[]>();
  for (const [key, rows] of groupBy(routeRows, (r) => routeKey(r.product, r.site, r.line))) {
    routes.set(
      key,
      rows
        .filter((r) => r.share >= o.routeShare)
        .sort((a, b) => a.position - b.position)
        .map((r) => r.station),
    );
  }

  // Stations that record a result for most units that visit them.
  const resultRows = await session.all<{
    product: string | null;
    site: string;
    line: string;
    station: string;
    share: number;
  }>(
    `WITH visits AS (
       SELECT serial, site, line, station, any_value(product) AS product FROM ${session.from("unit_event", near)}
       WHERE (${lineFilter}) AND serial IS NOT NULL GROUP BY ALL
     ), products AS (SELECT serial, any_value(product) FILTER (WHERE product IS NOT NULL) AS product FROM visits GROUP BY serial),
     results AS (
       SELECT DISTINCT serial, station FROM ${session.from("test_result", near)} WHERE (${lineFilter})
       UNION SELECT DISTINCT serial, station FROM ${session.from("spi_board", near)} WHERE (${lineFilter})
     )
     SELECT p.product, v.site, v.line, v.station, count(r.serial) / count(*) AS share
     FROM (SELECT DISTINCT serial, site, line, station FROM visits) v JOIN products p USING (serial)
     LEFT JOIN results r ON r.serial = v.serial AND r.station = v.station
     GROUP BY p.product, v.site, v.line, v.station`,
  );
  const resultStations = new Map<string, Set<string>>();
  for (const r of resultRows) {
    if (r.share < o.routeShare) continue;
    const key = routeKey(r.product, r.site, r.line);
    const set = resultStations.get(key) ?? new Set();
    set.add(r.station);
    resultStations.set(key, set);
  }
  // The bill of materials as placed: refs at least routeShare of the product's units carry.
  const bomRows = await session.all<{
    product: string | null;
    site: string;
    line: string;
    ref: string;
    share: number;
    known: number;
    placements: number;
    stations: string[];
  }>(
    `WITH products AS (
       SELECT serial, any_value(product) FILTER (WHERE product IS NOT NULL) AS product FROM ${session.from("unit_event", near)}
       WHERE (${lineFilter}) AND serial IS NOT NULL GROUP BY serial
     ), pl AS (
       SELECT p.serial, p.site, p.line, p.station, p.ref, p.lot, pr.product FROM ${session.from("placement", near)} p JOIN products pr USING (serial)
     ), units AS (SELECT product, site, line, count(DISTINCT serial) AS n FROM pl GROUP BY ALL)
     SELECT pl.product, pl.site, pl.line, pl.ref, count(DISTINCT pl.serial) / any_value(units.n) AS share,
       count(*) FILTER (WHERE NOT (lower(trim(coalesce(pl.lot, ''))) IN ${lowerList(o.unknownLots)})) AS known, count(*) AS placements,
       list(DISTINCT pl.station) AS stations
     FROM pl JOIN units ON units.product IS NOT DISTINCT FROM pl.product AND units.site = pl.site AND units.line = pl.line
     GROUP BY pl.product, pl.site, pl.line, pl.ref`,
  );
  const boms = new Map<string, { refs: string[]; lotShare: number; stations: Set<string> }>();
  for (const [key, rows] of groupBy(bomRows, (r) => routeKey(r.product, r.site, r.line))) {
    const known = rows.reduce((n, r) => n + Number(r.known), 0);
    const total = rows.reduce((n, r) => n + Number(r.placements), 0);
    boms.set(key, {
      refs: rows
        .filter((r) => r.share >= o.routeShare)
        .map((r) => r.ref)
        .sort(),
      lotShare: total === 0 ? 0 : known / total,
      stations: new Set(rows.flatMap((r) => r.stations)),
    });
  }
  const eventLines = new Set(
    (
      await session.all<{ site: string; line: string }>(
        `SELECT DISTINCT site, line FROM ${session.from("station_event", day)} WHERE (${lineFilter})`,
      )
    ).map((r) => `${r.site}\u0000${r.line}`),
  );
  return { routes, resultStations, boms, eventLines };
}

async function readNeighbourhood(session: TraceSession, span: Span): Promise<Neighbourhood> {
  const o = session.options;
  const lines = await session.all<{ site: string; line: string }>(
    "SELECT DISTINCT site, line FROM x_visits WHERE serial IN (SELECT serial FROM batch_serial)",
  );
  const { routes, resultStations, boms, eventLines } = await productContext(session, span, lines);
  const hasResult = new Set(
    (
      await session.all<{ serial: string; station: string }>(
        "SELECT serial, station FROM x_tests WHERE serial IN (SELECT serial FROM batch_serial) UNION SELECT serial, station FROM x_spi WHERE serial IN (SELECT serial FROM batch_serial)",
      )
    ).map((r) => `${r.serial}\u0000${r.station}`),
  );

  const placements = groupBy(
    await session.all<PlacementRow>(
      "SELECT serial, site, line, station, ts, ref, part, lot, supplier, date_code FROM x_materials WHERE serial IN (SELECT serial FROM batch_serial)",
    ),
    (p) => p.serial,
  );

  // Streams around the batch (what stageBatch read into x_window): their usual interval, and
  // where they stop for longer than gapFactor times it.
  await session.run(
    `CREATE OR REPLACE TEMP TABLE x_stream AS
     WITH s AS (SELECT DISTINCT site, line, station, measurement, ts FROM x_window WHERE serial IS NULL)
     SELECT *, ts - lag(ts) OVER (PARTITION BY site, line, station, measurement ORDER BY ts) AS dt FROM s`,
  );
  const streams = (
    await session.all<Stream>(
      "SELECT site, line, station, measurement, CAST(median(dt) AS BIGINT) AS usual FROM x_stream WHERE dt IS NOT NULL GROUP BY ALL",
    )
  ).map((s) => ({ ...s, usual: Number(s.usual) }));
  const gaps = await session.all<StreamGap>(
    `WITH u AS (SELECT site, line, station, measurement, median(dt) AS usual FROM x_stream WHERE dt IS NOT NULL GROUP BY ALL)
     SELECT s.site, s.line, s.station, s.measurement, CAST(u.usual AS BIGINT) AS usual, s.ts - s.dt AS "from", s.ts AS "to"
     FROM x_stream s JOIN u ON u.site IS NOT DISTINCT FROM s.site AND u.line IS NOT DISTINCT FROM s.line
       AND u.station IS NOT DISTINCT FROM s.station AND u.measurement = s.measurement
     WHERE s.dt > greatest(u.usual * $factor, $minGap)`,
    { factor: o.gapFactor, minGap: o.minGapMs },
  );
  // A stream that stops before the batch's last visit ends (or starts after its first begins)
  // leaves a gap no pair of samples shows.
  const edges = await session.all<Stream & { first: number; last: number }>(
    `SELECT site, line, station, measurement, CAST(median(dt) AS BIGINT) AS usual, min(ts) AS first, max(ts) AS last
     FROM x_stream GROUP BY ALL HAVING count(dt) > 0`,
  );
  for (const e of edges) {
    const threshold = Math.max(Number(e.usual) * o.gapFactor, o.minGapMs);
    const usual = Number(e.usual);
    if (span.to - e.last > threshold) gaps.push({ ...e, usual, from: e.last, to: span.to });
    if (e.first - span.from > threshold) gaps.push({ ...e, usual, from: span.from, to: e.first });
  }

  const signalCounts = new Map<string, number>();
  const environmentCounts = new Map<string, number>();
  for (const row of await session.all<{
    serial: string;
    visit: number;
    measurement: string;
    n: number;
  }>(
    "SELECT serial, visit, measurement, sum(n) AS n FROM x_signal_count WHERE serial IN (SELECT serial FROM batch_serial) GROUP BY ALL",
  )) {
    if (row.measurement === "")
      environmentCounts.set(`${row.serial}\u0000${row.visit}`, Number(row.n));
    else signalCounts.set(`${row.serial}\u0000${row.visit}\u0000${row.measurement}`, Number(row.n));
  }

  return {
    routes,
    resultStations,
    hasResult,
    boms,
    placements,
    streams,
    gaps,
    signalCounts,
    environmentCounts,
    eventLines,
  };
}

function lowerList(unknown: readonly string[]): string {
  return `(${[...new Set(unknown.map((u) => u.trim().toLowerCase()))].map(literal).join(", ") || "NULL"})`;
}

async function stageCompleteness(
  session: TraceSession,
  result: ReadonlyMap<string, Completeness>,
  productOf: ReadonlyMap<string, string | null>,
): Promise<void> {
  const levels = await session.connection.createAppender("x_levels", "main", "temp");
  const gaps = await session.connection.createAppender("x_gaps", "main", "temp");
  try {
    for (const [serial, c] of result) {
      levels.appendVarchar(serial);
      text(levels, productOf.get(serial) ?? null);
      levels.appendInteger(c.processLevel);
      levels.appendInteger(c.materialLevel);
      for (const l of [...PROCESS, ...MATERIAL]) levels.appendBoolean(c.levels[l]);
      levels.endRow();
      for (const g of c.gaps) {
        gaps.appendVarchar(serial);
        gaps.appendVarchar(g.level);
        gaps.appendVarchar(g.kind);
        text(gaps, g.site);
        text(gaps, g.line);
        text(gaps, g.station);
        bigint(gaps, g.from);
        bigint(gaps, g.to);
        gaps.appendVarchar(g.detail);
        gaps.endRow();
      }
    }
    levels.flushSync();
    gaps.flushSync();
  } finally {
    levels.closeSync();
    gaps.closeSync();
  }
}

function text(appender: DuckDBAppender, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}

function bigint(appender: DuckDBAppender, value: number | null): void {
  if (value === null || !Number.isFinite(value)) appender.appendNull();
  else appender.appendBigInt(BigInt(Math.round(value)));
}
