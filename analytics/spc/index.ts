// Statistical process control, reproducing R's qcc 2.7: phase-I control limits frozen as a plain
// value, phase-II monitoring against them, run rules, and process capability.

export {
  type Capability,
  type CapabilityOptions,
  computeCapability,
  DEFAULT_CAPABILITY_OPTIONS,
  type Interval,
  type SpecLimits,
} from "./capability.ts";
export type { ChartDefinition, SubgroupStatistic } from "./chart.ts";
export { CHART_TYPES, CHARTS } from "./charts.ts";
export {
  type ColumnChart,
  type ColumnViolation,
  evaluateColumns,
  type SubgroupColumns,
} from "./columns.ts";
export { c4, D2_MAX_SIZE, D3_MAX_SIZE, d2, d3 } from "./constants.ts";
export { type ChartOf, computeLimits, evaluate } from "./control-chart.ts";
export { parseAttributesCsv, parseVariablesCsv } from "./csv.ts";
export { SpcError, type SpcErrorReason } from "./errors.ts";
export { DEFAULT_LIMITS_OPTIONS, type LimitsOptions } from "./options.ts";
export {
  applyRules,
  applyRulesToColumns,
  DEFAULT_RULE_OPTIONS,
  type JudgedColumns,
  type JudgedPoint,
  RULE_SETS,
  type RuleHit,
  type RuleOptions,
} from "./rules.ts";
export {
  INDIVIDUALS_METHODS,
  individualsSigma,
  movingRanges,
  WITHIN_SUBGROUP_METHODS,
  withinSubgroupSigma,
} from "./sigma.ts";
export type * from "./types.ts";
