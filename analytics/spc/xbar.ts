import type { ChartDefinition, SubgroupStatistic } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { mean, meanOf, sum } from "./numeric.ts";
import { limitsAround, shewhartChart } from "./shewhart.ts";
import {
  chooseMethod,
  defaultWithinMethod,
  WITHIN_SUBGROUP_METHODS,
  withinSubgroupSigma,
} from "./sigma.ts";
import { asVariables, commonSize, requireSubgroups } from "./subgroups.ts";
import type { VariablesSubgroup } from "./types.ts";

/** Grand mean as qcc weights it: Σ nᵢ·x̄ᵢ / Σ nᵢ over the subgroup means. */
export function grandMean(subgroups: readonly VariablesSubgroup[]): number {
  const sizes = subgroups.map((subgroup) => subgroup.values.length);
  return (
    sum(subgroups.map((subgroup) => subgroup.values.length * mean(subgroup.values))) / sum(sizes)
  );
}

/** A subgroup mean, with standard error sigma/√n. */
const subgroupMean: SubgroupStatistic = {
  of: meanOf,
  standardError: (limits, size) => limits.sigma / Math.sqrt(size),
  floor: Number.NEGATIVE_INFINITY,
};

/**
 * X̄ chart of subgroup means. Centre: grand mean; sigma: a within-subgroup estimator (default
 * UWAVE-R, RMSDF beyond 25 values a subgroup); limits centre ± k·sigma/√nᵢ, per point when sizes
 * differ.
 */
export const xbarChart: ChartDefinition = {
  chart: "xbar",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const subgroups = asVariables("xbar", phase1);
    requireSubgroups("xbar", subgroups.length, options.minSubgroups);
    const sizes = subgroups.map((subgroup) => subgroup.values.length);
    const method = chooseMethod(
      "xbar",
      options.sigmaMethod,
      WITHIN_SUBGROUP_METHODS,
      defaultWithinMethod(sizes),
    );
    const center = grandMean(subgroups);
    const sigma = withinSubgroupSigma(
      subgroups.map((subgroup) => subgroup.values),
      method,
    );
    const n = commonSize(sizes);
    const atN = n === null ? null : limitsAround(center, sigma / Math.sqrt(n), options.nsigmas);
    return freezeLimits({
      version: 1,
      chart: "xbar",
      center,
      sigma,
      sigmaMethod: method,
      nsigmas: options.nsigmas,
      n,
      lcl: atN?.lcl ?? null,
      ucl: atN?.ucl ?? null,
      rate: null,
      phase1Subgroups: subgroups.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const subgroups = asVariables("xbar", sequence);
    const plotted = subgroups.map((subgroup, position) => {
      const size = subgroup.values.length;
      const standardError = subgroupMean.standardError(limits, size);
      return {
        position,
        size,
        statistic: mean(subgroup.values),
        center: limits.center,
        sigma: standardError,
        ...limitsAround(limits.center, standardError, limits.nsigmas),
      };
    });
    return shewhartChart("xbar", limits, sequence, phase1Count, plotted, options);
  },
  subgroupStatistic: subgroupMean,
};
