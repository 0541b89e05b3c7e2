import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { InfluxClient } from "../influx/index.ts";
import { type BenchServices, measurementName } from "./context.ts";
import { countPoints, dropDatabase, freshDatabase } from "./database.ts";
import { type IngestCounters, IngestorProcess, NO_COUNTERS } from "./ingestor-process.ts";
import { CpuMeter } from "./proc.ts";
import { type PhaseProgress, phaseProgress } from "./progress.ts";
import { DEFAULT_PUBLISHER, type Published, publishAll, WindowedPublisher } from "./publisher.ts";
import { perSecond } from "./stats.ts";
import { CHANNEL, FIELDS, readingValues, Workload, type WorkloadMessage } from "./workload.ts";

/** How often the ingestor's /metrics is read to see the last point stored, ms (the end-time resolution). */
export const METRICS_POLL_MS = 100;
/** A pipeline that stores nothing for this long has failed, ms. */
const STALL_MS = 30_000;
/** Single readings sent and stored before the clock starts: proves the subscription is live and warms the JIT. */
const WARMUP_MESSAGES = 200;

type CpuUsage = Record<string, { cpuSeconds: number; coreShare: number }>;

/** What the ingestor did during a measurement, from its /metrics and /proc. */
export interface IngestorFigures {
  /** Peak resident set size of the process (VmHWM), bytes. */
  peakRssBytes: number | undefined;
  exitCode: number | null;
  writes: number;
  meanWriteMs: number;
  meanBatchPoints: number;
  /**
   * Batches larger than the ingestor's batch size, from the histogram: exact when the batch size is
   * a bucket bound, else those above the next bound (`atLeast`); undefined above the last bound.
   */
  batchesOverBatchSize: { count: number; atLeast: boolean } | undefined;
  /** Bounds on the largest batch from the histogram's buckets, e.g. "≤ 10000" or "> 50000" points. */
  largestBatch: string;
  /** Most messages held unacknowledged at once, as sampled every METRICS_POLL_MS. */
  peakUnacknowledged: number;
  pointsSpooled: number;
  redelivered: number;
  writeErrors: number;
  settings: { batchSize: number; batchMaxAgeMs: number; receiveMaximum: number };
}

export interface PipelineMeasurement {
  points: number;
  messages: number;
  samplesPerMessage: number;
  /** First publish to the moment the ingestor's ledger showed every point acknowledged by InfluxDB, ms. */
  elapsedMs: number;
  pointsPerSecond: number;
  messagesPerSecond: number;
  publish: {
    /** First publish to last PUBACK from the broker, ms. */
    elapsedMs: number;
    messagesPerSecond: number;
    pointsPerSecond: number;
    bytes: number;
    connections: number;
    window: number;
    /** The publisher finished in less than 80 % of the pipeline's time: it was not what limited it. */
    notTheBottleneck: boolean;
  };
  /** The count query that checks every point is stored. */
  verified: { stored: number; queryMs: number };
  ingestor: IngestorFigures;
  cpu: CpuUsage;
  /** Points stored since the first publish, about once a second: [seconds, points]. */
  timeline: [number, number][];
}

/** The ingestor alone: a backlog queued in the broker while it was stopped, drained after a restart. */
export interface DrainMeasurement {
  points: number;
  messages: number;
  /**
   * Connection to the broker (bounded from below by the last health check that found the ingestor
   * not connected) to every point acknowledged by InfluxDB, ms.
   */
  elapsedMs: number;
  /** Process spawn to that health check, ms: the start-up, not counted in elapsedMs. */
  startupMs: number;
  pointsPerSecond: number;
  messagesPerSecond: number;
  verified: { stored: number; queryMs: number };
  ingestor: IngestorFigures;
  cpu: CpuUsage;
  timeline: [number, number][];
}

type Ledger = Omit<IngestCounters, "batchPointsAtMost" | "unacknowledged">;

function delta(a: IngestCounters, b: IngestCounters): Ledger {
  const { batchPointsAtMost: _, unacknowledged: __, ...out } = b;
  for (const key of Object.keys(out) as (keyof Ledger)[]) out[key] = b[key] - a[key];
  return out;
}

/**
 * Batches of the run above the configured batch size, from the histogram's bucket at that bound
 * (or the next one above, which gives a lower bound); and the smallest bucket bound that holds
 * every batch (the largest batch is at most that).
 */
