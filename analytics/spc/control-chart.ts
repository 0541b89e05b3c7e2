import type { ChartDefinition } from "./chart.ts";
import { CHART_TYPES, CHARTS } from "./charts.ts";
import { SpcError } from "./errors.ts";
import { type LimitsOptions, resolveLimitsOptions } from "./options.ts";
import { DEFAULT_RULE_OPTIONS, RULE_SETS, type RuleOptions } from "./rules.ts";
import type {
  ChartType,
  ControlChart,
  ControlLimits,
  CusumChart,
  EwmaChart,
  PhasedSubgroups,
  ShewhartChart,
  ShewhartChartType,
  Subgroup,
} from "./types.ts";

function definitionOf(chart: unknown): ChartDefinition {
  const definition = CHARTS[chart as ChartType];
  if (definition === undefined) {
    throw new SpcError(
      "wrong-chart",
      `unknown chart ${String(chart)} (expected one of: ${CHART_TYPES.join(", ")})`,
    );
  }
  return definition;
}

/**
 * Phase I: control limits from baseline subgroups, frozen. Throws SpcError (reason code) when the
 * data cannot support the chart: too few subgroups, wrong subgroup kind, sizes, non-finite values.
 */
export function computeLimits(
  chart: ChartType,
  phase1: readonly Subgroup[],
  options: Partial<LimitsOptions> = {},
): ControlLimits {
  return definitionOf(chart).computeLimits(phase1, resolveLimitsOptions(options));
}

/**
 * Judges subgroups against frozen limits. Give the phase-I subgroups too when you have them: the
 * run rules, EWMA and CUSUM run over phase I and phase II as one sequence (as qcc does with
 * `newdata`), and the moving range of the first phase-II value needs the last phase-I value.
 * Without them, the sequence starts afresh at the first phase-II subgroup. Indices in the result
 * are 1-based positions in phase I + phase II.
 */
export function evaluate(
  limits: ControlLimits & { chart: ShewhartChartType },
  subgroups: PhasedSubgroups,
  options?: Partial<RuleOptions>,
): ShewhartChart;
export function evaluate(
  limits: ControlLimits & { chart: "ewma" },
  subgroups: PhasedSubgroups,
  options?: Partial<RuleOptions>,
): EwmaChart;
export function evaluate(
  limits: ControlLimits & { chart: "cusum" },
  subgroups: PhasedSubgroups,
  options?: Partial<RuleOptions>,
): CusumChart;
export function evaluate(
  limits: ControlLimits,
  subgroups: PhasedSubgroups,
  options?: Partial<RuleOptions>,
): ControlChart;
export function evaluate(
  limits: ControlLimits,
  subgroups: PhasedSubgroups,
  options: Partial<RuleOptions> = {},
): ControlChart {
  if (limits.version !== 1) {
    throw new SpcError(
      "wrong-chart",
      `control limits of version ${String(limits.version)}, expected 1`,
    );
  }
  const resolved: RuleOptions = {
    rules: options.rules ?? DEFAULT_RULE_OPTIONS.rules,
    runLength: options.runLength ?? DEFAULT_RULE_OPTIONS.runLength,
  };
  if (RULE_SETS[resolved.rules] === undefined) {
    throw new SpcError(
      "bad-option",
      `rules must be one of ${Object.keys(RULE_SETS).join(", ")}, got ${String(resolved.rules)}`,
    );
  }
  const phase1 = subgroups.phase1 ?? [];
  const sequence = [...phase1, ...(subgroups.phase2 ?? [])];
  return definitionOf(limits.chart).evaluate(limits, sequence, phase1.length, resolved);
}
