// `npm run bench:live-spc`: how long from a subgroup's last reading being in InfluxDB to its
// spc_point being there, through the real broker, `tracebox ingest` and `tracebox jobs` on their
// default schedules. The goal (issue 5): within 30 s.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import mqtt, { type MqttClient } from "mqtt";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { parse as parseYaml, stringify } from "yaml";
import { type Characteristic, parseSpcSection } from "../analytics/spc-job/index.ts";
import { createInfluxClient, type InfluxClient, rows } from "../influx/index.ts";
import { DEFAULT_SCHEDULES } from "../jobs/index.ts";
import { freePort, type LocalServicesOptions, servicesDown } from "../services/index.ts";
import { COMPONENTS, PRODUCT } from "../simulator/index.ts";
import { runBenchCommand } from "./cli.ts";
import { startBenchServices } from "./context.ts";
import { IngestorProcess } from "./ingestor-process.ts";
import { childEnv, JobsProcess, runTracebox } from "./jobs-process.ts";
import { describeMachine, type Machine } from "./machine.ts";
import { busyCores, CpuMeter } from "./proc.ts";
import { summarize } from "./stats.ts";
import {
  type BoardSighting,
  judgeLatencies,
  judgingTick,
  type LatencyVerdict,
  type PointSighting,
  periodicSchedule,
  type SubgroupLatency,
  subgroupLatencies,
} from "./subgroup-latency.ts";

/** Benchmark settings; one TSDoc line per field. */
export interface LiveSpcBenchOptions {
  /** Length of the live phase, seconds (it runs on to the end of the subgroup in progress); default 200. */
  liveSeconds: number;
  /** Shortest gap between two boards at SPI, ms; default 2000. */
  minGapMs: number;
  /** Longest gap between two boards at SPI, ms; default 5000. */
  maxGapMs: number;
  /** How often InfluxDB is asked for new SPI points and spc_points, ms; default 250. */
  pollMs: number;
  /** Longest wait for the last subgroups' points after the last board, seconds; default 45. */
  drainSeconds: number;
  /** The characteristic of tracebox.example.yaml to judge (an `spi` volume field, subgroups by size); default spi-volume. */
  characteristic: string;
  /** The live goal, ms; default 30000. */
  goalMs: number;
  /** Seed of the board pace and the paste volumes; default 1. */
  seed: number;
  /** A smoke run: a short live phase, not representative. */
  quick: boolean;
  /** Where the JSON report goes; default bench/results. */
  resultsDir: string;
}

export const DEFAULT_LIVE_SPC_BENCH: LiveSpcBenchOptions = {
  liveSeconds: 200,
  minGapMs: 2000,
  maxGapMs: 5000,
  pollMs: 250,
  drainSeconds: 45,
  characteristic: "spi-volume",
  goalMs: 30_000,
  seed: 1,
  quick: false,
  resultsDir: join(import.meta.dirname, "results"),
};

const QUICK: Partial<LiveSpcBenchOptions> = { liveSeconds: 40 };

const EXAMPLE_CONFIG = join(import.meta.dirname, "..", "tracebox.example.yaml");
const SITE = "plant1";
const LINE = "line1";
const STATION = "spi1";
/** A board's SPI inspection takes this long after it enters the station, ms. */
const INSPECTION_MS = 1500;