export function batchSizes(
  a: IngestCounters,
  b: IngestCounters,
  batchSize: number,
): { overBatchSize: IngestorFigures["batchesOverBatchSize"]; largest: string } {
  const batches = b.batches - a.batches;
  const within = (le: string) => (b.batchPointsAtMost[le] ?? 0) - (a.batchPointsAtMost[le] ?? 0);
  const finite = Object.keys(b.batchPointsAtMost)
    .filter((le) => le !== "+Inf")
    .sort((x, y) => Number(x) - Number(y));
  const bound = finite.find((le) => Number(le) >= batchSize);
  const holdsAll = finite.find((le) => within(le) === batches);
  return {
    overBatchSize:
      bound === undefined
        ? undefined
        : { count: batches - within(bound), atLeast: Number(bound) !== batchSize },
    largest: holdsAll === undefined ? `> ${finite.at(-1)}` : `≤ ${holdsAll}`,
  };
}

function figures(
  ingestor: IngestorProcess,
  watched: Watched,
  baseline: IngestCounters,
  exitCode: number | null,
  peakRssBytes: number | undefined,
): IngestorFigures {
  const counters = delta(baseline, watched.latest);
  const sizes = batchSizes(baseline, watched.latest, ingestor.config.batchSize);
  return {
    peakRssBytes,
    exitCode,
    writes: counters.writes,
    meanWriteMs: counters.writes > 0 ? (counters.writeSeconds / counters.writes) * 1000 : 0,
    meanBatchPoints: counters.batches > 0 ? counters.batchPoints / counters.batches : 0,
    batchesOverBatchSize: sizes.overBatchSize,
    largestBatch: sizes.largest,
    peakUnacknowledged: watched.peakUnacknowledged,
    pointsSpooled: counters.pointsSpooled,
    redelivered: counters.redelivered,
    writeErrors: counters.writeErrors,
    settings: {
      batchSize: ingestor.config.batchSize,
      batchMaxAgeMs: ingestor.config.batchMaxAgeMs,
      receiveMaximum: ingestor.config.receiveMaximum,
    },
  };
}

/** Starts an ingestor on a fresh database and proves its subscription delivers. */
export async function startWarmIngestor(
  services: BenchServices,
  kind: string,
): Promise<{ ingestor: IngestorProcess; prefix: string; database: string }> {
  const name = measurementName(kind);
  await freshDatabase(services.influxUrl, name);
  const ingestor = await IngestorProcess.start({
    mqttUrl: services.mqttUrl,
    influxUrl: services.influxUrl,
    database: name,
    prefix: name,
    dataDir: join(services.dir, name),
  });
  try {
    // The subscription is made after the CONNACK that /healthz reports: messages published before
    // its SUBACK would not reach the session. Stored warm-up messages prove it is in place.
    const publisher = await WindowedPublisher.connect(services.mqttUrl, DEFAULT_PUBLISHER.window);
    const startMs = Date.now() - 60_000;
    for (let i = 0; i < WARMUP_MESSAGES; i++) {
      await publisher.slot();
      publisher.publish({
        topic: `${name}/plant1/smt1/warmup/env`,
        payload: Buffer.from(JSON.stringify({ ts: startMs + i, values: readingValues(i) })),
      });
    }
    await publisher.drain();
    await publisher.close();
    const deadline = Date.now() + 30_000;
    while ((await ingestor.counters()).messagesWritten < WARMUP_MESSAGES) {
      if (Date.now() > deadline)
        throw new Error(`warm-up messages not stored within 30 s:\n${ingestor.recentStderr}`);
      await sleep(50);
    }
    return { ingestor, prefix: name, database: name };
  } catch (error) {
    await ingestor.stop();
    throw error;
  }
}

interface Watched {
  /** When the ledger first counted every point, `performance.now()` ms. */
  endAt: number;
  latest: IngestCounters;
  peakUnacknowledged: number;
  timeline: [number, number][];
}

/**
 * Reads the ingestor's ledger every METRICS_POLL_MS until it counts `points` more points written
 * than `baseline`; fails on a rejected message, an exited ingestor or a stall.
 */
