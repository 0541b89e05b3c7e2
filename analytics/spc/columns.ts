import { CHARTS } from "./charts.ts";
import { SpcError } from "./errors.ts";
import { applyRulesToColumns, DEFAULT_RULE_OPTIONS, RULE_SETS, type RuleOptions } from "./rules.ts";
import { limitsAround } from "./shewhart.ts";
import type { ControlLimits, RuleSetName, Violation } from "./types.ts";

/**
 * Measurements of many subgroups held as columns: subgroup k is `values[starts[k]]` up to, not
 * including, `values[starts[k + 1]]`, so `starts` has one entry more than there are subgroups.
 */
export interface SubgroupColumns {
  readonly values: ArrayLike<number>;
  readonly starts: ArrayLike<number>;
}

/** A violation on a chart of columns: as `evaluate`'s, without a subgroup label. */
export type ColumnViolation = Omit<Violation, "subgroup">;

/**
 * An X̄, R or S chart as columns, point k (the k-th subgroup) at index k of each: the numbers of
 * `evaluate`'s points, bit for bit, without an object per point.
 */
export interface ColumnChart {
  readonly chart: "xbar" | "r" | "s";
  readonly rules: RuleSetName;
  readonly limits: ControlLimits;
  /** Subgroup mean, range or standard deviation. */
  readonly statistic: Float64Array;
  readonly center: Float64Array;
  readonly lcl: Float64Array;
  readonly ucl: Float64Array;
  /** Standard error of the statistic; the zones of the WE and Nelson rules are ±1, 2 of it. */
  readonly sigma: Float64Array;
  /** Sorted by index, then in the rule set's order, as `evaluate`'s. */
  readonly violations: readonly ColumnViolation[];
}

/**
 * Judges subgroups held as columns against frozen X̄, R or S limits, with the arithmetic and rules
 * of `evaluate`: the same statistics, limits and violations, for a backlog of millions of
 * subgroups without an object per subgroup or per point. As with `evaluate`, pass the phase-I
 * subgroups first when you have them (the rules see one sequence); indices are 1-based positions
 * in that sequence. Other charts are refused (`wrong-chart`): use `evaluate`.
 */
export function evaluateColumns(
  limits: ControlLimits,
  subgroups: SubgroupColumns,
  options: Partial<RuleOptions> = {},
): ColumnChart {
  if (limits.version !== 1) {
    throw new SpcError(
      "wrong-chart",
      `control limits of version ${String(limits.version)}, expected 1`,
    );
  }
  const statistic = CHARTS[limits.chart]?.subgroupStatistic;
  if (
    statistic === undefined ||
    (limits.chart !== "xbar" && limits.chart !== "r" && limits.chart !== "s")
  ) {
    throw new SpcError(
      "wrong-chart",
      `${String(limits.chart)} limits cannot judge subgroup columns (xbar, r and s can); use evaluate`,
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
  const { values, starts } = subgroups;
  const count = Math.max(0, starts.length - 1);
  const plotted = {
    statistic: new Float64Array(count),
    center: new Float64Array(count).fill(limits.center),
    lcl: new Float64Array(count),
    ucl: new Float64Array(count),
    sigma: new Float64Array(count),
  };
  // Sizes rarely change from one subgroup to the next: the limits are worked out once per size.
  let size = -1;
  let standardError = Number.NaN;
  let around = { lcl: Number.NaN, ucl: Number.NaN };
  // Every subgroup is checked before any is judged, so the refusal is the one `evaluate` gives.
  for (let k = 0; k < count; k++) {
    const start = starts[k] as number;
    const end = starts[k + 1] as number;
    if (!(end > start)) {
      throw new SpcError("subgroup-size", `subgroup #${k + 1} has no values`);
    }
    for (let i = start; i < end; i++) {
      if (!Number.isFinite(values[i])) {
        throw new SpcError("non-finite", `subgroup #${k + 1} has a non-finite value`);
      }
    }
  }
  for (let k = 0; k < count; k++) {
    const start = starts[k] as number;
    const end = starts[k + 1] as number;
    if (end - start !== size) {
      size = end - start;
      standardError = statistic.standardError(limits, size);
      around = limitsAround(limits.center, standardError, limits.nsigmas, statistic.floor);
    }
    plotted.statistic[k] = statistic.of(values, start, end);
    plotted.sigma[k] = standardError;
    plotted.lcl[k] = around.lcl;
    plotted.ucl[k] = around.ucl;
  }
  const violations = applyRulesToColumns(plotted, resolved).map(
    ({ position, rule, side }): ColumnViolation =>
      side ? { index: position + 1, rule, side } : { index: position + 1, rule },
  );
  return { chart: limits.chart, rules: resolved.rules, limits, ...plotted, violations };
}
