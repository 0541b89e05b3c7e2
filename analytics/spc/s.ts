import type { ChartDefinition, SubgroupStatistic } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { c4 } from "./constants.ts";
import { standardDeviation, sum, varianceOf } from "./numeric.ts";
import { limitsAround, shewhartChart } from "./shewhart.ts";
import { chooseMethod, withinSubgroupSigma } from "./sigma.ts";
import { asVariables, commonSize, requireSubgroups } from "./subgroups.ts";

const S_METHODS = ["UWAVE-SD", "MVLUE-SD", "RMSDF"] as const;

/** A subgroup standard deviation, with standard error sigma·√(1 − c4(n)²). */
const subgroupStdDev: SubgroupStatistic = {
  of: (values, start, end) => Math.sqrt(varianceOf(values, start, end)),
  standardError: (limits, size) => limits.sigma * Math.sqrt(1 - c4(size) ** 2),
  floor: 0,
};

/**
 * S chart of subgroup standard deviations. Centre: S̄ = Σ nᵢSᵢ / Σ nᵢ; sigma: UWAVE-SD (or
 * MVLUE-SD, RMSDF); limits S̄ ± k·sigma·√(1 − c4(nᵢ)²), the lower one floored at 0 (exact c4, so
 * these are the exact B3/B4 limits, not the 3-decimal table).
 */
export const stdDevChart: ChartDefinition = {
  chart: "s",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const subgroups = asVariables("s", phase1);
    requireSubgroups("s", subgroups.length, options.minSubgroups);
    const method = chooseMethod("s", options.sigmaMethod, S_METHODS, "UWAVE-SD");
    const values = subgroups.map((subgroup) => subgroup.values);
    const sizes = values.map((v) => v.length);
    const sigma = withinSubgroupSigma(values, method);
    const center = sum(values.map((v) => v.length * standardDeviation(v))) / sum(sizes);
    const n = commonSize(sizes);
    const atN =
      n === null
        ? null
        : limitsAround(center, sigma * Math.sqrt(1 - c4(n) ** 2), options.nsigmas, 0);
    return freezeLimits({
      version: 1,
      chart: "s",
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
    const plotted = asVariables("s", sequence).map((subgroup, position) => {
      const size = subgroup.values.length;
      const standardError = subgroupStdDev.standardError(limits, size);
      return {
        position,
        size,
        statistic: standardDeviation(subgroup.values),
        center: limits.center,
        sigma: standardError,
        ...limitsAround(limits.center, standardError, limits.nsigmas, subgroupStdDev.floor),
      };
    });
    return shewhartChart("s", limits, sequence, phase1Count, plotted, options);
  },
  subgroupStatistic: subgroupStdDev,
};
