// Building blocks of the benchmarks (`npm run bench:ingest` is ingest.ts).
export type { BenchServices } from "./context.ts";
export { countPoints, dropDatabase, freshDatabase, settle } from "./database.ts";
export { type DirectMeasurement, measureDirect, writeDirect } from "./direct.ts";
export { type IngestCounters, IngestorProcess } from "./ingestor-process.ts";
export { type LatencyMeasurement, measureLatency } from "./latency.ts";
export { describeMachine, type Machine } from "./machine.ts";
export { measurePipeline, type PipelineMeasurement, startWarmIngestor } from "./pipeline-run.ts";
export { busyCores, CpuMeter, cpuSeconds, vmBytes } from "./proc.ts";
export {
  DEFAULT_PUBLISHER,
  type Published,
  type PublisherOptions,
  publishAll,
  WindowedPublisher,
} from "./publisher.ts";
export { percentile, perSecond, type Summary, summarize } from "./stats.ts";
export {
  DEFAULT_WORKLOAD,
  Workload,
  type WorkloadMessage,
  type WorkloadOptions,
} from "./workload.ts";
