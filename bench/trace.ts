// `npm run bench:trace [-- --serials 100000] [--signal-hz 1] [--samples 200] [--lots 30] [--data DIR]`
//
// Per-serial JSON export latency and lot recall scope latency with 100 k serials: rows generated
// straight into a DuckDB warehouse file (not simulated through MQTT), its older days written to
// the Parquet archive by the warehouse's own archive writer, then read by the trace reader as
// `tracebox serve` reads them:
//
//   archive + warehouse   the archive for archived days, the warehouse (READ_ONLY) for the rest
//   archive only          the warehouse held by its writer: archived serials from Parquet alone
//
// One export is `serialRecord` (visits, every signal of each visit's station at full resolution,
// environment, events, SPI pads, tests, placements, containers, completeness) and its JSON text,
// each in a fresh session (what one API request costs). Goal: p99 under 300 ms.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  recordJson,
  serialRecord,
  startTraceServer,
  type TraceOptions,
  TraceStore,
  traceForward,
} from "../analytics/trace/index.ts";
import { archiveOlderThan, insertSignal, Warehouse } from "../analytics/warehouse/index.ts";
import { describeMachine } from "./machine.ts";
import { phaseProgress } from "./progress.ts";
import { type Summary, summarize } from "./stats.ts";

const { values: args } = parseArgs({
  options: {
    serials: { type: "string", default: "100000" },
    "signal-hz": { type: "string", default: "1" },
    samples: { type: "string", default: "200" },
    lots: { type: "string", default: "30" },
    "archive-days": { type: "string", default: "10" },
    data: { type: "string" },
  },
});
const SERIALS = Number(args.serials);
const SIGNAL_HZ = Number(args["signal-hz"]);
const SAMPLES = Number(args.samples);
const LOTS = Number(args.lots);
const ARCHIVE_DAYS = Number(args["archive-days"]);
const GOAL_P99_MS = 300;

const LINES = 2;
const TAKT_MS = 25_500;
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);
const PERIOD_MS = Math.round(1000 / SIGNAL_HZ);
const SPAN_MS = Math.ceil(SERIALS / LINES) * TAKT_MS + 600_000;
/** Every 50th unit fails AOI and leaves the line there. */
const FAIL_EVERY = 50;

/** Stations in route order: offset of start and complete from the unit's start, ms. */
const ROUTE = [
  ["printer", 0, 15_000],
  ["spi", 15_000, 29_000],
  ["pnp", 29_000, 53_000],
  ["reflow", 53_000, 379_000],
  ["aoi", 379_000, 397_000],
  ["ict", 397_000, 418_000],
  ["fct", 418_000, 440_000],
  ["pack", 440_000, 448_000],
] as const;

/** The board's components: ref, part, supplier, pads. 31 components, 145 pads. */
const COMPONENTS: [string, string, string, number][] = [
  ["U1", "410-0048-MCU", "Aster Semiconductor", 64],
  ["U2", "410-0016-BUCK", "Volta Micro", 9],
  ["U3", "410-0005-LDO", "Volta Micro", 5],
  ["U4", "410-0008-EEP", "Aster Semiconductor", 8],
  ["Q1", "420-0003-NMOS", "Volta Micro", 3],
  ["D1", "430-0603-LEDG", "Lumen Opto", 2],
  ["D2", "430-0323-TVS", "Volta Micro", 2],
  ["F1", "470-0603-1A", "Norden Components", 2],
  ["J1", "460-USBC-12", "Pioneer Connect", 12],
  ["L1", "450-4040-4U7", "Halden Magnetics", 2],
  ["Y1", "440-3225-16M", "Quartzline", 4],
  ...Array.from({ length: 10 }, (_, i): [string, string, string, number] => [
    `C${i + 1}`,
    i < 5 ? "200-0402-100N" : "200-0603-10U",
    i % 2 ? "Kestrel Passives" : "Norden Components",
    2,
  ]),
  ...Array.from({ length: 10 }, (_, i): [string, string, string, number] => [
    `R${i + 1}`,
    i < 5 ? "100-0402-10K" : "100-0402-1K0",
    i % 3 ? "Kestrel Passives" : "Norden Components",
    2,
  ]),
];
/** Units between reel changes: a lot covers this many consecutive units of a line. */
const REEL_UNITS = 1500;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (v: number) => `${v.toFixed(1)} ms`;

