import type { LimitsOptions } from "./options.ts";
import type { RuleOptions } from "./rules.ts";
import type { ChartType, ControlChart, ControlLimits, RecurrenceCarry, Subgroup } from "./types.ts";

/**
 * One chart type: how phase I becomes frozen limits, and how a sequence of subgroups is judged
 * against them. Adding a chart is one file implementing this and one line in `charts.ts`.
 */
export interface ChartDefinition {
  readonly chart: ChartType;
  /** What a subgroup holds: measurements or counts. */
  readonly subgroupKind: "variables" | "attributes";
  computeLimits(phase1: readonly Subgroup[], options: LimitsOptions): ControlLimits;
  /**
   * Judges the whole sequence (phase I followed by phase II) against frozen limits; the first
   * `phase1Count` subgroups are phase I. Rules see the whole sequence, so a run can start in phase I.
   */
  evaluate(
    limits: ControlLimits,
    subgroups: readonly Subgroup[],
    phase1Count: number,
    options: RuleOptions,
    carry?: RecurrenceCarry,
  ): ControlChart;
  /**
   * For a Shewhart chart of measurements whose point depends on its own subgroup only: how that
   * point is made, so subgroups held as columns are judged by the same arithmetic as `evaluate`.
   */
  readonly subgroupStatistic?: SubgroupStatistic;
}

/** A Shewhart chart's plotted statistic of one subgroup, and its standard error. */
export interface SubgroupStatistic {
  /** The statistic of values[start..end). */
  of(values: ArrayLike<number>, start: number, end: number): number;
  /** Standard error of the statistic for a subgroup of `size` values, from the frozen sigma. */
  standardError(limits: ControlLimits, size: number): number;
  /** Least value a lower limit can take (0 for ranges and standard deviations). */
  readonly floor: number;
}

/** Freezes a limits value (shallowly nested objects included) so a persisted baseline cannot drift. */
export function freezeLimits(limits: ControlLimits): ControlLimits {
  if (limits.ewma) Object.freeze(limits.ewma);
  if (limits.cusum) Object.freeze(limits.cusum);
  return Object.freeze(limits);
}
