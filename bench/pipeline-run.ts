import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BenchServices, measurementName } from "./context.ts";
import { countPoints, dropDatabase, freshDatabase } from "./database.ts";
import { type IngestCounters, IngestorProcess } from "./ingestor-process.ts";
import { CpuMeter } from "./proc.ts";
import { phaseProgress } from "./progress.ts";
import { DEFAULT_PUBLISHER, publishAll, WindowedPublisher } from "./publisher.ts";
import { perSecond } from "./stats.ts";
import { CHANNEL, FIELDS, readingValues, Workload } from "./workload.ts";

/** How often the ingestor's /metrics is read to see the last point stored, ms (the end-time resolution). */
export const METRICS_POLL_MS = 100;
/** A pipeline that stores nothing for this long has failed, ms. */
const STALL_MS = 30_000;
/** Single readings sent and stored before the clock starts: proves the subscription is live and warms the JIT. */
const WARMUP_MESSAGES = 200;

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
  ingestor: {
    peakRssBytes: number | undefined;
    exitCode: number | null;
    writes: number;
    meanWriteMs: number;
    meanBatchPoints: number;
    /** Batches larger than the ingestor's batch size (undefined when that is no histogram bound). */
    batchesOverBatchSize: number | undefined;
    /** Bounds on the largest batch from the histogram's buckets, e.g. "≤ 10000" or "> 50000" points. */
    largestBatch: string;
    /** Most messages held unacknowledged at once, as sampled every METRICS_POLL_MS. */
    peakUnacknowledged: number;
    pointsSpooled: number;
    redelivered: number;
    writeErrors: number;
    settings: { batchSize: number; batchMaxAgeMs: number; receiveMaximum: number };
  };
  cpu: Record<string, { cpuSeconds: number; coreShare: number }>;
  /** Points stored since the first publish, about once a second: [seconds, points]. */
  timeline: [number, number][];
}

type Ledger = Omit<IngestCounters, "batchPointsAtMost" | "unacknowledged">;

function delta(a: IngestCounters, b: IngestCounters): Ledger {
  const { batchPointsAtMost: _, unacknowledged: __, ...out } = b;
  for (const key of Object.keys(out) as (keyof Ledger)[]) out[key] = b[key] - a[key];
  return out;
}

/**
 * Batches of the run above the configured batch size, from the histogram's bucket at that bound;
 * and the smallest bucket bound that holds every batch (the largest batch is at most that).
 */