/** The unit table every other table is generated from: serial i on line i % LINES. */
const UNITS = `(SELECT i, i % ${LINES} AS l, 'line' || (i % ${LINES} + 1) AS line,
  'BX' || chr(65 + (i % ${LINES})::INTEGER) || lpad(i::VARCHAR, 8, '0') AS serial,
  ${T0} + (i // ${LINES}) * ${TAKT_MS} + (hash(i) % 1000)::BIGINT AS s0,
  i % ${FAIL_EVERY} = 7 AS fails
  FROM range(${SERIALS}) r(i))`;

function values(rows: readonly (readonly (string | number)[])[]): string {
  return rows
    .map(
      (r) =>
        `(${r.map((v) => (typeof v === "number" ? String(v) : `'${v.replaceAll("'", "''")}'`)).join(", ")})`,
    )
    .join(", ");
}

async function generate(warehouse: Warehouse): Promise<void> {
  const steps: [string, string][] = [
    [
      "unit_event",
      `INSERT INTO unit_event (site, line, station, serial, event, product, result, panel, seen, ts)
       SELECT 'plant1', u.line, st.station, u.serial, ev.event, 'TBX-CTRL-C',
         CASE WHEN ev.event = 'complete' THEN CASE WHEN u.fails AND st.station = 'aoi' THEN 'fail' ELSE 'pass' END END,
         NULL, true, u.s0 + CASE WHEN ev.event = 'start' THEN st.a ELSE st.b END AS ts
       FROM ${UNITS} u, (VALUES ${values(ROUTE.map(([s, a, b], k) => [s, a, b, k]))}) st(station, a, b, k),
         (VALUES ('start'), ('complete')) ev(event)
       WHERE NOT (u.fails AND st.k > 4) ORDER BY ts`,
    ],
    [
      "spi",
      `INSERT INTO spi_board (site, line, station, serial, product, result, pad_count, volume_pct_mean, volume_pct_min, volume_pct_max, ts)
       SELECT 'plant1', line, 'spi', serial, 'TBX-CTRL-C', 'pass', 145, 97.5, 82.0, 113.0, s0 + 29000 FROM ${UNITS} ORDER BY s0`,
    ],
    [
      "spi_pad",
      `INSERT INTO spi_pad (site, line, station, serial, ref, volume_pct, height_um, area_pct, offset_x_um, offset_y_um, ts)
       SELECT 'plant1', u.line, 'spi', u.serial, c.ref || '.' || p.n, 97 + (hash(u.i, c.ref, p.n) % 200)::DOUBLE / 20 - 5,
         118 + (hash(u.i, p.n) % 100)::DOUBLE / 20, 98.0, (hash(p.n, u.i) % 40)::DOUBLE - 20, (hash(u.i * 3, p.n) % 40)::DOUBLE - 20, u.s0 + 29000
       FROM ${UNITS} u, (VALUES ${values(COMPONENTS.map(([ref, , , pads]) => [ref, pads]))}) c(ref, pads), range(1, 65) p(n)
       WHERE p.n <= c.pads ORDER BY u.s0, c.ref, p.n`,
    ],
    [
      "test",
      `INSERT INTO test_result (site, line, station, serial, kind, result, program, defect_count, firmware_version, firmware_checksum, firmware_mac, firmware_license, ts)
       SELECT 'plant1', u.line, t.kind, u.serial, t.kind, CASE WHEN u.fails AND t.kind = 'aoi' THEN 'fail' ELSE 'pass' END,
         'TBX-CTRL-C_' || upper(t.kind), CASE WHEN u.fails AND t.kind = 'aoi' THEN 1 ELSE 0 END,
         CASE WHEN t.kind = 'fct' THEN '3.2.1' END, CASE WHEN t.kind = 'fct' THEN 'sha256:6a7bc4c7708e8174' END,
         CASE WHEN t.kind = 'fct' THEN '02:54:' || lpad(printf('%x', u.i), 8, '0') END, NULL, u.s0 + t.done_at
       FROM ${UNITS} u, (VALUES ('aoi', 397000, 0), ('ict', 418000, 1), ('fct', 440000, 2)) t(kind, done_at, k)
       WHERE NOT (u.fails AND t.k > 0) ORDER BY u.s0 + t.done_at`,
    ],
    [
      "test_defect",
      `INSERT INTO test_defect (site, line, station, serial, kind, code, ref, count, ts)
       SELECT 'plant1', line, 'aoi', serial, 'aoi', 'insufficient_solder', 'U1', 1, s0 + 397000 FROM ${UNITS} WHERE fails ORDER BY s0`,
    ],
    [
      "test_measurement",
      `INSERT INTO test_measurement (site, line, station, serial, kind, name, value, low, high, unit, pass, ts)
       SELECT 'plant1', u.line, m.kind, u.serial, m.kind, m.name, m.nominal * (1 + ((hash(u.i, m.name) % 200)::DOUBLE - 100) / 2000),
         m.nominal * 0.9, m.nominal * 1.1, m.unit, true, u.s0 + CASE WHEN m.kind = 'ict' THEN 418000 ELSE 440000 END
       FROM ${UNITS} u, (VALUES ${values([
         ...Array.from({ length: 10 }, (_, i) => [
           "ict",
           `C${i + 1}_capacitance`,
           i < 5 ? 0.1 : 10,
           "uF",
         ]),
         ...Array.from({ length: 10 }, (_, i) => [
           "ict",
           `R${i + 1}_resistance`,
           i < 5 ? 10_000 : 1000,
           "ohm",
         ]),
         ["fct", "vin_current_ma", 45, "mA"],
         ["fct", "v3v3_v", 3.3, "V"],
         ["fct", "v1v8_v", 1.8, "V"],
         ["fct", "u2_thermal_rise_c", 14, "degC"],
         ["fct", "xtal_error_ppm", 10, "ppm"],
         ["fct", "usb_enum_ms", 160, "ms"],
       ])}) m(kind, name, nominal, unit)
       WHERE NOT u.fails ORDER BY u.s0`,
    ],
    [
      "placement",
      `INSERT INTO placement (site, line, station, serial, ref, part, lot, supplier, date_code, reel, ts)
       SELECT 'plant1', u.line, 'pnp', u.serial, c.ref, c.part,
         upper(left(c.supplier, 2)) || '-' || c.part || '-' || u.l || '-' || ((u.i // ${LINES}) // ${REEL_UNITS} + abs(hash(c.ref)) % 7)::VARCHAR,
         c.supplier, (2600 + ((u.i // ${LINES}) // ${REEL_UNITS}) % 52)::VARCHAR,
         'R' || u.l || '-' || c.ref || '-' || ((u.i // ${LINES}) // ${REEL_UNITS})::VARCHAR, u.s0 + 53000
       FROM ${UNITS} u, (VALUES ${values(COMPONENTS.map(([ref, part, supplier]) => [ref, part, supplier]))}) c(ref, part, supplier)
       ORDER BY u.s0, c.ref`,
    ],
    [
      "pack",
      `INSERT INTO pack (site, line, station, kind, container, serials, containers, destination, count, ts)
       WITH good AS (SELECT *, row_number() OVER (PARTITION BY l ORDER BY i) - 1 AS n FROM ${UNITS} WHERE NOT fails),
       boxes AS (SELECT l, line, n // 20 AS box, 'BOX-' || l || '-' || lpad((n // 20)::VARCHAR, 6, '0') AS container,
                   to_json(list(serial ORDER BY n))::VARCHAR AS serials, count(*) AS count, max(s0) + 448000 AS ts FROM good GROUP BY ALL),
       pallets AS (SELECT l, line, box // 12 AS pallet, 'PAL-' || l || '-' || lpad((box // 12)::VARCHAR, 5, '0') AS container,
                   to_json(list(container ORDER BY box))::VARCHAR AS containers, count(*) AS count, max(ts) + 60000 AS ts FROM boxes GROUP BY ALL),
       shipments AS (SELECT l, line, pallet // 14 AS shipment, 'SHP-' || l || '-' || lpad((pallet // 14)::VARCHAR, 4, '0') AS container,
                   to_json(list(container ORDER BY pallet))::VARCHAR AS containers, count(*) AS count, max(ts) + 3600000 AS ts FROM pallets GROUP BY ALL)
       SELECT 'plant1', line, 'pack', 'box', container, serials, NULL, NULL, count, ts FROM boxes
       UNION ALL SELECT 'plant1', line, 'pack', 'pallet', container, NULL, containers, NULL, count, ts FROM pallets
       UNION ALL SELECT 'plant1', line, 'pack', 'shipment', container, NULL, containers, 'Distribution centre Venlo', count, ts FROM shipments
       ORDER BY ts`,
    ],
    [
      "event",
      `INSERT INTO station_event (site, line, station, kind, code, message, seen, ts)
       SELECT 'plant1', 'line' || (l + 1), st.station, CASE WHEN h % 8 = 0 THEN 'changeover' ELSE 'stop' END,
         CASE WHEN h % 8 = 0 THEN 'TBX-CTRL-C' ELSE 'FEEDER_EMPTY' END, 'bench event', true,
         ${T0} + h * 3600000 + (hash(l, st.station, h) % 600000)::BIGINT AS ts
       FROM range(${LINES}) ls(l), (VALUES ${values(ROUTE.map(([s]) => [s]))}) st(station), range(0, ${Math.ceil(SPAN_MS / 3_600_000)}, 2) hs(h)
       ORDER BY ts`,
    ],
    [
      "signal: reflow",
      `SELECT 'reflow', 'plant1', 'line' || (l + 1), 'reflow', NULL, f.field,
         f.setpoint + ((hash(l, t, f.field) % 100)::DOUBLE - 50) / 100, ${T0} + t * ${PERIOD_MS} AS ts
       FROM range(${LINES}) ls(l), range(${Math.ceil(SPAN_MS / PERIOD_MS)}) r(t),
         (VALUES ${values([
           ...Array.from({ length: 8 }, (_, z) => [
             `z${z + 1}_top_c`,
             [160, 175, 184, 195, 205, 235, 258, 258][z] as number,
           ]),
           ...Array.from({ length: 8 }, (_, z) => [
             `z${z + 1}_bot_c`,
             [160, 175, 184, 195, 205, 235, 258, 258][z] as number,
           ]),
           ["o2_ppm", 520],
           ["conveyor_cm_min", 80],
         ])}) f(field, setpoint)
       ORDER BY ts, l, f.field`,
    ],
    [
      "signal: nitrogen",
      `SELECT 'nitrogen', 'plant1', 'line' || (l + 1), 'n2', NULL, f.field, f.v + (hash(l, t, f.field) % 100)::DOUBLE / 500, ${T0} + t * ${PERIOD_MS} AS ts
       FROM range(${LINES}) ls(l), range(${Math.ceil(SPAN_MS / PERIOD_MS)}) r(t), (VALUES ('pressure_bar', 6.0), ('flow_m3_h', 18.0)) f(field, v)
       ORDER BY ts, l, f.field`,
    ],
    [
      "signal: env",
      `SELECT 'env', 'plant1', 'hall', 'env01', NULL, f.field, f.v + (hash(t, f.field) % 100)::DOUBLE / 50, ${T0} + t * 1000 AS ts
       FROM range(${Math.ceil(SPAN_MS / 1000)}) r(t), (VALUES ('humidity_rh', 44.0), ('temperature_c', 22.5)) f(field, v)
       ORDER BY ts, f.field`,
    ],
    [
      "signal: printer",
      `SELECT 'printer', 'plant1', u.line, 'printer', NULL, f.field, f.v, u.s0 + 15000 AS ts
       FROM ${UNITS} u, (VALUES ('squeegee_pressure_kg', 6.3), ('print_speed_mm_s', 50.0), ('cycle_s', 15.5)) f(field, v)
       ORDER BY ts, f.field`,
    ],
    [
      "signal: profile",
      `SELECT 'profile', 'plant1', u.line, 'reflow', u.serial, f.field,
         CASE WHEN p.s < 190 THEN 25 + p.s * 1.0 WHEN p.s < 220 THEN 215 + (p.s - 190) ELSE 245 - (p.s - 220) * 1.2 END, u.s0 + 53000 + p.s * 1000 AS ts
       FROM ${UNITS} u, range(326) p(s), (VALUES ('tc1_c'), ('tc2_c'), ('tc3_c')) f(field)
       WHERE u.i % 40 = 0 ORDER BY ts, f.field`,
    ],
    [
      "signal: tracebox_ingest",
      `SELECT 'tracebox_ingest', NULL, NULL, NULL, NULL, 'messages_written', t::DOUBLE, ${T0} + t * 10000 AS ts
       FROM range(${Math.ceil(SPAN_MS / 10_000)}) r(t) ORDER BY ts`,
    ],
  ];
  const bar = phaseProgress("generate", steps.length, "tables");
  let done = 0;
  for (const [name, sql] of steps) {
    const started = performance.now();
    // `signal` is a view over series and values: its rows go through the warehouse's writer.
    if (name.startsWith("signal: ")) await insertSignal(warehouse, sql);
    else await warehouse.run(sql);
    bar.update(++done, `${name} ${seconds(performance.now() - started)}`);
    if (!process.stderr.isTTY)
      console.log(`  ${name.padEnd(24)} ${seconds(performance.now() - started)}`);
  }
  bar.stop();
  await warehouse.run("CHECKPOINT");
}