async function watchStored(
  ingestor: IngestorProcess,
  baseline: IngestCounters,
  points: number,
  clockStart: number,
  progress: PhaseProgress,
  detail: () => string,
  failure: () => unknown = () => undefined,
): Promise<Watched> {
  const timeline: [number, number][] = [];
  let stored = 0;
  let lastChange = performance.now();
  let peakUnacknowledged = 0;
  for (;;) {
    const failed = failure();
    if (failed) throw failed;
    const latest = await ingestor.counters();
    peakUnacknowledged = Math.max(peakUnacknowledged, latest.unacknowledged);
    const now = performance.now();
    const storedNow = latest.pointsWritten - baseline.pointsWritten;
    if (storedNow !== stored) lastChange = now;
    stored = storedNow;
    const seconds = Math.floor((now - clockStart) / 1000);
    if ((timeline.at(-1)?.[0] ?? -1) < seconds) timeline.push([seconds, stored]);
    progress.update(stored, detail());
    if (stored >= points) {
      timeline.push([(now - clockStart) / 1000, stored]);
      return { endAt: now, latest, peakUnacknowledged, timeline };
    }
    if (latest.messagesRejected > baseline.messagesRejected)
      throw new Error(
        `the ingestor rejected ${latest.messagesRejected - baseline.messagesRejected} benchmark messages (see its dead-letter)`,
      );
    if (!ingestor.running)
      throw new Error(`tracebox ingest exited during the run:\n${ingestor.recentStderr}`);
    if (now - lastChange > STALL_MS)
      throw new Error(
        `no point stored for ${STALL_MS / 1000} s (${stored} of ${points}):\n${ingestor.recentStderr}`,
      );
    await sleep(METRICS_POLL_MS);
  }
}

/**
 * InfluxDB 1.x answers a write once it is in the WAL and the cache, so the points should be
 * queryable when the ledger counts them; if the count lags, the run ends only when it is complete
 * (the returned end time), and it fails if it never is.
 */
async function verifyStored(
  client: InfluxClient,
  points: number,
  endAt: number,
): Promise<{ stored: number; queryMs: number; endAt: number }> {
  const deadline = performance.now() + 30_000;
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    const stored = await countPoints(client, CHANNEL, FIELDS[0]);
    const queryMs = performance.now() - started;
    if (stored === points)
      return { stored, queryMs, endAt: attempt === 0 ? endAt : performance.now() };
    if (stored > points || performance.now() > deadline)
      throw new Error(`InfluxDB holds ${stored} of the ${points} points the ingestor acknowledged`);
    await sleep(200);
  }
}

function startCpu(services: BenchServices, ingestor: IngestorProcess): CpuMeter {
  return new CpuMeter({
    ingestor: ingestor.pid,
    mosquitto: services.mosquittoPid,
    influxd: services.influxdPid,
    bench: process.pid,
  }).start();
}

/** Publishes every message, watching for a failure without waiting for the end. */
function startPublishing(
  services: BenchServices,
  messages: readonly WorkloadMessage[],
): { done: Promise<Published>; acked: () => number; failure: () => unknown } {
  let acked = 0;
  let failure: unknown;
  const done = publishAll(
    messages.values(),
    { url: services.mqttUrl, ...DEFAULT_PUBLISHER },
    (progress) => {
      acked = progress.messages;
    },
  );
  done.catch((error: unknown) => {
    failure = error;
  });
  return { done, acked: () => acked, failure: () => failure };
}

