// `npm run bench:spc [-- --values N] [--characteristics K] [--pass READINGS] [--influx]`
//
// The SPC job over K characteristics × N readings (default 10 × 1 M, subgroups of 5, X̄-R, qcc
// rules) in a DuckDB warehouse file, against one DuckDB GROUP BY over the same rows that computes
// each subgroup's mean and range. The job's timed runs build every request body it would send to
// InfluxDB (its lines joined, as UTF-8, as the client does) but hand it to a counter, not to
// InfluxDB: the InfluxDB write is measured on its own (`--influx`,
// against a private InfluxDB started as the integration tests start theirs), because at millions
// of points it is the database's ingest rate, not the job, that it measures.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import {
  parseSpcSection,
  resetMonitoring,
  runSpc,
  type SpcJobContext,
  type SpcRunResult,
} from "../analytics/spc-job/index.ts";
import { insertSignal, Warehouse } from "../analytics/warehouse/index.ts";
import { createInfluxClient, type InfluxClient } from "../influx/index.ts";
import { DEFAULT_LOCAL_SERVICES, freePort, servicesDown, servicesUp } from "../services/index.ts";

const { values: args } = parseArgs({
  options: {
    values: { type: "string", default: "1000000" },
    characteristics: { type: "string", default: "10" },
    influx: { type: "boolean", default: false },
    pass: { type: "string" },
  },
});
const PER_CHARACTERISTIC = Number(args.values);
const CHARACTERISTICS = Number(args.characteristics);
const SUBGROUP = 5;
const T0 = 1_700_000_000_000;
const EVERY_MS = 1000;
const GOAL = 2;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Wall time, and CPU time of the whole process (every DuckDB thread included): on a machine shared
 * with other work the wall time swings with the neighbours, the CPU time much less.
 */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, value };
}

/**
 * Readings of K fields of one oven, one a second each, interleaved in time as the warehouse sync
 * appends them. Normal(100, 1) by Box-Muller, and a shift of +1 sigma over the last hundredth, so
 * the job has real violations (and alerts) to produce besides the false alarms of any chart.
 */
async function generate(warehouse: Warehouse): Promise<void> {
  await warehouse.run("SELECT setseed(0.42)");
  await insertSignal(
    warehouse,
    `SELECT 'bench', 'S1', 'L1', 'oven', NULL, 'f' || c, value, ts FROM (
       SELECT i // $k AS n, i % $k AS c, $t0 + (i // $k) * $every AS ts,
         100 + (CASE WHEN i // $k >= $n * 0.99 THEN 1 ELSE 0 END)
           + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS value
       FROM range($total) r(i)
     ) ORDER BY ts, c`,
    {
      k: CHARACTERISTICS,
      n: PER_CHARACTERISTIC,
      t0: T0,
      every: EVERY_MS,
      total: CHARACTERISTICS * PER_CHARACTERISTIC,
    },
  );
  await warehouse.run("CHECKPOINT");
}

function characteristics() {
  return parseSpcSection({
    characteristics: Array.from({ length: CHARACTERISTICS }, (_, c) => ({
      name: `oven_f${c}`,
      source: {
        measurement: "bench",
        field: `f${c}`,
        where: { site: "S1", line: "L1", station: "oven" },
      },
      subgroup: { size: SUBGROUP },
      chart: "xbar-r",
      rules: "qcc",
      lsl: 95,
      usl: 105,
      baseline: { minSubgroups: 25 },
    })),
  }).characteristics;
}

/** The GROUP BY the job is held against: each subgroup's mean and range, in one scan. */
async function groupByScan(warehouse: Warehouse): Promise<number> {
  const result = await warehouse.connection.run(
    `SELECT field, (ts - $t0) // $width AS subgroup, avg(value) AS mean, max(value) - min(value) AS range
     FROM signal WHERE measurement = 'bench' GROUP BY ALL`,
    { t0: T0, width: SUBGROUP * EVERY_MS },
  );
  return result.rowCount;
}

/**
 * A floor for any job that writes the points: the same GROUP BY, and each subgroup's location and
 * dispersion lines (the job's own series keys and limits, captured from its first line of each
 * series) built by DuckDB's native string functions on every core, then only their lengths summed:
 * no rules, no transfer to JavaScript, no request bodies. Best of three.
 */