async function rowCounts(warehouse: Warehouse): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    "unit_event",
    "spi_pad",
    "test_measurement",
    "placement",
    "pack",
    "station_event",
    "signal",
  ]) {
    const [row] = await warehouse.all<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    out[table] = Number(row?.n ?? 0);
  }
  return out;
}

/** Evenly spread, seeded: the same serials each run. */
function pick<T>(items: readonly T[], n: number): T[] {
  const out: T[] = [];
  let x = 0x9e3779b9;
  for (let k = 0; k < n && items.length > 0; k++) {
    x = (Math.imul(x ^ (x >>> 15), 0x85ebca6b) + k) >>> 0;
    out.push(items[x % items.length] as T);
  }
  return out;
}

interface ExportRun {
  mode: string;
  serials: number;
  latency: Summary;
  bytes: Summary;
  cpuMsPerExport: number;
}

/** A line per phase when no progress bar shows (stderr not a terminal). */
function phase(text: string): void {
  if (!process.stderr.isTTY) console.log(`  ${text} ...`);
}

async function exportLatency(
  mode: string,
  options: Partial<TraceOptions>,
  serials: readonly string[],
): Promise<ExportRun> {
  phase(`exporting ${serials.length} serials (${mode})`);
  const store = await TraceStore.open(options);
  const latencies: number[] = [];
  const bytes: number[] = [];
  const bar = phaseProgress(`export ${mode}`, serials.length, "serials");
  try {
    for (const serial of serials.slice(0, 5)) {
      await store.withSession(async (s) =>
        JSON.stringify(recordJson(await serialRecord(s, serial))),
      );
    }
    const cpu = process.cpuUsage();
    for (const [k, serial] of serials.entries()) {
      const started = performance.now();
      const text = await store.withSession(async (s) =>
        JSON.stringify(recordJson(await serialRecord(s, serial))),
      );
      latencies.push(performance.now() - started);
      bytes.push(text.length);
      bar.update(k + 1, serial);
    }
    const used = process.cpuUsage(cpu);
    return {
      mode,
      serials: serials.length,
      latency: summarize(latencies),
      bytes: summarize(bytes),
      cpuMsPerExport: (used.user + used.system) / 1000 / serials.length,
    };
  } finally {
    bar.stop();
    await store.close();
  }
}

