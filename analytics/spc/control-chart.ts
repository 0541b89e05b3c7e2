import type { ChartDefinition } from "./chart.ts";
import { CHART_TYPES, CHARTS } from "./charts.ts";
import { SpcError } from "./errors.ts";
import { type LimitsOptions, resolveLimitsOptions } from "./options.ts";
import { DEFAULT_RULE_OPTIONS, RULE_SETS, type RuleOptions } from "./rules.ts";
import type {
  ChartType,
  ControlLimits,
  CusumChart,
  EwmaChart,
  PhasedSubgroups,
  RecurrenceCarry,
  ShewhartChart,
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

/** The chart `evaluate` returns for limits of chart type C. */
export type ChartOf<C extends ChartType> = C extends "ewma"
  ? EwmaChart
  : C extends "cusum"
    ? CusumChart
    : ShewhartChart;

/**
 * Phase I: control limits from baseline subgroups, frozen. Throws SpcError (reason code) when the
 * data cannot support the chart: too few subgroups, wrong subgroup kind, sizes, non-finite values.
 */
export function computeLimits<C extends ChartType>(
  chart: C,
  phase1: readonly Subgroup[],
  options: Partial<LimitsOptions> = {},
): ControlLimits & { readonly chart: C } {
  const limits = definitionOf(chart).computeLimits(phase1, resolveLimitsOptions(options));
  return limits as ControlLimits & { readonly chart: C };
}

/**
 * Judges subgroups against frozen limits. Give the phase-I subgroups too when you have them: the
 * run rules, EWMA and CUSUM run over phase I and phase II as one sequence (as qcc does with
 * `newdata`), and the moving range of the first phase-II value needs the last phase-I value.
 * Without them, the sequence starts afresh at the first phase-II subgroup. Indices in the result
 * are 1-based positions in phase I + phase II. Rule options apply to Shewhart charts; EWMA and
 * CUSUM signal only beyond their own limits.
 */
export function evaluate<C extends ChartType>(
  limits: ControlLimits & { readonly chart: C },
  subgroups: PhasedSubgroups,
  options: Partial<RuleOptions> & { carry?: RecurrenceCarry } = {},
): ChartOf<C> {
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
  const chart = definitionOf(limits.chart).evaluate(
    limits,
    sequence,
    phase1.length,
    resolved,
    options.carry,
  );
  return chart as ChartOf<C>;
}
