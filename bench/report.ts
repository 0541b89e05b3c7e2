import type { DirectMeasurement } from "./direct.ts";
import type { LatencyMeasurement } from "./latency.ts";
import type { Machine } from "./machine.ts";
import type { DrainMeasurement, PipelineMeasurement } from "./pipeline-run.ts";

/** One workload measured both ways on the same database server. */
export interface WorkloadResult {
  /** What one message carries. */
  form: string;
  /**
   * Where the processes ran: all on every core (`shared`), or the database pinned to cores of
   * its own and the broker, ingestor, publisher and bench to the others (`split`, the taskset CPU
   * lists given), as when InfluxDB has a machine or cores of its own.
   */
  layout: { kind: "shared" } | { kind: "split"; database: string; rest: string };
  samplesPerMessage: number;
  points: number;
  direct: DirectMeasurement;
  pipeline: PipelineMeasurement;
  /** Pipeline points/s over the best direct points/s. */
  ratio: number;
  /** The ingestor alone, draining the same messages queued in the broker. */
  drain: DrainMeasurement;
  /** Drain points/s over the best direct points/s. */
  drainRatio: number;
}

export interface IngestBenchReport {
  benchmark: "ingest";
  startedAt: string;
  durationSeconds: number;
  command: string;
  quick: boolean;
  machine: Machine;
  /** Cores the rest of the machine kept busy in the two seconds before the run (a shared machine). */
  busyCoresBefore: number;
  setup: {
    stations: number;
    fieldsPerPoint: number;
    directBatchLines: number;
    publisher: { connections: number; window: number };
    /** TRACEBOX_INGEST_* settings passed to the ingestor from the environment. */
    ingestorEnv: Record<string, string>;
  };
  workloads: WorkloadResult[];
  latency: LatencyMeasurement & { method: string };
  findings: string[];
}

const n = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number | undefined) =>
  bytes === undefined ? "?" : `${n(bytes / 2 ** 20, 1)} MiB`;
const pct = (share: number) => `${n(share * 100)} %`;

function over(batches: { count: number; atLeast: boolean } | undefined): string {
  if (batches === undefined) return "?";
  return `${batches.atLeast && batches.count > 0 ? "at least " : ""}${n(batches.count)}`;
}

function cpuLine(cpu: Record<string, { coreShare: number }>): string {
  return Object.entries(cpu)
    .map(([name, c]) => `${name} ${pct(c.coreShare)}`)
    .join(", ");
}