async function httpLatency(
  options: Partial<TraceOptions>,
  serials: readonly string[],
): Promise<Summary> {
  phase(`GET /api/serials/:serial for ${serials.length} serials`);
  const store = await TraceStore.open(options);
  const server = await startTraceServer(store, { port: 0 });
  const latencies: number[] = [];
  try {
    for (const serial of serials) {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/serials/${encodeURIComponent(serial)}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET ${serial}: ${response.status}`);
      latencies.push(performance.now() - started);
    }
    return summarize(latencies);
  } finally {
    await server.close();
    await store.close();
  }
}

async function recallLatency(
  options: Partial<TraceOptions>,
  lots: readonly string[],
  part: { part: string; supplier: string },
) {
  phase(
    `recall scope of ${lots.length} lots and one part (${options.warehouse === "never" ? "archive only" : "archive + warehouse"})`,
  );
  const store = await TraceStore.open(options);
  const latencies: number[] = [];
  const units: number[] = [];
  try {
    await store.withSession((s) => traceForward(s, { lot: lots[0] as string }));
    for (const lot of lots) {
      const started = performance.now();
      const forward = await store.withSession((s) => traceForward(s, { lot }));
      latencies.push(performance.now() - started);
      units.push(forward.counts.units);
    }
    const started = performance.now();
    const wide = await store.withSession((s) => traceForward(s, part));
    const partMs = performance.now() - started;
    return {
      lot: summarize(latencies),
      unitsPerLot: summarize(units),
      part: { ...part, units: wide.counts.units, ms: partMs },
    };
  } finally {
    await store.close();
  }
}

const startedAt = new Date();
const dir = args.data ?? join(tmpdir(), `tracebox-bench-trace-${SERIALS}-${SIGNAL_HZ}hz`);
const warehousePath = join(dir, "warehouse.duckdb");
const archiveDir = join(dir, "archive");
const ready = join(dir, "ready");
console.log(
  `trace benchmark: ${SERIALS.toLocaleString("en-US")} serials on ${LINES} lines over ${(SPAN_MS / DAY_MS).toFixed(1)} days, signals at ${SIGNAL_HZ} Hz, first ${ARCHIVE_DAYS} days archived; data in ${dir}`,
);
let generation: { seconds: number; rows: Record<string, number> } | undefined;
if (!existsSync(ready)) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const warehouse = await Warehouse.open(warehousePath);
  try {
    await generate(warehouse);
    console.log(
      `  archiving the first ${ARCHIVE_DAYS} days with the warehouse's archive writer ...`,
    );
    await archiveOlderThan(warehouse, archiveDir, {
      olderThanMs: 0,
      now: () => T0 + ARCHIVE_DAYS * DAY_MS,
    });
    generation = {
      seconds: (performance.now() - started) / 1000,
      rows: await rowCounts(warehouse),
    };
  } finally {
    warehouse.close();
  }
  writeFileSync(ready, JSON.stringify(generation));
  console.log(
    `  generated in ${generation.seconds.toFixed(0)} s: ${JSON.stringify(generation.rows)}`,
  );
} else {
  console.log("  reusing the data generated before (delete the directory to regenerate)");
}

