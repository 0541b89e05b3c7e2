import type { ChartDefinition, SubgroupStatistic } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { d3 } from "./constants.ts";
import { range, rangeOf, sum } from "./numeric.ts";
import { limitsAround, shewhartChart } from "./shewhart.ts";
import { chooseMethod, withinSubgroupSigma } from "./sigma.ts";
import { asVariables, commonSize, requireSubgroups } from "./subgroups.ts";

const R_METHODS = ["UWAVE-R", "MVLUE-R"] as const;

/** A subgroup range, with standard error d3(n)·sigma. */
const subgroupRange: SubgroupStatistic = {
  of: rangeOf,
  standardError: (limits, size) => d3(size) * limits.sigma,
  floor: 0,
};

/**
 * R chart of subgroup ranges. Centre: R̄ = Σ nᵢRᵢ / Σ nᵢ; sigma: UWAVE-R (or MVLUE-R); limits
 * R̄ ± k·d3(nᵢ)·sigma, the lower one floored at 0. d3 comes from qcc's 7-digit table, so the upper
 * limit is (1 + 3·d3/d2)·R̄ with qcc's d2 rather than the rounded D4 factor.
 */
export const rangeChart: ChartDefinition = {
  chart: "r",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const subgroups = asVariables("r", phase1);
    requireSubgroups("r", subgroups.length, options.minSubgroups);
    const method = chooseMethod("r", options.sigmaMethod, R_METHODS, "UWAVE-R");
    const values = subgroups.map((subgroup) => subgroup.values);
    const sizes = values.map((v) => v.length);
    const center = sum(values.map((v) => v.length * range(v))) / sum(sizes);
    const sigma = withinSubgroupSigma(values, method);
    const n = commonSize(sizes);
    const atN = n === null ? null : limitsAround(center, d3(n) * sigma, options.nsigmas, 0);
    return freezeLimits({
      version: 1,
      chart: "r",
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
    const plotted = asVariables("r", sequence).map((subgroup, position) => {
      const size = subgroup.values.length;
      const standardError = subgroupRange.standardError(limits, size);
      return {
        position,
        size,
        statistic: range(subgroup.values),
        center: limits.center,
        sigma: standardError,
        ...limitsAround(limits.center, standardError, limits.nsigmas, subgroupRange.floor),
      };
    });
    return shewhartChart("r", limits, sequence, phase1Count, plotted, options);
  },
  subgroupStatistic: subgroupRange,
};