export function formatReport(r: IngestBenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(
    `tracebox ingest benchmark — ${r.startedAt}${r.quick ? " (quick: smoke run, not representative)" : ""}`,
  );
  out.push(
    `machine: ${m.cores} cores (${m.cpuModel}), ${n(m.memoryBytes / 2 ** 30, 1)} GiB, node ${m.node}, Linux ${m.kernel}, Mosquitto ${m.mosquitto}, InfluxDB ${m.influxdb}`,
  );
  out.push(
    `the rest of the machine (processes, interrupts, hypervisor steal) kept ${n(r.busyCoresBefore * 100)} % of a core busy just before the run`,
  );
  const s = r.setup;
  out.push(
    `points: reflow readings of ${s.fieldsPerPoint} float fields, tags site/line/station over ${s.stations} stations, distinct ms timestamps over the past hours`,
  );
  out.push(
    `direct: POST /write?precision=ms, ${n(s.directBatchLines)} lines per request; pipeline: QoS 1, ${s.publisher.connections} MQTT 5 publishers × ${s.publisher.window} in flight → Mosquitto → \`tracebox ingest\` child process → InfluxDB`,
  );
  if (Object.keys(s.ingestorEnv).length > 0)
    out.push(`ingestor settings from the environment: ${JSON.stringify(s.ingestorEnv)}`);
  out.push("");
  for (const w of r.workloads) {
    const p = w.pipeline;
    const layout =
      w.layout.kind === "shared"
        ? "every process on every core"
        : `InfluxDB on CPU ${w.layout.database}, broker, ingestor and publisher on CPU ${w.layout.rest}`;
    out.push(`${w.form}: ${n(w.points)} points in ${n(p.messages)} messages; ${layout}`);
    const k = (v: number) => `${n(v / 1000)}k`;
    out.push(
      `  direct   ${w.direct.byConcurrency
        .map(
          (c) =>
            `${c.concurrency} in flight ${k(c.pointsPerSecond)}${c.rounds.length > 1 ? ` (${k(Math.min(...c.rounds))}–${k(Math.max(...c.rounds))})` : ""}`,
        )
        .join(" | ")} points/s, median of ${w.direct.rounds}`,
    );
    const best = w.direct.byConcurrency.find((c) => c.concurrency === w.direct.best.concurrency);
    out.push(
      `           ceiling ${n(w.direct.best.pointsPerSecond)} points/s with ${w.direct.best.concurrency} request(s) in flight${best ? `; CPU ${cpuLine(best.cpu)}` : ""}`,
    );
    out.push(
      `  pipeline ${n(p.pointsPerSecond)} points/s (${n(p.messagesPerSecond)} messages/s), first publish → all ${n(p.points)} stored in ${n(p.elapsedMs / 1000, 2)} s; count query ${n(p.verified.stored)} ✓`,
    );
    out.push(`  ratio    pipeline ÷ direct = ${n(w.ratio, 3)} (${n(w.ratio * 100, 1)} %)`);
    out.push(
      `  publish  ${n(p.publish.messagesPerSecond)} messages/s = ${n(p.publish.pointsPerSecond)} points/s, done in ${n(p.publish.elapsedMs / 1000, 2)} s — ${p.publish.notTheBottleneck ? "not the bottleneck" : "AS SLOW AS THE PIPELINE: it may be the bottleneck"}`,
    );
    const i = p.ingestor;
    out.push(
      `  ingestor peak RSS ${mib(i.peakRssBytes)}; ${n(i.writes)} writes, mean ${n(i.meanBatchPoints)} points and ${n(i.meanWriteMs, 1)} ms each; spooled ${n(i.pointsSpooled)}, redelivered ${n(i.redelivered)}, write errors ${n(i.writeErrors)}`,
    );
    out.push(
      `           batches over its batch size of ${n(i.settings.batchSize)}: ${over(i.batchesOverBatchSize)}, largest ${i.largestBatch} points; up to ${n(i.peakUnacknowledged)} messages unacknowledged (receive maximum ${n(i.settings.receiveMaximum)})`,
    );
    out.push(`  CPU      ${cpuLine(p.cpu)} (share of one core, over the run)`);
    const d = w.drain;
    out.push(
      `  drain    ${n(d.pointsPerSecond)} points/s (${n(d.messagesPerSecond)} messages/s): the same messages queued in the broker first, ingestor restarted, connected → all stored in ${n(d.elapsedMs / 1000, 2)} s (after a start-up of ${n(d.startupMs / 1000, 2)} s); count query ${n(d.verified.stored)} ✓`,
    );
    out.push(
      `           drain ÷ direct = ${n(w.drainRatio, 3)} (${n(w.drainRatio * 100, 1)} %); peak RSS ${mib(d.ingestor.peakRssBytes)}; ${n(d.ingestor.writes)} writes, mean ${n(d.ingestor.meanBatchPoints)} points and ${n(d.ingestor.meanWriteMs, 1)} ms each; up to ${n(d.ingestor.peakUnacknowledged)} unacknowledged`,
    );
    out.push(`           CPU ${cpuLine(d.cpu)}`);
    out.push("");
  }
  const l = r.latency;
  out.push(
    `latency, single readings at ${n(l.targetRate)} messages/s (half the pipeline maximum; achieved ${n(l.achievedRate)}), ${n(l.messages)} messages, ${n(l.markers)} markers:`,
  );
  out.push(
    `  publish → queryable p50 ${n(l.latencyMs.p50, 1)} ms, p90 ${n(l.latencyMs.p90, 1)} ms, p99 ${n(l.latencyMs.p99, 1)} ms, max ${n(l.latencyMs.max, 1)} ms (upper bounds)`,
  );
  out.push(
    `  lower bounds p50 ${n(l.latencyLowerBoundMs.p50, 1)} ms, p99 ${n(l.latencyLowerBoundMs.p99, 1)} ms; probe resolution: query ${n(l.probeQueryMs.p50, 1)} ms p50, one probe every ${n(l.probeCycleMs.p50, 1)} ms p50 (${n(l.probeCycleMs.p99, 1)} ms p99)`,
  );
  out.push(`  ingestor peak RSS ${mib(l.peakRssBytes)}; CPU ${cpuLine(l.cpu)}`);
  if (r.findings.length > 0) {
    out.push("");
    out.push("findings:");
    for (const f of r.findings) out.push(`  - ${f}`);
  }
  out.push("");
  out.push(`total ${n(r.durationSeconds)} s`);
  return out.join("\n");
}