// Serials made on the archived days, and after (only the warehouse has those).
const reader = await TraceStore.open({ warehousePath, archiveDir });
const { archived, recent, lots, part } = await reader.withSession(async (s) => {
  const cut = T0 + ARCHIVE_DAYS * DAY_MS;
  const serials = await s.all<{ serial: string; last: number }>(
    `SELECT serial, max(ts) AS last FROM ${s.from("unit_event")} GROUP BY serial ORDER BY serial`,
  );
  const lotRows = await s.all<{ lot: string }>(
    `SELECT DISTINCT lot FROM ${s.from("placement")} ORDER BY lot`,
  );
  return {
    archived: serials.filter((r) => r.last < cut - DAY_MS).map((r) => r.serial),
    recent: serials.filter((r) => r.last >= cut + 3_600_000).map((r) => r.serial),
    lots: lotRows.map((r) => r.lot),
    part: { part: "200-0402-100N", supplier: "Norden Components" },
  };
});
await reader.close();

const both = { warehousePath, archiveDir } satisfies Partial<TraceOptions>;
const archiveOnly = {
  warehousePath,
  archiveDir,
  warehouse: "never",
} satisfies Partial<TraceOptions>;
const mixed = pick([...pick(archived, SAMPLES / 2), ...pick(recent, SAMPLES / 2)], SAMPLES);
if (mixed.length === 0)
  throw new Error("no serials to export: more --serials, or fewer --archive-days");
