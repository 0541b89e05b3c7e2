import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Config, loadConfig } from "../config/index.ts";
import { freePort } from "../services/index.ts";
import { isRunning, stopChild, vmBytes } from "./proc.ts";

/** The ingestor's ledger, read from its `/metrics`. */
export interface IngestCounters {
  pointsWritten: number;
  pointsSpooled: number;
  messagesWritten: number;
  messagesRejected: number;
  redelivered: number;
  writeErrors: number;
  /** InfluxDB writes (committed batches with points) and their total duration, seconds. */
  writes: number;
  writeSeconds: number;
  /** Committed batches and the points in them. */
  batches: number;
  batchPoints: number;
  /** Committed batches of at most `le` points, per histogram bucket bound (cumulative, as Prometheus has it). */
  batchPointsAtMost: Record<string, number>;
  /** Messages received and not yet acknowledged, now. */
  unacknowledged: number;
}

/** Sum of every sample of `name` (all label sets) in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const value = Number(rest.slice(rest.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** The one sample of `name` whose labels include `label` (e.g. `outcome="written"`). */
export function metricWith(text: string, name: string, label: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** A histogram's cumulative bucket counts by their `le` bound. */
export function buckets(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le !== undefined) out[le] = Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return out;
}

export function countersOf(text: string): IngestCounters {
  const m = "tracebox_ingest_";
  return {
    pointsWritten: metricSum(text, `${m}points_written_total`),
    pointsSpooled: metricSum(text, `${m}points_spooled_total`),
    messagesWritten: metricWith(text, `${m}messages_total`, 'outcome="written"'),
    messagesRejected: metricWith(text, `${m}messages_total`, 'outcome="rejected"'),
    redelivered: metricSum(text, `${m}redelivered_total`),
    writeErrors: metricSum(text, `${m}write_errors_total`),
    writes: metricSum(text, `${m}write_seconds_count`),
    writeSeconds: metricSum(text, `${m}write_seconds_sum`),
    batches: metricSum(text, `${m}batch_points_count`),
    batchPoints: metricSum(text, `${m}batch_points_sum`),
    batchPointsAtMost: buckets(text, `${m}batch_points_bucket`),
    unacknowledged: metricSum(text, `${m}unacknowledged_messages`),
  };
}

/** Where one benchmark ingestor reads and writes. */
export interface IngestorSettings {
  mqttUrl: string;
  influxUrl: string;
  /** Its database, also the base of its client id. */
  database: string;
  /** Its topic prefix: `<prefix>/#` is its subscription. */
  prefix: string;
  /** Its spool, dead-letter and lock. */
  dataDir: string;
}

/** Counters of an ingestor that has seen nothing yet (a process just started). */
export const NO_COUNTERS: IngestCounters = {
  pointsWritten: 0,
  pointsSpooled: 0,
  messagesWritten: 0,
  messagesRejected: 0,
  redelivered: 0,
  writeErrors: 0,
  writes: 0,
  writeSeconds: 0,
  batches: 0,
  batchPoints: 0,
  batchPointsAtMost: {},
  unacknowledged: 0,
};

/**
 * `tracebox ingest` as a child process, as it runs in production: its own event loop, away from
 * the publisher's, and its own /proc entry for peak memory and CPU time.
 */
export class IngestorProcess {
  /** Every ingestor this process started and has not stopped yet, for an interrupted run. */
  private static readonly live = new Set<IngestorProcess>();
  private stderr = "";
  /** When `/healthz` first answered 200, `performance.now()` ms. */
  readyAt = 0;
  /**
   * When the last health check that found it not connected was sent, `performance.now()` ms: the
   * broker cannot have sent it anything before (a conservative start for timing its work).
   */
  connectedAfter = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly statusUrl: string,
    /** The configuration the child runs with, as it loads it. */
    readonly config: Config,
    /** What it was started with: the same settings resume its session, spool and database. */
    readonly settings: IngestorSettings,
    /** When the process was spawned, `performance.now()` ms. */
    readonly spawnedAt: number,
  ) {
    IngestorProcess.live.add(this);
    child.once("exit", () => IngestorProcess.live.delete(this));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-8000);
    });
  }

  /**
   * Starts an ingestor on its own database, topic prefix, client id and data dir, and resolves
   * once `/healthz` says it is connected. The caller's `TRACEBOX_INGEST_*` settings pass through,
   * to benchmark a tuning; every other TRACEBOX_* variable is dropped, so a user's own services
   * are never touched.
   */
  /** When set, every ingestor started writes a V8 CPU profile into this directory as it exits. */
  static cpuProfileDir: string | undefined;

  static async start(settings: IngestorSettings): Promise<IngestorProcess> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith("TRACEBOX_") || key.startsWith("TRACEBOX_INGEST_"),
      ),
    );
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      TRACEBOX_CONFIG: "/dev/null",
      TRACEBOX_MQTT_URL: settings.mqttUrl,
      TRACEBOX_INFLUX_URL: settings.influxUrl,
      TRACEBOX_INFLUX_DB: settings.database,
      TRACEBOX_TOPIC_PREFIX: settings.prefix,
      TRACEBOX_MQTT_CLIENT_ID: `bench-ingest-${settings.database}`,
      TRACEBOX_DATA_DIR: settings.dataDir,
      TRACEBOX_HTTP_PORT: String(port),
      TRACEBOX_LOG_LEVEL: "warn",
    };
    const { config } = loadConfig({ env });
    const bin = join(import.meta.dirname, "..", "bin", "tracebox.mjs");
    const spawnedAt = performance.now();
    const profile =
      IngestorProcess.cpuProfileDir === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${IngestorProcess.cpuProfileDir}`];
    const child = spawn(process.execPath, [...profile, bin, "ingest"], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (child.pid === undefined) throw new Error("could not start `tracebox ingest`");
    const ingestor = new IngestorProcess(
      child,
      child.pid,
      `http://127.0.0.1:${port}`,
      config,
      settings,
      spawnedAt,
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const asked = performance.now();
      if (await ingestor.healthy()) break;
      ingestor.connectedAfter = asked;
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`tracebox ingest did not become healthy:\n${ingestor.stderr}`);
      }
      await sleep(20);
    }
    ingestor.readyAt = performance.now();
    return ingestor;
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.statusUrl}/healthz`);
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  async counters(): Promise<IngestCounters> {
    const response = await fetch(`${this.statusUrl}/metrics`);
    if (!response.ok) throw new Error(`ingestor /metrics answered ${response.status}`);
    return countersOf(await response.text());
  }

  /** Peak resident set size so far, bytes (VmHWM). */
  peakRssBytes(): number | undefined {
    return vmBytes(this.pid, "VmHWM");
  }

  /** What the child wrote to stderr lately (its warnings), for an error message. */
  get recentStderr(): string {
    return this.stderr;
  }

  get running(): boolean {
    return isRunning(this.child);
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...IngestorProcess.live].map((ingestor) => ingestor.stop(5000)));
  }

  /** SIGTERM (a graceful stop), SIGKILL if it has not exited within `graceMs`; the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    return stopChild(this.child, graceMs);
  }
}