async function linesFloor(
  warehouse: Warehouse,
  prefixes: ReadonlyMap<string, string>,
): Promise<{ ms: number; cpuMs: number; value: { bytes: number } }> {
  await warehouse.run(
    "CREATE OR REPLACE TEMP TABLE bench_prefix (field VARCHAR, location VARCHAR, dispersion VARCHAR)",
  );
  for (let c = 0; c < CHARACTERISTICS; c++) {
    const of = (series: string) =>
      [...prefixes].find(
        ([key]) => key.includes(`characteristic=oven_f${c},`) && key.includes(`series=${series}`),
      )?.[1];
    const location = of("location");
    const dispersion = of("dispersion");
    if (location === undefined || dispersion === undefined)
      throw new Error(`no spc_point line of oven_f${c} was built`);
    await warehouse.run("INSERT INTO bench_prefix VALUES ($field, $location, $dispersion)", {
      field: `f${c}`,
      location,
      dispersion,
    });
  }
  let best: { ms: number; cpuMs: number; value: { bytes: number } } | undefined;
  for (let round = 0; round < 3; round++) {
    const run = await timed(async () => {
      const [row] = await warehouse.all<{ bytes: number }>(
        `WITH g AS (
           SELECT field, (ts - $t0) // $width AS subgroup, avg(value) AS mean,
             max(value) - min(value) AS range, max(ts) AS last
           FROM signal WHERE measurement = 'bench' GROUP BY ALL)
         SELECT sum(length(p.location || g.mean::VARCHAR || ' ' || g.last::VARCHAR)
           + length(p.dispersion || g.range::VARCHAR || ' ' || g.last::VARCHAR) + 2)::DOUBLE AS bytes
         FROM g JOIN bench_prefix p USING (field)`,
        { t0: T0, width: SUBGROUP * EVERY_MS },
      );
      return { bytes: row?.bytes ?? 0 };
    });
    if (best === undefined || run.ms < best.ms) best = run;
  }
  return best as { ms: number; cpuMs: number; value: { bytes: number } };
}

async function fromScratch(warehouse: Warehouse): Promise<void> {
  for (const c of characteristics()) await resetMonitoring(warehouse, c.name);
  await warehouse.run("DELETE FROM spc_baseline");
}

