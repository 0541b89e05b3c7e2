// `npm run bench:ingest`: what the ingestor costs against the database's own write ceiling.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type LocalServicesOptions, servicesDown } from "../services/index.ts";
import { runBenchCommand } from "./cli.ts";
import { type BenchServices, startBenchServices } from "./context.ts";
import { withSplitCores } from "./cores.ts";
import { settle } from "./database.ts";
import { measureDirect } from "./direct.ts";
import { findings } from "./findings.ts";
import { IngestorProcess } from "./ingestor-process.ts";
import { measureLatency } from "./latency.ts";
import { describeMachine } from "./machine.ts";
import { measureDrain, measurePipeline } from "./pipeline-run.ts";
import { busyCores } from "./proc.ts";
import { DEFAULT_PUBLISHER } from "./publisher.ts";
import { formatReport, type IngestBenchReport, type WorkloadResult } from "./report.ts";
import { DEFAULT_WORKLOAD, FIELDS, Workload } from "./workload.ts";

/** Benchmark settings; one TSDoc line per field. */
export interface IngestBenchOptions {
  /** Points of the batched-sample workload; default 1,500,000 (about 10–15 s through the pipeline on 2 idle cores). */
  points: number;
  /** Points (= messages) of the single-reading workload; default 400,000. */
  singlePoints: number;
  /** Samples per batched message; default 200. */
  samples: number;
  /** Length of the paced latency run, seconds; default 12. */
  latencySeconds: number;
  /** Lines per direct write request; default 5000. */
  batchLines: number;
  /** Direct writes in flight to try; the best is the ceiling; default 1..4. */
  concurrencies: number[];
  /** Direct runs per concurrency, the median counts; default 3. */
  rounds: number;
  /** A smoke run: small workloads, not representative. */
  quick: boolean;
  /** Where the JSON report goes; default bench/results. */
  resultsDir: string;
  /** Directory for a V8 CPU profile of each ingestor run (open in Chrome DevTools); default none. */
  cpuProfileDir?: string;
}

export const DEFAULT_INGEST_BENCH: IngestBenchOptions = {
  points: 1_500_000,
  singlePoints: 400_000,
  samples: DEFAULT_WORKLOAD.samplesPerMessage,
  latencySeconds: 12,
  batchLines: 5000,
  concurrencies: [1, 2, 3, 4],
  rounds: 3,
  quick: false,
  resultsDir: join(import.meta.dirname, "results"),
};

const QUICK: Partial<IngestBenchOptions> = {
  points: 100_000,
  singlePoints: 10_000,
  latencySeconds: 3,
  rounds: 1,
};