function batchSizes(
  a: IngestCounters,
  b: IngestCounters,
  batchSize: number,
): { overBatchSize: number | undefined; largest: string } {
  const batches = b.batches - a.batches;
  const within = (le: string) => (b.batchPointsAtMost[le] ?? 0) - (a.batchPointsAtMost[le] ?? 0);
  const bounds = Object.keys(b.batchPointsAtMost).sort((x, y) =>
    x === "+Inf" ? 1 : y === "+Inf" ? -1 : Number(x) - Number(y),
  );
  const atBatchSize = b.batchPointsAtMost[String(batchSize)];
  const holdsAll = bounds.find((le) => within(le) === batches);
  const finite = bounds.filter((le) => le !== "+Inf");
  return {
    overBatchSize: atBatchSize === undefined ? undefined : batches - within(String(batchSize)),
    largest: holdsAll === undefined || holdsAll === "+Inf" ? `> ${finite.at(-1)}` : `≤ ${holdsAll}`,
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

/**
 * Publisher → Mosquitto → `tracebox ingest` (child process) → InfluxDB, at QoS 1, timed from the
 * first publish until the ingestor's ledger counts every point acknowledged by InfluxDB (in 1.x a
 * 2xx write is in the WAL and the in-memory cache, so queryable); then a count query checks that
 * every point is really stored.
 */
export async function measurePipeline(
  services: BenchServices,
  spec: { title: string; points: number; samplesPerMessage: number },
): Promise<PipelineMeasurement> {
  const { ingestor, prefix } = await startWarmIngestor(services, "pipeline");
  const database = prefix;
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
    const cpu = new CpuMeter({
      ingestor: ingestor.pid,
      mosquitto: services.mosquittoPid,
      influxd: services.influxdPid,
      bench: process.pid,
    }).start();
    let acked = 0;
    const clockStart = performance.now();
    const publishing = publishAll(
      messages.values(),
      { url: services.mqttUrl, ...DEFAULT_PUBLISHER },
      (done) => {
        acked = done.messages;
      },
    );
    let publishError: unknown;
    publishing.catch((error: unknown) => {
      publishError = error;
    });

    const timeline: [number, number][] = [];
    let stored = 0;
    let lastChange = performance.now();
    let endAt = 0;
    let latest = baseline;
    let peakUnacknowledged = 0;
    for (;;) {
      if (publishError) throw publishError;
      latest = await ingestor.counters();
      peakUnacknowledged = Math.max(peakUnacknowledged, latest.unacknowledged);
      const now = performance.now();
      const storedNow = latest.pointsWritten - baseline.pointsWritten;
      if (storedNow !== stored) lastChange = now;
      stored = storedNow;
      const seconds = Math.floor((now - clockStart) / 1000);
      if ((timeline.at(-1)?.[0] ?? -1) < seconds) timeline.push([seconds, stored]);
      progress.update(
        stored,
        `published ${acked.toLocaleString("en-US")}/${workload.messages.toLocaleString("en-US")} messages`,
      );
      if (stored >= spec.points) {
        endAt = now;
        break;
      }
      if (latest.messagesRejected > baseline.messagesRejected)
        throw new Error(
          `the ingestor rejected ${latest.messagesRejected - baseline.messagesRejected} benchmark messages (see its dead-letter)`,
        );
      if (!ingestor.running)
        throw new Error(`tracebox ingest exited during the run:\n${ingestor.recentStderr}`);
      if (now - lastChange > STALL_MS)
        throw new Error(
          `no point stored for ${STALL_MS / 1000} s (${stored} of ${spec.points}):\n${ingestor.recentStderr}`,
        );
      await sleep(METRICS_POLL_MS);
    }
    const usage = cpu.stop();
    const p = await publishing;
    const peakRssBytes = ingestor.peakRssBytes();

    // InfluxDB 1.x answers a write once it is in the WAL and the cache, so the points should be
    // queryable now; if the count lags, the run ends only when it is complete.
    const client = await freshDatabase(services.influxUrl, database);
    const verifyDeadline = performance.now() + 30_000;
    let count = 0;
    let queryMs = 0;
    for (let attempt = 0; ; attempt++) {
      const queryStarted = performance.now();
      count = await countPoints(client, CHANNEL, FIELDS[0]);
      queryMs = performance.now() - queryStarted;
      if (count === spec.points) {
        if (attempt > 0) endAt = performance.now();
        break;
      }
      if (count > spec.points || performance.now() > verifyDeadline)
        throw new Error(
          `the ingestor acknowledged ${stored} points but InfluxDB holds ${count} of ${spec.points}`,
        );
      await sleep(200);
    }
    timeline.push([(endAt - clockStart) / 1000, stored]);
    const counters = delta(baseline, latest);
    const sizes = batchSizes(baseline, latest, ingestor.config.batchSize);
    const exitCode = await ingestor.stop();
    await dropDatabase(client);

    const elapsedMs = endAt - p.firstPublishAt;
    const publishMs = p.lastAckAt - p.firstPublishAt;
    return {
      points: spec.points,
      messages: workload.messages,
      samplesPerMessage: spec.samplesPerMessage,
      elapsedMs,
      pointsPerSecond: perSecond(spec.points, elapsedMs),
      messagesPerSecond: perSecond(workload.messages, elapsedMs),
      publish: {
        elapsedMs: publishMs,
        messagesPerSecond: perSecond(p.messages, publishMs),
        pointsPerSecond: perSecond(p.points, publishMs),
        bytes: p.bytes,
        connections: p.connections,
        window: p.window,
        notTheBottleneck: publishMs < 0.8 * elapsedMs,
      },
      verified: { stored: count, queryMs },
      ingestor: {
        peakRssBytes,
        exitCode,
        writes: counters.writes,
        meanWriteMs: counters.writes > 0 ? (counters.writeSeconds / counters.writes) * 1000 : 0,
        meanBatchPoints: counters.batches > 0 ? counters.batchPoints / counters.batches : 0,
        batchesOverBatchSize: sizes.overBatchSize,
        largestBatch: sizes.largest,
        peakUnacknowledged,
        pointsSpooled: counters.pointsSpooled,
        redelivered: counters.redelivered,
        writeErrors: counters.writeErrors,
        settings: {
          batchSize: ingestor.config.batchSize,
          batchMaxAgeMs: ingestor.config.batchMaxAgeMs,
          receiveMaximum: ingestor.config.receiveMaximum,
        },
      },
      cpu: usage,
      timeline,
    };
  } finally {
    progress.stop();
    if (ingestor.running) await ingestor.stop();
  }
}