function context(
  warehouse: Warehouse,
  influx: Pick<InfluxClient, "write">,
  counts: { alerts: number },
): SpcJobContext {
  return {
    warehouse,
    influx,
    characteristics: characteristics(),
    send: () => {
      counts.alerts++;
    },
    now: () => T0 + PER_CHARACTERISTIC * EVERY_MS + 86_400_000,
    log: pino({ level: "silent" }),
    options: {
      settleMs: 0,
      ...(args.pass ? { maxReadingsPerPass: Number(args.pass) } : {}),
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "tracebox-bench-spc-"));
const total = CHARACTERISTICS * PER_CHARACTERISTIC;
console.log(
  `SPC job vs one DuckDB GROUP BY: ${CHARACTERISTICS} characteristics × ${PER_CHARACTERISTIC.toLocaleString("en-US")} readings = ${total.toLocaleString("en-US")}, subgroups of ${SUBGROUP}, X̄-R, qcc rules`,
);
const warehouse = await Warehouse.open(join(dir, "warehouse.duckdb"));
try {
  const generated = await timed(() => generate(warehouse));
  console.log(`generated in ${seconds(generated.ms)} (${dir})`);

  const counted = { lines: 0, bytes: 0, alerts: 0 };
  // The request body InfluxClient.write sends (the batch's lines joined, as UTF-8), built and
  // counted: joining flattens every line string, work the job's process does for each write.
  // The first spc_point line of each series, up to its value: the floor below builds the same.
  const prefixes = new Map<string, string>();
  const counter: Pick<InfluxClient, "write"> = {
    write: async (lines) => {
      const first = lines[0];
      if (first?.startsWith("spc_point,")) {
        const key = first.slice(0, first.indexOf(" "));
        if (!prefixes.has(key)) prefixes.set(key, first.slice(0, first.lastIndexOf("value=") + 6));
      }
      counted.lines += lines.length;
      counted.bytes += Buffer.from(lines.join("\n")).length + 1;
    },
  };
  const scans: number[] = [];
  const jobs: number[] = [];
  const scanCpu: number[] = [];
  const jobCpu: number[] = [];
  let groups = 0;
  let run: SpcRunResult | undefined;
  // Interleaved, so both see the same page cache and the same neighbours on a shared machine.
  for (let round = 0; round < 3; round++) {
    const scan = await timed(() => groupByScan(warehouse));
    scans.push(scan.ms);
    scanCpu.push(scan.cpuMs);
    groups = scan.value;
    if (round === 2) break;
    await fromScratch(warehouse);
    Object.assign(counted, { lines: 0, bytes: 0, alerts: 0 });
    const job = await timed(() => runSpc(context(warehouse, counter, counted)));
    jobs.push(job.ms);
    jobCpu.push(job.cpuMs);
    run = job.value;
  }
  const ratio = Math.min(...jobs) / Math.min(...scans);
  const cpuRatio = Math.min(...jobCpu) / Math.min(...scanCpu);
  console.log(
    `GROUP BY scan: wall ${scans.map(seconds).join(", ")}; cpu ${scanCpu.map(seconds).join(", ")}; ${groups.toLocaleString("en-US")} subgroups`,
  );
  console.log(
    `SPC job:       wall ${jobs.map(seconds).join(", ")}; cpu ${jobCpu.map(seconds).join(", ")}; read ${run?.rowsIn.toLocaleString("en-US")} readings, ${counted.lines.toLocaleString("en-US")} lines (${(counted.bytes / 1e6).toFixed(0)} MB) built, ${counted.alerts.toLocaleString("en-US")} alerts`,
  );
  console.log(
    `ratio job / scan (best of each): wall ${ratio.toFixed(2)}, cpu ${cpuRatio.toFixed(2)} (goal <= ${GOAL}: wall ${ratio <= GOAL ? "met" : "NOT met"}, cpu ${cpuRatio <= GOAL ? "met" : "NOT met"})`,
  );

  const floor = await linesFloor(warehouse, prefixes);
  console.log(
    `floor, DuckDB alone: the GROUP BY with each subgroup's two spc_point lines built in SQL (${(floor.value.bytes / 1e6).toFixed(0)} MB, summed, not fetched): wall ${seconds(floor.ms)}, cpu ${seconds(floor.cpuMs)} = ${(floor.ms / Math.min(...scans)).toFixed(2)}× the scan's wall, ${(floor.cpuMs / Math.min(...scanCpu)).toFixed(2)}× its cpu`,
  );

  // A scheduled run after the backlog: a minute of new readings per characteristic.
  const minute = 60;
  await insertSignal(
    warehouse,
    `SELECT 'bench', 'S1', 'L1', 'oven', NULL, 'f' || c, 100 + random() - 0.5, $from + s * $every
     FROM range($k) a(c), range($n) b(s)`,
    { k: CHARACTERISTICS, n: minute, from: T0 + PER_CHARACTERISTIC * EVERY_MS, every: EVERY_MS },
  );
  const incremental = await timed(() => runSpc(context(warehouse, counter, counted)));
  console.log(
    `incremental run (${minute} new readings × ${CHARACTERISTICS}): ${(incremental.ms).toFixed(0)} ms`,
  );

  if (args.influx) {
    const services = {
      ...DEFAULT_LOCAL_SERVICES,
      dir: join(dir, "services"),
      mqttPort: await freePort(),
      influxPort: await freePort(),
      influxRpcPort: await freePort(),
    };
    await servicesUp(services, { install: false, log: () => {}, only: ["influxdb"] });
    try {
      const influx = createInfluxClient({
        url: `http://127.0.0.1:${services.influxPort}`,
        database: "bench_spc",
        timeoutMs: 120_000,
      });
      await influx.ensureDatabase();
      await fromScratch(warehouse);
      const written = await timed(() => runSpc(context(warehouse, influx, { alerts: 0 })));
      console.log(
        `SPC job writing to a local InfluxDB 1.x: ${seconds(written.ms)} for ${written.value.rowsOut.toLocaleString("en-US")} lines (${Math.round(written.value.rowsOut / (written.ms / 1000)).toLocaleString("en-US")} lines/s); the job alone took ${seconds(Math.min(...jobs))}`,
      );
    } finally {
      await servicesDown(services);
    }
  }
  console.log(`rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
} finally {
  warehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
