import type { LimitsOptions } from "./options.ts";
import type { RuleOptions } from "./rules.ts";
import type { ChartType, ControlChart, ControlLimits, Subgroup } from "./types.ts";

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
  ): ControlChart;
}

/** Freezes a limits value (shallowly nested objects included) so a persisted baseline cannot drift. */
export function freezeLimits(limits: ControlLimits): ControlLimits {
  if (limits.ewma) Object.freeze(limits.ewma);
  if (limits.cusum) Object.freeze(limits.cusum);
  return Object.freeze(limits);
}
