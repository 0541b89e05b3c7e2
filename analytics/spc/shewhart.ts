import { at } from "./numeric.ts";
import { applyRules, type RuleOptions } from "./rules.ts";
import { labelOf } from "./subgroups.ts";
import type {
  ControlLimits,
  ShewhartChart,
  ShewhartChartType,
  ShewhartPoint,
  Subgroup,
  Violation,
} from "./types.ts";

/** A plotted statistic with its own centre, limits and standard error. */
export interface PlottedStatistic {
  /** 0-based position of the subgroup in the sequence. */
  readonly position: number;
  readonly size: number;
  readonly statistic: number;
  readonly center: number;
  readonly lcl: number;
  readonly ucl: number;
  readonly sigma: number;
}

/** centre ± nsigmas·se, with the lower limit floored (0 for ranges, counts, fractions). */
export function limitsAround(
  center: number,
  standardError: number,
  nsigmas: number,
  floor = Number.NEGATIVE_INFINITY,
): { lcl: number; ucl: number } {
  return {
    lcl: Math.max(floor, center - nsigmas * standardError),
    ucl: center + nsigmas * standardError,
  };
}

/** Labels, phases and rule violations around the plotted statistics of a Shewhart chart. */
export function shewhartChart(
  chart: ShewhartChartType,
  limits: ControlLimits,
  subgroups: readonly Subgroup[],
  phase1Count: number,
  plotted: readonly PlottedStatistic[],
  options: RuleOptions,
): ShewhartChart {
  const points: ShewhartPoint[] = plotted.map((p) => ({
    index: p.position + 1,
    subgroup: labelOf(at(subgroups, p.position), p.position),
    phase: p.position < phase1Count ? 1 : 2,
    size: p.size,
    statistic: p.statistic,
    center: p.center,
    lcl: p.lcl,
    ucl: p.ucl,
    sigma: p.sigma,
  }));
  const violations: Violation[] = applyRules(points, options).map(({ position, rule, side }) => {
    const point = at(points, position);
    return side
      ? { index: point.index, subgroup: point.subgroup, rule, side }
      : { index: point.index, subgroup: point.subgroup, rule };
  });
  return {
    chart,
    rules: options.rules,
    limits,
    center: limits.center,
    sigma: limits.sigma,
    sigmaMethod: limits.sigmaMethod,
    n: limits.n,
    points,
    violations,
  };
}
