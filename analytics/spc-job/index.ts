// The scheduled SPC job: configured characteristics read from the warehouse, formed into
// subgroups, judged against frozen, versioned baselines; results to InfluxDB, violations to the
// alert sinks with the units to hold.

export {
  AUTOMATIC_BASELINE_AUTHOR,
  approveBaseline,
  type Baseline,
  type BaselineLimits,
  type BaselineProposal,
  type BaselineStatus,
  currentBaseline,
  listBaselines,
  proposeBaseline,
} from "./baselines.ts";
export { JOB_CHART_NAMES, JOB_CHARTS, type JobChart } from "./charts.ts";
export {
  type Characteristic,
  type CharacteristicSource,
  DEFAULT_MIN_SUBGROUPS,
  DEFAULT_SPC_JOB_OPTIONS,
  type FeatureSource,
  type FeatureTableOptions,
  parseSpcSection,
  type RecordSource,
  type SignalSource,
  type SpcConfig,
  SpcConfigError,
  type SpcJobOptions,
  SpcSectionSchema,
  type SubgroupSpec,
  type Where,
} from "./config.ts";
export { SpcJobError, type SpcJobErrorReason } from "./errors.ts";
export {
  type CharacteristicRun,
  resetMonitoring,
  runSpc,
  type SpcJobContext,
  SpcRunError,
  type SpcRunResult,
} from "./job.ts";
export { SPC_JOB_DDL, type SpcWarehouse } from "./tables.ts";
