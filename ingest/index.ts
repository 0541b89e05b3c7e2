export {
  type AckToken,
  BrokerConnection,
  type BrokerOptions,
  DEFAULT_BROKER_OPTIONS,
  type ReceivedMessage,
} from "./broker.ts";
export { DEAD_LETTER_PAYLOAD_LIMIT, type DeadLetter, DeadLetterFile } from "./dead-letter.ts";
export {
  type Ingestor,
  type IngestorHooks,
  startIngestor,
  subscriptionFilter,
} from "./ingestor.ts";
export { IngestMetrics } from "./metrics.ts";
export { Pipeline, type PipelineOptions } from "./pipeline.ts";
export { selfMetricLines, startSelfMetrics } from "./self-metrics.ts";
export { Spool, SpoolFullError } from "./spool.ts";