const runs: ExportRun[] = [];
runs.push(await exportLatency("archive + warehouse", both, mixed));
if (archived.length > 0)
  runs.push(await exportLatency("archive only", archiveOnly, pick(archived, SAMPLES)));
const http = await httpLatency(both, pick(mixed, Math.min(50, SAMPLES)));
const recall = await recallLatency(both, pick(lots, LOTS), part);
const recallArchive = await recallLatency(archiveOnly, pick(lots, LOTS), part);

console.log("");
console.log("per-serial JSON export (record + JSON text, a fresh session each):");
for (const r of runs)
  console.log(
    `  ${r.mode.padEnd(20)} ${r.serials} serials  p50 ${ms(r.latency.p50)}  p90 ${ms(r.latency.p90)}  p99 ${ms(r.latency.p99)}  max ${ms(r.latency.max)}  · ${(r.bytes.p50 / 1024).toFixed(0)} KiB JSON p50 · ${r.cpuMsPerExport.toFixed(0)} ms CPU each`,
  );
console.log(
  `  HTTP GET /api/serials/:serial (archive + warehouse): p50 ${ms(http.p50)}  p99 ${ms(http.p99)}`,
);
console.log("lot recall scope (every serial, its latest result and box / pallet / shipment):");
for (const [name, r] of [
  ["archive + warehouse", recall],
  ["archive only", recallArchive],
] as const)
  console.log(
    `  ${name.padEnd(20)} ${LOTS} lots of ${r.unitsPerLot.min}–${r.unitsPerLot.max} units: p50 ${ms(r.lot.p50)}  p99 ${ms(r.lot.p99)};  part ${r.part.part} from ${r.part.supplier}: ${r.part.units} units in ${ms(r.part.ms)}`,
  );
const worst = Math.max(...runs.map((r) => r.latency.p99));
console.log(
  `load average (1, 5, 15 min) at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")} on ${availableParallelism()} cores`,
);
const verdict = worst < GOAL_P99_MS ? "met" : "NOT met";
console.log(`goal p99 < ${GOAL_P99_MS} ms for one serial: ${verdict} (worst p99 ${ms(worst)})`);

const result = {
  benchmark: "trace",
  startedAt: startedAt.toISOString(),
  machine: describeMachine(),
  setup: {
    serials: SERIALS,
    lines: LINES,
    signalHz: SIGNAL_HZ,
    archivedDays: ARCHIVE_DAYS,
    samples: SAMPLES,
    lots: LOTS,
  },
  generation,
  exports: runs,
  http,
  recall: { archiveAndWarehouse: recall, archiveOnly: recallArchive },
  goal: { p99Ms: GOAL_P99_MS, worstP99Ms: worst, met: worst < GOAL_P99_MS },
  loadAverage: loadavg(),
};
const results = join(import.meta.dirname, "results");
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, `trace-${startedAt.toISOString().replaceAll(":", "-").replace(".", "-")}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
console.log(`(data kept in ${dir} for the next run; delete it to regenerate)`);