const HELP = `npm run bench:live-spc -- [options]

Starts a private Mosquitto and InfluxDB on free ports, \`tracebox ingest\` and \`tracebox jobs\`
(default schedules) with one SPC characteristic of tracebox.example.yaml, publishes a backlog of
boards for the first baseline, then boards at line pace, and measures for every subgroup the time
from its last reading being queryable in InfluxDB to its spc_point being queryable.

  --live-seconds S    length of the live phase (default ${DEFAULT_LIVE_SPC_BENCH.liveSeconds})
  --min-gap-ms N      shortest gap between boards (default ${DEFAULT_LIVE_SPC_BENCH.minGapMs})
  --max-gap-ms N      longest gap between boards (default ${DEFAULT_LIVE_SPC_BENCH.maxGapMs})
  --poll-ms N         InfluxDB poll period (default ${DEFAULT_LIVE_SPC_BENCH.pollMs})
  --characteristic C  characteristic of tracebox.example.yaml (default ${DEFAULT_LIVE_SPC_BENCH.characteristic})
  --seed N            seed of pace and volumes (default ${DEFAULT_LIVE_SPC_BENCH.seed})
  --quick             smoke run: ${QUICK.liveSeconds} s live
  --help

Report on stdout, progress on stderr, JSON in bench/results/live-spc-<date>.json (and
live-spc-latest.json for full runs).`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a positive integer: ${raw}`);
  return value;
}

export function parseOptions(argv: string[]): LiveSpcBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      "live-seconds": { type: "string" },
      "min-gap-ms": { type: "string" },
      "max-gap-ms": { type: "string" },
      "poll-ms": { type: "string" },
      characteristic: { type: "string" },
      seed: { type: "string" },
      quick: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const base = { ...DEFAULT_LIVE_SPC_BENCH, ...(values.quick ? QUICK : {}), quick: values.quick };
  const options = {
    ...base,
    liveSeconds: positiveInt("live-seconds", values["live-seconds"], base.liveSeconds),
    minGapMs: positiveInt("min-gap-ms", values["min-gap-ms"], base.minGapMs),
    maxGapMs: positiveInt("max-gap-ms", values["max-gap-ms"], base.maxGapMs),
    pollMs: positiveInt("poll-ms", values["poll-ms"], base.pollMs),
    characteristic: values.characteristic ?? base.characteristic,
    seed: positiveInt("seed", values.seed, base.seed),
  };
  if (options.maxGapMs < options.minGapMs)
    throw new RangeError(
      `--max-gap-ms ${options.maxGapMs} must be at least --min-gap-ms ${options.minGapMs}`,
    );
  return options;
}

/**
 * The `spc` section the jobs run with: the example's, with only the chosen characteristic, which
 * must be an SPI volume field subgrouped by size (what this benchmark's boards feed).
 */
export function spcSectionFor(example: unknown, name: string): Record<string, unknown> {
  const spc = (example as { spc?: { characteristics?: { name?: string }[] } }).spc;
  const chosen = spc?.characteristics?.find((c) => c.name === name);
  if (!spc || !chosen)
    throw new Error(`tracebox.example.yaml has no spc characteristic named ${name}`);
  const section = { ...spc, characteristics: [chosen] };
  const [characteristic] = parseSpcSection(section).characteristics as [Characteristic];
  const { source, subgroup } = characteristic;
  if (
    source.kind !== "record" ||
    source.table !== "spi_board" ||
    !source.field.startsWith("volume_pct_") ||
    subgroup.kind !== "size"
  ) {
    throw new Error(
      `characteristic ${name}: this benchmark feeds SPI boards (spi volume_pct_mean/min/max) subgrouped by size; it has ${JSON.stringify({ source, subgroup })}`,
    );
  }
  return section;
}

/** Seeded draws for the pace and the paste deposits, so two runs publish the same boards. */
class Draws {
  private readonly generator;
  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed >>> 0);
    this.generator.jump();
  }
  between(low: number, high: number): number {
    return low + (high - low) * uniformFloat64(this.generator);
  }
  /** Normal(mean, sd), Box–Muller. */
  normal(mean: number, sd: number): number {
    const u = 1 - uniformFloat64(this.generator);
    const v = uniformFloat64(this.generator);
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** One board's SPI record as the station publishes it: every pad of the product, paste in control. */
export function spiBoard(draws: Draws, serial: string, ts: number): Record<string, unknown> {
  const boardShift = draws.normal(0, 2.5);
  const pads = COMPONENTS.flatMap((component) =>
    component.pads.map((pad) => {
      const volume = 100 + boardShift + draws.normal(0, 4);
      return {
        ref: `${component.ref}.${pad}`,
        volume_pct: round1(volume),
        height_um: round1(PRODUCT.stencilUm * (1 + (volume / 100 - 1) * 0.35)),
        area_pct: round1(100 + draws.normal(0, 3)),
        offset_x_um: round1(draws.normal(0, 12)),
        offset_y_um: round1(draws.normal(0, 12)),
      };
    }),
  );
  return { ts, serial, product: PRODUCT.name, result: "pass", pads };
}

/** A board's visit of the SPI station: unit start, its SPI record, unit complete. */
async function publishBoard(
  client: MqttClient,
  draws: Draws,
  serial: string,
  ts: number,
): Promise<BoardSighting> {
  const topic = (channel: string) => `ems/${SITE}/${LINE}/${STATION}/${channel}`;
  const spi = JSON.stringify(spiBoard(draws, serial, ts));
  const start = JSON.stringify({ ts: ts - INSPECTION_MS, serial, event: "start" });
  const complete = JSON.stringify({
    ts,
    serial,
    event: "complete",
    product: PRODUCT.name,
    result: "pass",
  });
  await client.publishAsync(topic("unit"), start, { qos: 1 });
  await client.publishAsync(topic("spi"), spi, { qos: 1 });
  const ackedAt = Date.now();
  await client.publishAsync(topic("unit"), complete, { qos: 1 });
  return { serial, ts, ackedAt };
}

/** What the polls have seen so far. */
class Sightings {
  /** SPI points by ts: the board of that ts was first seen at. */
  readonly boardSeen = new Map<number, number>();
  readonly points = new Map<number, PointSighting & { baselineVersion: number; phase: number }>();
  readonly roundTrips: number[] = [];
  polls = 0;
  errors = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly influx: InfluxClient,
    private readonly characteristic: string,
    private readonly field: string,
    private readonly from: Date,
    private readonly periodMs: number,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const sent = Date.now();
      try {
        const [spi, spc] = await Promise.all([
          this.influx.query(`SELECT "${this.field}" FROM "spi" WHERE time >= $from`, {
            from: this.from,
          }),
          this.influx.query(
            `SELECT "value", "baseline_version", "phase" FROM "spc_point" WHERE "characteristic" = $characteristic AND "series" = 'location' AND time >= $from`,
            { characteristic: this.characteristic, from: this.from },
          ),
        ]);
        const answered = Date.now();
        this.polls += 1;
        this.roundTrips.push(answered - sent);
        for (const row of rows(spi)) {
          const ts = row.time as number;
          if (!this.boardSeen.has(ts)) this.boardSeen.set(ts, answered);
        }
        for (const row of rows(spc)) {
          const ts = row.time as number;
          if (this.points.has(ts)) continue;
          this.points.set(ts, {
            ts,
            seenAt: answered,
            baselineVersion: Number(row.baseline_version),
            phase: Number(row.phase),
          });
        }
      } catch {
        this.errors += 1;
      }
      await sleep(Math.max(0, this.periodMs - (Date.now() - sent)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** A job run as `tracebox jobs` recorded it in InfluxDB (`tracebox_job`). */
interface JobRunSummary {
  runs: number;
  failed: number;
  skipped: number;
  durationSeconds: { p50: number; max: number } | null;
  /** Each failed run: when it ended (ISO) and its error. */
  failures: { endedAt: string; error: string }[];
}

async function jobRuns(
  influx: InfluxClient,
  from: Date,
  to: Date,
): Promise<Record<string, JobRunSummary>> {
  const result = await influx.query(
    `SELECT "duration_s", "status", "error" FROM "tracebox_job" WHERE time >= $from AND time <= $to GROUP BY "job"`,
    { from, to },
  );
  const out: Record<string, JobRunSummary> = {};
  for (const series of result.series) {
    const job = series.tags?.job ?? "?";
    const runs = rows(series);
    const durations = runs
      .filter((r) => r.status === "ok" || r.status === "failed")
      .map((r) => Number(r.duration_s));
    const s = durations.length > 0 ? summarize(durations) : null;
    out[job] = {
      runs: runs.length,
      failed: runs.filter((r) => r.status === "failed").length,
      skipped: runs.filter((r) => r.status === "skipped-overlap").length,
      durationSeconds: s ? { p50: s.p50, max: s.max } : null,
      failures: runs
        .filter((r) => r.status === "failed")
        .map((r) => ({
          endedAt: new Date(r.time as number).toISOString(),
          error: String(r.error),
        })),
    };
  }
  return out;
}

interface SubgroupRow extends SubgroupLatency {
  /** The SPC run that can first judge it starts this long after its last reading's ts, ms (schedule and settle alone). */
  scheduleMs: number | null;
}

export interface LiveSpcReport {
  benchmark: "live-spc";
  startedAt: string;
  durationSeconds: number;
  command: string;
  quick: boolean;
  machine: Machine;
  /** Cores the rest of the machine kept busy in the 2 s before the run. */
  busyCoresBefore: number;
  setup: {
    characteristic: Record<string, unknown>;
    settleMs: number;
    schedules: Record<string, string>;
    /** The line `tracebox jobs` printed at start: the schedules it actually runs. */
    jobsAnnounced: string;
    pace: { minGapMs: number; maxGapMs: number; seed: number };
    padsPerBoard: number;
    backlogBoards: number;
    liveBoards: number;
    pollMs: number;
  };
  baseline: {
    /** From the backlog's last publish to the first baseline's points all queryable, ms. */
    readyAfterMs: number;
    /** `tracebox baseline list` after the run. */
    versions: unknown;
  };
  polls: { count: number; errors: number; roundTripMs: { p50: number; max: number } };
  method: string;
  subgroups: SubgroupRow[];
  strayPoints: number;
  /** spc_point queryable − last reading queryable: the measure of the goal. */
  latency: LatencyVerdict;
  /** spc_point queryable − the last reading's PUBACK. */
  latencyFromAck: LatencyVerdict;
  /** spc_point queryable − the last reading's ts. */
  latencyFromTs: LatencyVerdict;
  /** Runs recorded by `tracebox jobs` during the live phase and the drain. */
  jobRuns: Record<string, JobRunSummary>;
  /** CPU seconds during the live phase and the drain, and each one's share of a core. */
  cpu: Record<string, { cpuSeconds: number; coreShare: number }>;
  verdict: string;
}

async function run(options: LiveSpcBenchOptions): Promise<LiveSpcReport> {
  const startedAt = new Date();
  const clock = performance.now();
  const machine = describeMachine();
  const busyCoresBefore = await busyCores(2000);
  const example = parseYaml(readFileSync(EXAMPLE_CONFIG, "utf8")) as unknown;
  const spcSection = spcSectionFor(example, options.characteristic);
  const spc = parseSpcSection(spcSection);
  const characteristic = spc.characteristics[0] as Characteristic;
  const size = characteristic.subgroup.kind === "size" ? characteristic.subgroup.size : 1;
  const field = characteristic.source.kind === "record" ? characteristic.source.field : "";
  const backlogBoards = characteristic.baseline.minSubgroups * size;

  const dir = mkdtempSync(join(tmpdir(), "tracebox-bench-live-spc-"));
  let local: LocalServicesOptions | undefined;
  let sightings: Sightings | undefined;
  let client: MqttClient | undefined;
  const cleanup = async () => {
    await sightings?.stop();
    await client?.endAsync().catch(() => {});
    await JobsProcess.stopAll();
    await IngestorProcess.stopAll();
    if (local) await servicesDown(local);
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => {
    process.stderr.write("\ninterrupted: stopping the benchmark's processes and services\n");
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const { local: started, services } = await startBenchServices(dir);
    local = started;
    const { mqttUrl, influxUrl } = services;
    const database = "tracebox_live_spc";
    const configFile = join(dir, "tracebox.yaml");
    writeFileSync(configFile, stringify({ spc: spcSection }));
    const ingestor = await IngestorProcess.start({
      mqttUrl,
      influxUrl,
      database,
      prefix: "ems",
      dataDir: join(dir, "ingest"),
    });
    const jobsPort = await freePort();
    const jobsEnv = childEnv({
      TRACEBOX_CONFIG: configFile,
      TRACEBOX_MQTT_URL: mqttUrl,
      TRACEBOX_MQTT_CLIENT_ID: "bench-live-spc",
      TRACEBOX_INFLUX_URL: influxUrl,
      TRACEBOX_INFLUX_DB: database,
      TRACEBOX_DATA_DIR: join(dir, "jobs"),
      TRACEBOX_JOBS_HTTP_PORT: String(jobsPort),
      TRACEBOX_LOG_LEVEL: "warn",
    });
    const jobs = await JobsProcess.start(jobsEnv, jobsPort);
    const influx = createInfluxClient({ url: influxUrl, database, timeoutMs: 10_000 });
    client = await mqtt.connectAsync(mqttUrl, {
      protocolVersion: 5,
      clientId: "bench-live-spc-station",
    });
    const draws = new Draws(options.seed);
    const serial = (n: number) => `BLS${String(n).padStart(6, "0")}`;

    // The line has been running: a backlog of exactly the first baseline's boards, 3 s apart and
    // settled, so the job's first run freezes and approves the baseline (autoApproveFirst) and
    // every live subgroup is judged against frozen limits, as in production.
    const backlogEnd = Date.now() - spc.options.settleMs - 5000;
    const backlogStart = backlogEnd - (backlogBoards - 1) * 3000;
    process.stderr.write(
      `publishing a backlog of ${backlogBoards} boards for the first baseline (${characteristic.baseline.minSubgroups} subgroups of ${size})\n`,
    );
    for (let i = 0; i < backlogBoards; i++) {
      await publishBoard(client, draws, serial(i + 1), backlogStart + i * 3000);
    }
    const backlogPublished = Date.now();
    sightings = new Sightings(
      influx,
      characteristic.name,
      field,
      new Date(backlogStart),
      options.pollMs,
    );
    sightings.start();
    const baselineDeadline = Date.now() + 90_000;
    while (sightings.points.size < characteristic.baseline.minSubgroups) {
      if (Date.now() > baselineDeadline || !jobs.running)
        throw new Error(
          `the first baseline's points did not appear within 90 s (${sightings.points.size} of ${characteristic.baseline.minSubgroups}):\n${jobs.recentOutput}`,
        );
      await sleep(100);
    }
    const readyAfterMs = Date.now() - backlogPublished;
    process.stderr.write(
      `first baseline's ${sightings.points.size} points queryable ${(readyAfterMs / 1000).toFixed(1)} s after the backlog; live phase of ${options.liveSeconds} s\n`,
    );

    // Live: boards at line pace; each gap drawn, the schedule absolute so a slow ack never shifts it.
    const pids: Record<string, number> = {
      ingestor: ingestor.pid,
      jobs: jobs.pid,
      bench: process.pid,
      mosquitto: services.mosquittoPid,
      influxd: services.influxdPid,
    };
    const cpu = new CpuMeter(pids).start();
    const liveFrom = new Date();
    const liveStart = Date.now();
    const published: Promise<BoardSighting>[] = [];
    let next = liveStart;
    for (let n = 0; ; n++) {
      const elapsed = Date.now() - liveStart;
      if (elapsed >= options.liveSeconds * 1000 && (backlogBoards + n) % size === 0) break;
      await sleep(Math.max(0, next - Date.now()));
      published.push(publishBoard(client, draws, serial(backlogBoards + n + 1), Date.now()));
      next += draws.between(options.minGapMs, options.maxGapMs);
      if (n % 10 === 9)
        process.stderr.write(
          `  ${n + 1} boards, ${sightings.points.size - characteristic.baseline.minSubgroups} live points\n`,
        );
    }
    const live = await Promise.all(published);
    const lastPublished = Date.now();
    const closing = live.filter((_, i) => (backlogBoards + i + 1) % size === 0);
    process.stderr.write(
      `${live.length} live boards (${closing.length} subgroups); waiting up to ${options.drainSeconds} s for their points\n`,
    );
    while (
      Date.now() - lastPublished < options.drainSeconds * 1000 &&
      !closing.every((b) => sightings?.points.has(b.ts))
    ) {
      await sleep(100);
    }
    await sightings.stop();
    const cpuUsed = cpu.stop();
    const runs = await jobRuns(influx, liveFrom, new Date());
    const jobsAnnounced =
      jobs.recentOutput.split("\n").find((line) => line.startsWith("jobs: ")) ?? "";
    await jobs.stop();
    const listed = await runTracebox(
      ["baseline", "list", "--characteristic", characteristic.name, "--format", "json"],
      jobsEnv,
    );
    const versions: unknown =
      listed.code === 0 ? JSON.parse(listed.stdout) : { error: listed.stderr.trim() };

    const boards: BoardSighting[] = live.map((b) => {
      const seenAt = sightings?.boardSeen.get(b.ts);
      return seenAt === undefined ? b : { ...b, seenAt };
    });
    const { subgroups, strayPoints } = subgroupLatencies(boards, [...sightings.points.values()], {
      size,
      readingsBefore: backlogBoards,
    });
    const spcSchedule = periodicSchedule(DEFAULT_SCHEDULES.spc);
    const rowsOut: SubgroupRow[] = subgroups.map((s) => ({
      ...s,
      scheduleMs: spcSchedule
        ? judgingTick(s.lastTs, spc.options.settleMs, spcSchedule) - s.lastTs
        : null,
    }));
    const latency = judgeLatencies(
      subgroups.map((s) => s.fromQueryableMs),
      options.goalMs,
    );
    const rt = summarize(sightings.roundTrips);
    const args = process.argv.slice(2);
    return {
      benchmark: "live-spc",
      startedAt: startedAt.toISOString(),
      durationSeconds: (performance.now() - clock) / 1000,
      command: ["npm run bench:live-spc", ...(args.length > 0 ? ["--", ...args] : [])].join(" "),
      quick: options.quick,
      machine,
      busyCoresBefore,
      setup: {
        characteristic: (spcSection.characteristics as Record<string, unknown>[])[0] ?? {},
        settleMs: spc.options.settleMs,
        schedules: { ...DEFAULT_SCHEDULES },
        jobsAnnounced,
        pace: { minGapMs: options.minGapMs, maxGapMs: options.maxGapMs, seed: options.seed },
        padsPerBoard: COMPONENTS.reduce((n, c) => n + c.pads.length, 0),
        backlogBoards,
        liveBoards: live.length,
        pollMs: options.pollMs,
      },
      baseline: { readyAfterMs, versions },
      polls: {
        count: sightings.polls,
        errors: sightings.errors,
        roundTripMs: { p50: rt.p50, max: rt.max },
      },
      method: `One MQTT 5 connection publishes each board's visit of the SPI station (unit start, spi record with ${COMPONENTS.reduce((n, c) => n + c.pads.length, 0)} pads, unit complete; QoS 1), ts = the wall clock at publish, gaps drawn uniformly in [${options.minGapMs}, ${options.maxGapMs}] ms. Every ${options.pollMs} ms (after the previous answer) two InfluxQL queries ask for the spi points and the characteristic's spc_point (series location) since the backlog's start; a point's sighting is the answer of the first poll that holds it. Latency of a subgroup = sighting of its spc_point (stamped with its last reading's ts) − sighting of its last reading's spi point; both are upper bounds with the same resolution (one poll cycle), so the difference is within ± one cycle. Also given: from the last reading's PUBACK (the ingestor acknowledges once the point is durable) and from its ts. A subgroup whose point did not come within ${options.drainSeconds} s of the last board counts as late.`,
      subgroups: rowsOut,
      strayPoints,
      latency,
      latencyFromAck: judgeLatencies(
        subgroups.map((s) => s.fromAckMs),
        options.goalMs,
      ),
      latencyFromTs: judgeLatencies(
        subgroups.map((s) => s.fromTsMs),
        options.goalMs,
      ),
      jobRuns: runs,
      cpu: cpuUsed,
      verdict: verdictLine(latency),
    };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await cleanup();
  }
}

