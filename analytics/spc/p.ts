import { binomialCountLimits } from "./attributes.ts";
import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { sum } from "./numeric.ts";
import { shewhartChart } from "./shewhart.ts";
import { asAttributes, commonSize, requireSubgroups, sizeOf } from "./subgroups.ts";

/**
 * p chart of the fraction nonconforming. Centre p̄ = Σ countᵢ / Σ sizeᵢ; sigma (qcc's std.dev)
 * √(p̄(1−p̄)); limits p̄ ± k·√(p̄(1−p̄)/nᵢ) clipped to [0, 1], per point when sizes differ.
 */
export const pChart: ChartDefinition = {
  chart: "p",
  subgroupKind: "attributes",
  computeLimits(phase1, options) {
    const subgroups = asAttributes("p", phase1, true);
    requireSubgroups("p", subgroups.length, options.minSubgroups);
    const sizes = subgroups.map(sizeOf);
    const pbar = sum(subgroups.map((subgroup) => subgroup.count)) / sum(sizes);
    const n = commonSize(sizes);
    const atN = n === null ? null : binomialCountLimits(n, pbar, options.nsigmas);
    return freezeLimits({
      version: 1,
      chart: "p",
      center: pbar,
      sigma: Math.sqrt(pbar * (1 - pbar)),
      sigmaMethod: "binomial",
      nsigmas: options.nsigmas,
      n,
      lcl: atN && n !== null ? atN.lcl / n : null,
      ucl: atN && n !== null ? atN.ucl / n : null,
      rate: pbar,
      phase1Subgroups: subgroups.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const pbar = limits.rate ?? limits.center;
    const plotted = asAttributes("p", sequence, true).map((subgroup, position) => {
      const size = sizeOf(subgroup);
      const counts = binomialCountLimits(size, pbar, limits.nsigmas);
      return {
        position,
        size,
        statistic: subgroup.count / size,
        center: pbar,
        lcl: counts.lcl / size,
        ucl: counts.ucl / size,
        sigma: counts.sigma / size,
      };
    });
    return shewhartChart("p", limits, sequence, phase1Count, plotted, options);
  },
};
