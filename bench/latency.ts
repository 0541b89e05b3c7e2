import { setTimeout as sleep } from "node:timers/promises";
import { quoteIdent } from "../influx/index.ts";
import type { BenchServices } from "./context.ts";
import { countPoints, dropDatabase, freshDatabase } from "./database.ts";
import { startWarmIngestor } from "./pipeline-run.ts";
import { CpuMeter } from "./proc.ts";
import { phaseProgress } from "./progress.ts";
import { DEFAULT_PUBLISHER, WindowedPublisher } from "./publisher.ts";
import { perSecond, type Summary, summarize } from "./stats.ts";
import { CHANNEL, DEFAULT_WORKLOAD, FIELDS, readingValues, topicOf } from "./workload.ts";

/** Marker readings per second the probe looks for: enough for a p99 from a few hundred. */
const MARKERS_PER_SECOND = 50;
/** Pause between two probe queries, ms; the probe's resolution is this plus one query. */
const PROBE_PAUSE_MS = 5;

export interface LatencyMeasurement {
  /** Rate asked for and rate achieved, messages (= points) per second. */
  targetRate: number;
  achievedRate: number;
  messages: number;
  markers: number;
  /** Publish call → first probe answer that holds the marker, ms: an upper bound per marker. */
  latencyMs: Summary;
  /** Publish call → send of the last probe query that did not hold it yet, ms: a lower bound. */
  latencyLowerBoundMs: Summary;
  /** Send-to-answer time of one probe query and time between two probe sends, ms: the resolution. */
  probeQueryMs: Summary;
  probeCycleMs: Summary;
  peakRssBytes: number | undefined;
  cpu: Record<string, { cpuSeconds: number; coreShare: number }>;
}

interface Marker {
  ts: number;
  publishedAt: number;
  upper?: number;
  lower?: number;
}

/**
 * End-to-end latency of single readings at a paced rate. Every message has its own ts (per
 * station, the wall clock or one ms after its predecessor); every Nth carries a `probe` field
 * with its sequence number. A probe queries `SELECT probe ... WHERE time >= <oldest marker not
 * yet seen>` back to back; a marker's latency is bounded by the last query that missed it and the
 * first that returned it.
 */
export async function measureLatency(
  services: BenchServices,
  spec: { rate: number; seconds: number },
): Promise<LatencyMeasurement> {
  const { ingestor, prefix, database } = await startWarmIngestor(services, "latency");
  const client = await freshDatabase(services.influxUrl, database);
  const total = Math.max(1, Math.round(spec.rate * spec.seconds));
  const every = Math.max(1, Math.round(spec.rate / MARKERS_PER_SECOND));
  const markers = new Map<number, Marker>();
  const unseen = new Set<number>();
  const progress = phaseProgress(
    `latency at ${Math.round(spec.rate).toLocaleString("en-US")} msg/s`,
    total,
    "published",
  );
  let publishing = true;
  let publishEnd = Number.POSITIVE_INFINITY;
  const queryMs: number[] = [];
  const cycleMs: number[] = [];

  const probe = async () => {
    let previousSend: number | undefined;
    const deadline = () => !publishing && performance.now() > publishEnd + 30_000;
    while (publishing || unseen.size > 0) {
      if (deadline()) throw new Error(`${unseen.size} markers never became queryable`);
      let since = Number.POSITIVE_INFINITY;
      for (const seq of unseen) since = Math.min(since, (markers.get(seq) as Marker).ts);
      if (since === Number.POSITIVE_INFINITY) {
        await sleep(PROBE_PAUSE_MS);
        previousSend = undefined;
        continue;
      }
      const sent = performance.now();
      const result = await client.query(
        `SELECT ${quoteIdent("probe")} FROM ${quoteIdent(CHANNEL)} WHERE time >= $since`,
        { since: new Date(since) },
      );
      const answered = performance.now();
      queryMs.push(answered - sent);
      if (previousSend !== undefined) cycleMs.push(sent - previousSend);
      for (const series of result.series) {
        for (const row of series.values) {
          const seq = Number(row[1]);
          const marker = markers.get(seq);
          if (!marker || marker.upper !== undefined) continue;
          marker.upper = answered - marker.publishedAt;
          // The last query that missed it bounds it from below, if it was published by then.
          marker.lower =
            previousSend === undefined ? 0 : Math.max(0, previousSend - marker.publishedAt);
          unseen.delete(seq);
        }
      }
      previousSend = sent;
      await sleep(PROBE_PAUSE_MS);
    }
  };

  const publisher = await WindowedPublisher.connect(services.mqttUrl, DEFAULT_PUBLISHER.window);
  try {
    const cpu = new CpuMeter({
      ingestor: ingestor.pid,
      mosquitto: services.mosquittoPid,
      influxd: services.influxdPid,
      bench: process.pid,
    }).start();
    const probing = probe();
    let probeError: unknown;
    probing.catch((error: unknown) => {
      probeError = error;
    });
    const stations = DEFAULT_WORKLOAD.stations;
    const lastTs = new Array<number>(stations).fill(0);
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      if (probeError) throw probeError;
      const due = Math.min(
        total,
        Math.floor(((performance.now() - started) * spec.rate) / 1000) + 1,
      );
      for (; sent < due; sent++) {
        await publisher.slot();
        const station = sent % stations;
        const ts = Math.max(Date.now(), (lastTs[station] as number) + 1);
        lastTs[station] = ts;
        const values: Record<string, number> = readingValues(sent);
        const isMarker = sent % every === 0;
        if (isMarker) values.probe = sent;
        const payload = Buffer.from(JSON.stringify({ ts, values }));
        if (isMarker) {
          markers.set(sent, { ts, publishedAt: performance.now() });
          unseen.add(sent);
        }
        publisher.publish({ topic: topicOf(prefix, station), payload });
      }
      progress.update(sent, `${unseen.size} markers not yet queryable`);
      // A timer, not a busy loop: the publisher must not take the CPU the ingestor needs.
      await sleep(1);
    }
    await publisher.drain();
    publishEnd = performance.now();
    const achievedRate = perSecond(total, publishEnd - started);
    publishing = false;
    await probing;
    const usage = cpu.stop();
    progress.stop();

    const peakRssBytes = ingestor.peakRssBytes();
    // Readings published after the last marker may still be on their way.
    let stored = await countPoints(client, CHANNEL, FIELDS[0]);
    for (const deadline = Date.now() + 30_000; stored < total && Date.now() < deadline; ) {
      await sleep(100);
      stored = await countPoints(client, CHANNEL, FIELDS[0]);
    }
    if (stored !== total)
      throw new Error(`latency run: InfluxDB holds ${stored} of ${total} published readings`);
    await ingestor.stop();
    await dropDatabase(client);
    const all = [...markers.values()];
    return {
      targetRate: spec.rate,
      achievedRate,
      messages: total,
      markers: all.length,
      latencyMs: summarize(all.map((m) => m.upper as number)),
      latencyLowerBoundMs: summarize(all.map((m) => m.lower as number)),
      probeQueryMs: summarize(queryMs),
      probeCycleMs: summarize(cycleMs),
      peakRssBytes,
      cpu: usage,
    };
  } finally {
    publishing = false;
    progress.stop();
    await publisher.close();
    if (ingestor.running) await ingestor.stop();
  }
}
