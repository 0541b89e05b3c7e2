// `npm run bench:sync`: the warehouse sync's throughput against InfluxDB's own export of the same
// range. Starts a private InfluxDB on free ports in a temp dir, loads a plant's signals over plain
// HTTP line protocol, then alternates, round after round: InfluxDB exporting every measurement
// as CSV (`/query`, chunked, `Accept: application/csv`) to /dev/null, and `syncFromInflux` into a
// fresh warehouse file. The export that counts is read by the same client the sync reads with
// (`queryCsv`), so both sides pay the same for receiving; curl (C, another process) and a gzip
// answer are printed beside it. The best round of each counts (the machine may be shared); the
// median is printed beside it.
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { syncFromInflux, Warehouse } from "../analytics/warehouse/index.ts";
import { createInfluxClient, type InfluxClient, quoteIdent } from "../influx/index.ts";
import {
  DEFAULT_LOCAL_SERVICES,
  freePort,
  type LocalServicesOptions,
  servicesDown,
  servicesUp,
} from "../services/index.ts";
import { withSplitCores } from "./cores.ts";

/** Benchmark settings; one doc line per field. */
export interface SyncBenchOptions {
  /** Signal values to load (points × fields), about; default 3,000,000. */
  values: number;
  /** Rounds of export + sync; default 3. */
  rounds: number;
  /** Lines per write request while loading; default 5000. */
  batchLines: number;
  /** Rows per chunk the sync asks InfluxDB for; default the sync's own default. */
  chunkSize: number | undefined;
  /** Rows of a CSV answer DuckDB loads at a time; default the sync's own default. */
  partRows: number | undefined;
}

export const DEFAULT_SYNC_BENCH: SyncBenchOptions = {
  values: 3_000_000,
  rounds: 3,
  batchLines: 5000,
  chunkSize: undefined,
  partRows: undefined,
};

const HELP = `npm run bench:sync -- [options]

Loads a private InfluxDB with the simulator's signal shapes (reflow oven 18 fields at 10 Hz,
nitrogen 2 fields at 10 Hz, two hall sensors 2 fields at 1 Hz, profiler 3 fields at 10 Hz on every
40th board), then measures InfluxDB's own CSV export of the range and the sync into a warehouse.

  --values N   signal values to load (default ${DEFAULT_SYNC_BENCH.values})
  --rounds N   rounds of export + sync; the best counts (default ${DEFAULT_SYNC_BENCH.rounds})
  --chunk-size N  rows per chunk the sync asks for (default: the sync's default)
  --part-rows N   rows of an answer DuckDB loads at a time (default: the sync's default)
  --quick      smoke run: 200,000 values, 1 round
  --help`;

/** One channel of the plant, as the simulator publishes it. */
interface Channel {
  measurement: string;
  station: string;
  line: string;
  fields: string[];
  rateHz: number;
}

const CHANNELS: Channel[] = [
  {
    measurement: "reflow",
    station: "reflow",
    line: "line1",
    fields: [
      ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((z) => [`z${z}_top_c`, `z${z}_bot_c`]),
      "o2_ppm",
      "conveyor_cm_min",
    ],
    rateHz: 10,
  },
  {
    measurement: "nitrogen",
    station: "n2",
    line: "line1",
    fields: ["pressure_bar", "flow_m3_h"],
    rateHz: 10,
  },
  {
    measurement: "env",
    station: "env01",
    line: "hall",
    fields: ["humidity_rh", "temperature_c"],
    rateHz: 1,
  },
  {
    measurement: "env",
    station: "env02",
    line: "hall",
    fields: ["humidity_rh", "temperature_c"],
    rateHz: 1,
  },
];

/** Profiler: 326 s through the oven at 10 Hz, one board in 40 (a board every 25.5 s). */
const PROFILE = {
  fields: ["tc1_c", "tc2_c", "tc3_c"],
  seconds: 326,
  rateHz: 10,
  everyS: 40 * 25.5,
};