function publishFigures(p: Published, pipelineMs: number): PipelineMeasurement["publish"] {
  const publishMs = p.lastAckAt - p.firstPublishAt;
  return {
    elapsedMs: publishMs,
    messagesPerSecond: perSecond(p.messages, publishMs),
    pointsPerSecond: perSecond(p.points, publishMs),
    bytes: p.bytes,
    connections: p.connections,
    window: p.window,
    notTheBottleneck: publishMs < 0.8 * pipelineMs,
  };
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * Publisher → Mosquitto → `tracebox ingest` (child process) → InfluxDB, at QoS 1, timed from the
 * first publish until the ingestor's ledger counts every point acknowledged by InfluxDB; then a
 * count query checks that every point is really stored.
 */
export async function measurePipeline(
  services: BenchServices,
  spec: { title: string; points: number; samplesPerMessage: number },
): Promise<PipelineMeasurement> {
  const { ingestor, prefix, database } = await startWarmIngestor(services, "pipeline");
  const workload = new Workload({
    points: spec.points,
    prefix,
    samplesPerMessage: spec.samplesPerMessage,
  });
  // Serialized before the clock starts, so that the publisher spends its CPU on MQTT only.
  const messages = [...workload.allMessages()];
  const progress = phaseProgress(spec.title, spec.points, "points stored");
  try {
    const baseline = await ingestor.counters();
    const cpu = startCpu(services, ingestor);
    const clockStart = performance.now();
    const publishing = startPublishing(services, messages);
    const watched = await watchStored(
      ingestor,
      baseline,
      spec.points,
      clockStart,
      progress,
      () => `published ${count(publishing.acked())}/${count(messages.length)} messages`,
      publishing.failure,
    );
    const usage = cpu.stop();
    const published = await publishing.done;
    const peakRssBytes = ingestor.peakRssBytes();
    const client = await freshDatabase(services.influxUrl, database);
    const verified = await verifyStored(client, spec.points, watched.endAt);
    const exitCode = await ingestor.stop();
    await dropDatabase(client);
    const elapsedMs = verified.endAt - published.firstPublishAt;
    return {
      points: spec.points,
      messages: messages.length,
      samplesPerMessage: spec.samplesPerMessage,
      elapsedMs,
      pointsPerSecond: perSecond(spec.points, elapsedMs),
      messagesPerSecond: perSecond(messages.length, elapsedMs),
      publish: publishFigures(published, elapsedMs),
      verified: { stored: verified.stored, queryMs: verified.queryMs },
      ingestor: figures(ingestor, watched, baseline, exitCode, peakRssBytes),
      cpu: usage,
      timeline: watched.timeline,
    };
  } finally {
    progress.stop();
    if (ingestor.running) await ingestor.stop();
  }
}

/**
 * The ingestor's own pace, with no publisher competing for the CPU: the messages are queued in
 * the broker for the ingestor's persistent session while it is stopped, then it is started again
 * and timed from its connection to the broker until its ledger counts every point.
 */
export async function measureDrain(
  services: BenchServices,
  spec: { title: string; points: number; samplesPerMessage: number },
): Promise<DrainMeasurement> {
  const warm = await startWarmIngestor(services, "drain");
  const workload = new Workload({
    points: spec.points,
    prefix: warm.prefix,
    samplesPerMessage: spec.samplesPerMessage,
  });
  const messages = [...workload.allMessages()];
  await warm.ingestor.stop();
  const queueing = phaseProgress(`${spec.title}: queueing`, messages.length, "messages");
  const publishing = startPublishing(services, messages);
  const ticker = setInterval(() => queueing.update(publishing.acked()), 200);
  try {
    await publishing.done;
  } finally {
    clearInterval(ticker);
    queueing.stop();
  }
  const progress = phaseProgress(spec.title, spec.points, "points stored");
  const ingestor = await IngestorProcess.start(warm.ingestor.settings);
  const started = ingestor.connectedAfter || ingestor.spawnedAt;
  try {
    const cpu = startCpu(services, ingestor);
    const watched = await watchStored(
      ingestor,
      NO_COUNTERS,
      spec.points,
      started,
      progress,
      () => "draining the broker's queue",
    );
    // Metered from the first health check that passed: a little of the drain's start is missed.
    const usage = cpu.stop();
    const peakRssBytes = ingestor.peakRssBytes();
    const client = await freshDatabase(services.influxUrl, warm.database);
    const verified = await verifyStored(client, spec.points, watched.endAt);
    const exitCode = await ingestor.stop();
    await dropDatabase(client);
    const elapsedMs = verified.endAt - started;
    return {
      points: spec.points,
      messages: messages.length,
      elapsedMs,
      startupMs: started - ingestor.spawnedAt,
      pointsPerSecond: perSecond(spec.points, elapsedMs),
      messagesPerSecond: perSecond(messages.length, elapsedMs),
      verified: { stored: verified.stored, queryMs: verified.queryMs },
      ingestor: figures(ingestor, watched, NO_COUNTERS, exitCode, peakRssBytes),
      cpu: usage,
      timeline: watched.timeline,
    };
  } finally {
    progress.stop();
    if (ingestor.running) await ingestor.stop();
  }
}