const sec = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);

export function verdictLine(v: LatencyVerdict): string {
  const figures = `p50 ${sec(v.p50Ms)}, p95 ${sec(v.p95Ms)}, max ${sec(v.maxMs)}${v.missing > 0 ? `, ${v.missing} never seen` : ""}`;
  return `verdict: ${v.withinGoal}/${v.subgroups} subgroups' spc_point queryable within ${v.goalMs / 1000} s of their last reading (${figures}): ${v.met ? "goal met" : "goal NOT met"}`;
}

export function formatReport(r: LiveSpcReport): string {
  const line = (v: LatencyVerdict, label: string) =>
    `  ${label.padEnd(34)} p50 ${sec(v.p50Ms).padStart(7)}  p95 ${sec(v.p95Ms).padStart(7)}  max ${sec(v.maxMs).padStart(7)}  within ${v.goalMs / 1000} s: ${v.withinGoal}/${v.subgroups}`;
  const cpu = Object.entries(r.cpu)
    .map(
      ([name, c]) => `${name} ${c.cpuSeconds.toFixed(1)} s (${(c.coreShare * 100).toFixed(0)} %)`,
    )
    .join(", ");
  const jobs = Object.entries(r.jobRuns)
    .map(
      ([job, j]) =>
        `${job} ${j.runs} runs${j.failed ? `, ${j.failed} failed` : ""}${j.skipped ? `, ${j.skipped} skipped` : ""}${j.durationSeconds ? `, p50 ${j.durationSeconds.p50.toFixed(2)} s, max ${j.durationSeconds.max.toFixed(2)} s` : ""}`,
    )
    .join("; ");
  const table = r.subgroups.map(
    (s) =>
      `  ${String(s.index).padStart(3)}  ${s.lastSerial}  ${new Date(s.lastTs).toISOString().slice(11, 23)}  ${sec(s.fromQueryableMs).padStart(7)}  ${sec(s.fromAckMs).padStart(7)}  ${sec(s.fromTsMs).padStart(7)}  ${sec(s.scheduleMs).padStart(7)}`,
  );
  return [
    `bench:live-spc — ${r.command} (${r.quick ? "quick, not representative" : "full run"}), ${r.durationSeconds.toFixed(0)} s`,
    `machine: ${r.machine.cores} cores ${r.machine.cpuModel}, node ${r.machine.node}, mosquitto ${r.machine.mosquitto}, influxdb ${r.machine.influxdb}; busy cores before: ${r.busyCoresBefore.toFixed(2)}`,
    `characteristic: ${JSON.stringify(r.setup.characteristic)}; settleMs ${r.setup.settleMs}`,
    `${r.setup.jobsAnnounced || "jobs: (schedule line not seen)"}`,
    `boards: ${r.setup.backlogBoards} backlog (first baseline queryable ${sec(r.baseline.readyAfterMs)} after it), ${r.setup.liveBoards} live, one every ${r.setup.pace.minGapMs / 1000}–${r.setup.pace.maxGapMs / 1000} s, ${r.setup.padsPerBoard} pads each`,
    `polls: ${r.polls.count} every ${r.setup.pollMs} ms, round trip p50 ${r.polls.roundTripMs.p50} ms, max ${r.polls.roundTripMs.max} ms, ${r.polls.errors} errors; stray points ${r.strayPoints}`,
    "",
    "  sub  last serial  last ts (UTC)  from-seen  from-ack  from-ts  schedule",
    ...table,
    "",
    "spc_point queryable, after the subgroup's last reading was:",
    line(r.latency, "queryable in InfluxDB (the goal)"),
    line(r.latencyFromAck, "acknowledged to the publisher"),
    line(r.latencyFromTs, "stamped (its ts)"),
    `job runs during the live phase: ${jobs}`,
    ...Object.entries(r.jobRuns).flatMap(([job, j]) =>
      j.failures.map((f) => `  ${job} failed, ended ${f.endedAt.slice(11, 23)}: ${f.error}`),
    ),
    `CPU during the live phase: ${cpu}`,
    r.verdict,
  ].join("\n");
}

await runBenchCommand({
  name: "live-spc",
  help: HELP,
  parse: parseOptions,
  run,
  format: formatReport,
  exitCode: (report) => (report.latency.met ? 0 : 1),
});