function valuesPerSecond(): number {
  const channels = CHANNELS.reduce((n, c) => n + c.fields.length * c.rateHz, 0);
  return channels + (PROFILE.fields.length * PROFILE.rateHz * PROFILE.seconds) / PROFILE.everyS;
}

function* lineProtocol(start: number, seconds: number): Generator<string> {
  const s = (v: number, digits: number) => v.toFixed(digits);
  for (const channel of CHANNELS) {
    const stepMs = 1000 / channel.rateHz;
    for (let i = 0; i < seconds * channel.rateHz; i++) {
      const t = start + Math.round(i * stepMs);
      const values = channel.fields
        .map((f, k) => `${f}=${s(100 + k * 10 + 5 * Math.sin(i / 500 + k), 2)}`)
        .join(",");
      yield `${channel.measurement},line=${channel.line},site=plant1,station=${channel.station} ${values} ${t}`;
    }
  }
  for (let board = 0; board * PROFILE.everyS < seconds - PROFILE.seconds; board++) {
    const entry = start + Math.round(board * PROFILE.everyS * 1000);
    const serial = `TBX2611270${String(board).padStart(3, "0")}A7`;
    for (let i = 0; i < PROFILE.seconds * PROFILE.rateHz; i++) {
      const values = PROFILE.fields
        .map((f, k) => `${f}=${s(25 + Math.min(220, i / 6) - k, 1)}`)
        .join(",");
      yield `profile,line=line1,serial=${serial},site=plant1,station=reflow ${values} ${entry + i * 100}`;
    }
  }
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a positive integer: ${raw}`);
  return value;
}

function parseOptions(argv: string[]): SyncBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      values: { type: "string" },
      rounds: { type: "string" },
      "chunk-size": { type: "string" },
      "part-rows": { type: "string" },
      quick: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const base = values.quick
    ? { ...DEFAULT_SYNC_BENCH, values: 200_000, rounds: 1 }
    : DEFAULT_SYNC_BENCH;
  return {
    ...base,
    values: positiveInt("values", values.values, base.values),
    rounds: positiveInt("rounds", values.rounds, base.rounds),
    chunkSize:
      values["chunk-size"] === undefined
        ? undefined
        : positiveInt("chunk-size", values["chunk-size"], 1),
    partRows:
      values["part-rows"] === undefined
        ? undefined
        : positiveInt("part-rows", values["part-rows"], 1),
  };
}

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Measured {
  wallS: number;
  influxCpuS: number;
  /** This process's CPU, plus what `work` reports of its child processes (curl). */
  benchCpuS: number;
}

async function measured(
  influxdPid: number,
  work: () => Promise<number | undefined>,
): Promise<Measured> {
  const influx0 = cpuSeconds(influxdPid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const childCpuS = (await work()) ?? 0;
  const cpu = process.cpuUsage(cpu0);
  return {
    wallS: (performance.now() - t0) / 1000,
    influxCpuS: cpuSeconds(influxdPid) - influx0,
    benchCpuS: (cpu.user + cpu.system) / 1e6 + childCpuS,
  };
}

function exportQuery(measurement: string): string {
  return `SELECT * FROM ${quoteIdent(measurement)} WHERE time >= $from AND time < $to GROUP BY *`;
}

/**
 * The export read by the client the sync uses (`queryCsv`: node:http, bytes as they come), and
 * dropped: what /dev/null does, without a write per piece (InfluxDB sends ~5 KB pieces, and a
 * stream to /dev/null doubled the reader's CPU, which made the baseline slower than InfluxDB).
 */
async function exportCsvClient(
  influx: InfluxClient,
  measurements: string[],
  range: { from: Date; to: Date },
): Promise<undefined> {
  let bytes = 0;
  for (const measurement of measurements) {
    for await (const piece of influx.queryCsv(exportQuery(measurement), range, {
      chunkSize: 10_000,
    }))
      bytes += piece.length;
  }
  if (bytes === 0) throw new Error("export: InfluxDB answered nothing");
  return undefined;
}

/** The export read by curl into /dev/null; returns curl's CPU seconds (user + system). */
async function exportCsvCurl(
  url: string,
  database: string,
  measurements: string[],
  range: { from: Date; to: Date },
): Promise<number> {
  let cpuS = 0;
  for (const measurement of measurements) {
    const form = new URLSearchParams({
      q: exportQuery(measurement),
      db: database,
      epoch: "ms",
      chunked: "true",
      chunk_size: "10000",
      params: JSON.stringify({ from: range.from.toISOString(), to: range.to.toISOString() }),
    });
    const args = ["-f", "%U %S", "curl", "-sS", "--fail", "-o", "/dev/null"];
    args.push("-H", "accept: application/csv", "-H", "accept-encoding: identity");
    args.push("--data-binary", form.toString(), `${url}/query`);
    const child = spawn("/usr/bin/time", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (bytes: Buffer) => {
      stderr += bytes.toString();
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new Error(`curl export: exit ${code}: ${stderr}`);
    const [user, system] = (stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
    cpuS += (user ?? 0) + (system ?? 0);
  }
  return cpuS;
}

async function exportCsv(
  url: string,
  database: string,
  measurements: string[],
  range: { from: Date; to: Date },
  encoding: "identity" | "gzip",
): Promise<undefined> {
  for (const measurement of measurements) {
    const form = new URLSearchParams({
      q: exportQuery(measurement),
      db: database,
      epoch: "ms",
      chunked: "true",
      chunk_size: "10000",
      params: JSON.stringify({ from: range.from.toISOString(), to: range.to.toISOString() }),
    });
    const response = await fetch(`${url}/query`, {
      method: "POST",
      body: form,
      headers: { accept: "application/csv", "accept-encoding": encoding },
    });
    if (!response.ok || !response.body) throw new Error(`export: ${response.status}`);
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream("/dev/null"));
  }
  return undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function run(options: SyncBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tracebox-bench-sync-"));
  const local: LocalServicesOptions = {
    ...DEFAULT_LOCAL_SERVICES,
    dir: join(dir, "services"),
    mqttPort: await freePort(),
    influxPort: await freePort(),
    influxRpcPort: await freePort(),
  };
  const cleanup = async () => {
    await servicesDown(local);
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => {
    process.stderr.write("\ninterrupted: stopping the benchmark's InfluxDB\n");
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const statuses = await servicesUp(local, {
      install: true,
      only: ["influxdb"],
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const influxdPid = statuses.find((s) => s.name === "influxdb" && s.state === "running")?.pid;
    if (influxdPid === undefined) throw new Error("influxdb is not running after services up");
    const url = `http://127.0.0.1:${local.influxPort}`;
    const influx = createInfluxClient({ url, database: "bench_sync", timeoutMs: 120_000 });
    await influx.ensureDatabase();

    const seconds = Math.max(PROFILE.seconds + 60, Math.round(options.values / valuesPerSecond()));
    const start = Math.floor((Date.now() - seconds * 1000 - 3_600_000) / 1000) * 1000;
    const end = start + seconds * 1000;
    process.stderr.write(`loading ${(seconds / 3600).toFixed(2)} h of a line…\n`);
    let batch: string[] = [];
    let points = 0;
    const load = await measured(influxdPid, async () => {
      await loadLines();
      return undefined;
    });
    async function loadLines(): Promise<void> {
      const writeUrl = `${url}/write?db=bench_sync&precision=ms`;
      const flush = async () => {
        const response = await fetch(writeUrl, { method: "POST", body: batch.join("\n") });
        if (response.status !== 204)
          throw new Error(`write: ${response.status} ${await response.text()}`);
        points += batch.length;
        batch = [];
      };
      for (const line of lineProtocol(start, seconds)) {
        batch.push(line);
        if (batch.length === options.batchLines) await flush();
      }
      if (batch.length > 0) await flush();
    }
    const measurements = [...new Set(CHANNELS.map((c) => c.measurement)), "profile"].sort();
    const range = { from: new Date(start), to: new Date(end) };

    // A first export warms InfluxDB's caches for every round alike.
    await exportCsv(url, "bench_sync", measurements, range, "identity");

    type Side = "client" | "curl" | "gzip" | "sync";
    let values = 0;
    /** The rounds of every side, and the report's rows for them under `title`. */
    const measureRounds = async (title: string): Promise<string[]> => {
      const rounds: Record<Side, Measured>[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        process.stderr.write(`${title}: round ${round}/${options.rounds}\n`);
        const client = await measured(influxdPid, () =>
          exportCsvClient(influx, measurements, range),
        );
        const curl = await measured(influxdPid, () =>
          exportCsvCurl(url, "bench_sync", measurements, range),
        );
        const gzip = await measured(influxdPid, () =>
          exportCsv(url, "bench_sync", measurements, range, "gzip"),
        );
        const path = join(dir, `warehouse-${round}.duckdb`);
        const sync = await measured(influxdPid, async () => {
          const warehouse = await Warehouse.open(path);
          try {
            const result = await syncFromInflux(warehouse, influx, {
              now: () => end,
              safetyLagMs: 0,
              ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
              ...(options.partRows === undefined ? {} : { csvPartRows: options.partRows }),
            });
            if (result.rowsIn !== points)
              throw new Error(`sync read ${result.rowsIn} points, ${points} were loaded`);
            values = result.rowsOut;
          } finally {
            warehouse.close();
          }
          return undefined;
        });
        rmSync(path, { force: true });
        rmSync(`${path}.wal`, { force: true });
        rounds.push({ client, curl, gzip, sync });
      }
      const best = (key: Side) => Math.min(...rounds.map((r) => r[key].wallS));
      const mid = (key: Side) => median(rounds.map((r) => r[key].wallS));
      const cpu = (key: Side) => {
        const r = rounds.find((x) => x[key].wallS === best(key)) as (typeof rounds)[number];
        return `InfluxDB ${r[key].influxCpuS.toFixed(1)} s + bench ${r[key].benchCpuS.toFixed(1)} s CPU`;
      };
      const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString("en-US")}/s`;
      const row = (label: string, key: Side) =>
        `  ${label.padEnd(38)} best ${best(key).toFixed(2)} s (median ${mid(key).toFixed(2)} s)  ` +
        `${rate(points, best(key))} points, ${rate(values, best(key))} values  [${cpu(key)}]`;
      return [
        `${title}:`,
        row("InfluxDB CSV export, read by queryCsv", "client"),
        row("InfluxDB CSV export, read by curl", "curl"),
        row("InfluxDB CSV export (gzip, fetch)", "gzip"),
        row("sync into a warehouse file", "sync"),
        `  ratio sync / export: ${(best("client") / best("sync")).toFixed(2)} against the export read by queryCsv (goal 0.8), ` +
          `${(best("curl") / best("sync")).toFixed(2)} against curl's, ` +
          `${(best("gzip") / best("sync")).toFixed(2)} against the gzip one`,
      ];
    };

    const shared = await measureRounds("every process on every core");
    // Again with InfluxDB on cores of its own and the bench (the sync, its DuckDB threads, curl) on
    // the others: on a small machine shared by both, the ratio above also measures who gets the CPU.
    const pinned = await withSplitCores([influxdPid], [], (cores) =>
      measureRounds(
        `InfluxDB on CPU ${cores.database}, the export's reader and the sync on CPU ${cores.rest}`,
      ),
    );
    const split = pinned?.value ?? ["(split cores skipped: one core, or no taskset)"];
    const out = [
      "",
      `tracebox sync benchmark — ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
      `loaded ${points.toLocaleString("en-US")} points = ${values.toLocaleString("en-US")} values in ${(seconds / 3600).toFixed(2)} h of data (${load.wallS.toFixed(1)} s), ${options.rounds} rounds`,
      ...shared,
      ...split,
      "",
    ];
    process.stdout.write(out.join("\n"));
  } finally {
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
    await cleanup();
  }
}

const parsed = parseOptions(process.argv.slice(2));
if (parsed === "help") process.stdout.write(`${HELP}\n`);
else await run(parsed);