const HELP = `npm run bench:ingest -- [options]

Starts a private Mosquitto and InfluxDB on free ports, measures the direct write ceiling and the
MQTT → tracebox ingest → InfluxDB pipeline for batched samples and for single readings, then the
end-to-end latency at half the single-reading maximum, and stops both services.

  --points N          points of the batched-sample workload (default ${DEFAULT_INGEST_BENCH.points})
  --single-points N   points (= messages) of the single-reading workload (default ${DEFAULT_INGEST_BENCH.singlePoints})
  --samples N         samples per batched message (default ${DEFAULT_INGEST_BENCH.samples})
  --latency-seconds S length of the latency run (default ${DEFAULT_INGEST_BENCH.latencySeconds})
  --rounds N          direct runs per concurrency, median counts (default ${DEFAULT_INGEST_BENCH.rounds})
  --quick             smoke run: ${QUICK.points} + ${QUICK.singlePoints} points, ${QUICK.latencySeconds} s latency, 1 round
  --cpu-prof DIR      write a V8 CPU profile of every ingestor run into DIR (for Chrome DevTools)
  --help

TRACEBOX_INGEST_* variables in the environment are passed to the ingestor (to compare tunings).
Report on stdout, progress on stderr, JSON in bench/results/ingest-<date>.json (and
ingest-latest.json for full runs).`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a positive integer: ${raw}`);
  return value;
}

export function parseOptions(argv: string[]): IngestBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      points: { type: "string" },
      "single-points": { type: "string" },
      samples: { type: "string" },
      "latency-seconds": { type: "string" },
      rounds: { type: "string" },
      quick: { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const base = { ...DEFAULT_INGEST_BENCH, ...(values.quick ? QUICK : {}), quick: values.quick };
  return {
    ...base,
    points: positiveInt("points", values.points, base.points),
    singlePoints: positiveInt("single-points", values["single-points"], base.singlePoints),
    samples: positiveInt("samples", values.samples, base.samples),
    latencySeconds: positiveInt("latency-seconds", values["latency-seconds"], base.latencySeconds),
    rounds: positiveInt("rounds", values.rounds, base.rounds),
    ...(values["cpu-prof"] === undefined ? {} : { cpuProfileDir: values["cpu-prof"] }),
  };
}

interface Form {
  form: string;
  samplesPerMessage: number;
  points: number;
}

/** One workload: the direct ceiling, the pipeline and the drain, on the same database. */
async function measureWorkload(
  services: BenchServices,
  options: IngestBenchOptions,
  f: Form,
  layout: WorkloadResult["layout"],
): Promise<WorkloadResult> {
  const where = layout.kind === "shared" ? "" : ", split cores";
  const direct = await measureDirect(services, {
    title: `direct, ${f.form}${where}`,
    workload: new Workload({
      points: f.points,
      prefix: "direct",
      samplesPerMessage: f.samplesPerMessage,
    }),
    batchLines: options.batchLines,
    concurrencies: options.concurrencies,
    rounds: options.rounds,
  });
  await settle(services.influxdPid);
  const spec = { points: f.points, samplesPerMessage: f.samplesPerMessage };
  const pipeline = await measurePipeline(services, {
    title: `pipeline, ${f.form}${where}`,
    ...spec,
  });
  await settle(services.influxdPid);
  const drain = await measureDrain(services, { title: `drain, ${f.form}${where}`, ...spec });
  process.stderr.write(
    `${f.form}${where}: direct ${Math.round(direct.best.pointsPerSecond)}, pipeline ${Math.round(pipeline.pointsPerSecond)}, drain ${Math.round(drain.pointsPerSecond)} points/s\n`,
  );
  return {
    form: f.form,
    layout,
    samplesPerMessage: f.samplesPerMessage,
    points: f.points,
    direct,
    pipeline,
    ratio: pipeline.pointsPerSecond / direct.best.pointsPerSecond,
    drain,
    drainRatio: drain.pointsPerSecond / direct.best.pointsPerSecond,
  };
}

async function run(options: IngestBenchOptions): Promise<IngestBenchReport> {
  const startedAt = new Date();
  const clock = performance.now();
  const machine = describeMachine();
  const busyCoresBefore = await busyCores(2000);
  const dir = mkdtempSync(join(tmpdir(), "tracebox-bench-"));
  if (options.cpuProfileDir !== undefined) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    IngestorProcess.cpuProfileDir = resolve(options.cpuProfileDir);
  }
  let local: LocalServicesOptions | undefined;
  const cleanup = async () => {
    await IngestorProcess.stopAll();
    if (local) await servicesDown(local);
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => {
    process.stderr.write("\ninterrupted: stopping the benchmark's ingestor and services\n");
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const started = await startBenchServices(dir);
    local = started.local;
    const { services } = started;
    const forms = [
      { form: "batched samples", samplesPerMessage: options.samples, points: options.points },
      { form: "single readings", samplesPerMessage: 1, points: options.singlePoints },
    ];
    const workloads: WorkloadResult[] = [];
    for (const f of forms)
      workloads.push(await measureWorkload(services, options, f, { kind: "shared" }));
    const single = workloads.find((w) => w.samplesPerMessage === 1) as WorkloadResult;
    await settle(services.influxdPid);
    const latency = await measureLatency(services, {
      rate: single.pipeline.messagesPerSecond / 2,
      seconds: options.latencySeconds,
    });
    // The batched workload again with InfluxDB on cores of its own: on a small machine shared by
    // all, the ratio above measures who gets the CPU as much as what the ingestor costs.
    const split = await withSplitCores(
      [services.influxdPid],
      [services.mosquittoPid],
      async (cores) => {
        await settle(services.influxdPid);
        return measureWorkload(services, options, forms[0] as Form, { kind: "split", ...cores });
      },
    );
    if (split === undefined)
      process.stderr.write("one core or no taskset: the split-core measurement is skipped\n");
    else workloads.push(split.value);
    const ingestorEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => e[0].startsWith("TRACEBOX_INGEST_") && e[1] !== undefined,
      ),
    );
    const partial = {
      latency: {
        ...latency,
        method:
          "single readings published at a paced rate (1 ms timer), one MQTT 5 connection; each has its own ts; every Nth (about 50 per second) carries a `probe` field with its sequence number. A probe queries `SELECT probe FROM reflow WHERE time >= <ts of the oldest marker not yet seen>` back to back (5 ms pause). Latency of a marker = first probe answer holding it − its publish call (upper bound); the send of the last probe that missed it gives a lower bound. Resolution: one probe cycle.",
      },
    };
    const args = process.argv.slice(2);
    const report: Omit<IngestBenchReport, "findings"> = {
      benchmark: "ingest",
      startedAt: startedAt.toISOString(),
      durationSeconds: (performance.now() - clock) / 1000,
      command: ["npm run bench:ingest", ...(args.length > 0 ? ["--", ...args] : [])].join(" "),
      quick: options.quick,
      machine,
      busyCoresBefore,
      setup: {
        stations: DEFAULT_WORKLOAD.stations,
        fieldsPerPoint: FIELDS.length,
        directBatchLines: options.batchLines,
        publisher: { ...DEFAULT_PUBLISHER },
        ingestorEnv,
      },
      workloads,
      ...partial,
    };
    return { ...report, findings: findings(report) };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await cleanup();
  }
}

await runBenchCommand({
  name: "ingest",
  help: HELP,
  parse: parseOptions,
  run,
  format: formatReport,
});
