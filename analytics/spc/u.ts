import { poissonCountLimits } from "./attributes.ts";
import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { sum } from "./numeric.ts";
import { shewhartChart } from "./shewhart.ts";
import { asAttributes, commonSize, requireSubgroups, sizeOf } from "./subgroups.ts";

/**
 * u chart of nonconformities per inspection unit. Centre ū = Σ countᵢ / Σ sizeᵢ; sigma (qcc's
 * std.dev) √ū; limits ū ± k·√(ū/nᵢ), the lower floored at 0, per point when sizes differ.
 */
export const uChart: ChartDefinition = {
  chart: "u",
  subgroupKind: "attributes",
  computeLimits(phase1, options) {
    const subgroups = asAttributes("u", phase1, true);
    requireSubgroups("u", subgroups.length, options.minSubgroups);
    const sizes = subgroups.map(sizeOf);
    const ubar = sum(subgroups.map((subgroup) => subgroup.count)) / sum(sizes);
    const n = commonSize(sizes);
    const atN = n === null ? null : poissonCountLimits(ubar * n, options.nsigmas);
    return freezeLimits({
      version: 1,
      chart: "u",
      center: ubar,
      sigma: Math.sqrt(ubar),
      sigmaMethod: "poisson",
      nsigmas: options.nsigmas,
      n,
      lcl: atN && n !== null ? atN.lcl / n : null,
      ucl: atN && n !== null ? atN.ucl / n : null,
      rate: ubar,
      phase1Subgroups: subgroups.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const ubar = limits.rate ?? limits.center;
    const plotted = asAttributes("u", sequence, true).map((subgroup, position) => {
      const size = sizeOf(subgroup);
      const counts = poissonCountLimits(ubar * size, limits.nsigmas);
      return {
        position,
        size,
        statistic: subgroup.count / size,
        center: ubar,
        lcl: counts.lcl / size,
        ucl: counts.ucl / size,
        sigma: counts.sigma / size,
      };
    });
    return shewhartChart("u", limits, sequence, phase1Count, plotted, options);
  },
};
