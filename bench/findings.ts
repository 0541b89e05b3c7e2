import type { IngestBenchReport } from "./report.ts";

/** Share of one core other processes may use during a measurement before it is called noisy. */
const BUSY_NEIGHBOUR = 0.25;

const pct = (share: number) => `${Math.round(share * 100)} %`;

/** Cores taken by what is not the benchmark: other processes and the hypervisor (steal). */
function neighbours(cpu: Record<string, { coreShare: number }>): number {
  return (cpu.others?.coreShare ?? 0) + (cpu.steal?.coreShare ?? 0);
}

/**
 * What the figures say beyond themselves, each drawn from a measured value and a threshold:
 * what limited a run, where the ingestor departed from its own settings, and which runs a busy
 * machine may have skewed.
 */
export function findings(report: Omit<IngestBenchReport, "findings">): string[] {
  const out: string[] = [];
  if (report.busyCoresBefore > BUSY_NEIGHBOUR)
    out.push(
      `before the run, the rest of the machine kept ${pct(report.busyCoresBefore)} of a core busy: the figures are not representative of an idle machine`,
    );
  for (const w of report.workloads) {
    const form = w.layout.kind === "split" ? `${w.form} (split cores)` : w.form;
    const p = w.pipeline;
    const i = p.ingestor;
    if (!p.publish.notTheBottleneck)
      out.push(
        `${form}: the publisher took ${(p.publish.elapsedMs / 1000).toFixed(1)} s of the pipeline's ${(p.elapsedMs / 1000).toFixed(1)} s; the pipeline figure is a lower bound`,
      );
    const ingestorCore = p.cpu.ingestor?.coreShare ?? 0;
    if (ingestorCore > 0.85)
      out.push(
        `${form}: the ingestor kept one core ${pct(ingestorCore)} busy — its event loop is the limit at ${Math.round(p.messagesPerSecond)} messages/s`,
      );
    for (const [run, f] of [
      ["pipeline", i],
      ["drain", w.drain.ingestor],
    ] as const) {
      const over = f.batchesOverBatchSize;
      if (over !== undefined && over.count > 0)
        out.push(
          `${form}, ${run}: ${over.atLeast ? "at least " : ""}${over.count} of ${f.writes} ingestor writes carried more than its batch size of ${f.settings.batchSize} points (mean ${Math.round(f.meanBatchPoints)}, largest ${f.largestBatch})`,
        );
      if (f.peakUnacknowledged > f.settings.receiveMaximum)
        out.push(
          `${form}, ${run}: the ingestor held up to ${f.peakUnacknowledged} messages unacknowledged, more than the Receive Maximum of ${f.settings.receiveMaximum} it announced`,
        );
    }
    const drainCore = w.drain.cpu.ingestor?.coreShare ?? 0;
    if (drainCore > 0.85)
      out.push(
        `${form}, drain: the ingestor kept one core ${pct(drainCore)} busy — its event loop is the limit at ${Math.round(w.drain.messagesPerSecond)} messages/s`,
      );
    const one = w.direct.byConcurrency.find((r) => r.concurrency === 1);
    if (
      one &&
      w.direct.best.concurrency > 1 &&
      w.direct.best.pointsPerSecond > one.pointsPerSecond * 1.1
    )
      out.push(
        `${form}: InfluxDB takes ${Math.round((w.direct.best.pointsPerSecond / one.pointsPerSecond - 1) * 100)} % more with ${w.direct.best.concurrency} writes in flight than with 1`,
      );
    const noisy = [
      ...w.direct.byConcurrency.map((c) => [`direct, ${c.concurrency} in flight`, c.cpu] as const),
      ["pipeline", p.cpu] as const,
      ["drain", w.drain.cpu] as const,
    ].filter(([, cpu]) => neighbours(cpu) > BUSY_NEIGHBOUR);
    if (noisy.length > 0)
      out.push(
        `${form}: other processes and the hypervisor took more than ${pct(BUSY_NEIGHBOUR)} of a core during ${noisy.map(([name, cpu]) => `${name} (${pct(neighbours(cpu))})`).join(", ")}`,
      );
  }
  const l = report.latency;
  if (l.achievedRate < l.targetRate * 0.95)
    out.push(
      `latency run: the paced publisher reached ${Math.round(l.achievedRate)} of ${Math.round(l.targetRate)} messages/s`,
    );
  if (neighbours(l.cpu) > BUSY_NEIGHBOUR)
    out.push(
      `latency run: other processes and the hypervisor took ${pct(neighbours(l.cpu))} of a core`,
    );
  return out;
}
