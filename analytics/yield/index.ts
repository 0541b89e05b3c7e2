// Yield of the test steps of a line: first-pass yield with retests and scrap, rolled throughput
// yield both ways, defect Pareto, their InfluxDB line protocol and the job that writes them.

export { UNKNOWN_PRODUCT, VISIT_KIND } from "./cohort-sql.ts";
export { YieldError, type YieldErrorReason } from "./errors.ts";
export { runYield, type YieldRunResult } from "./job.ts";
export { PARETO_MEASUREMENT, paretoLines, YIELD_MEASUREMENT, yieldLines } from "./lines.ts";
export {
  DEFAULT_RUN_YIELD_OPTIONS,
  DEFAULT_YIELD_OPTIONS,
  type ParetoScope,
  PERIOD_MS,
  type Period,
  periodStart,
  type RunYieldOptions,
  resolveRunYieldOptions,
  resolveYieldOptions,
  type YieldOptions,
} from "./options.ts";
export { defectPareto } from "./pareto.ts";
export { rolledThroughputYield } from "./rolled-yield.ts";
export { firstPassYield } from "./station-yield.ts";
export type { ParetoRow, RouteYield, StationYield, YieldRow } from "./types.ts";
