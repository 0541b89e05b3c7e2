import { binomialCountLimits } from "./attributes.ts";
import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { SpcError } from "./errors.ts";
import { sum } from "./numeric.ts";
import { shewhartChart } from "./shewhart.ts";
import { asAttributes, commonSize, requireSubgroups, sizeOf } from "./subgroups.ts";

/**
 * np chart of the number nonconforming. Phase I needs one subgroup size n (otherwise use a p
 * chart). Centre n·p̄; sigma √(n·p̄(1−p̄)); limits n·p̄ ± k·sigma clipped to [0, n]. A phase-II
 * subgroup of another size gets its own centre and limits from p̄.
 */
export const npChart: ChartDefinition = {
  chart: "np",
  subgroupKind: "attributes",
  computeLimits(phase1, options) {
    const subgroups = asAttributes("np", phase1, true);
    requireSubgroups("np", subgroups.length, options.minSubgroups);
    const sizes = subgroups.map(sizeOf);
    const n = commonSize(sizes);
    if (n === null) {
      throw new SpcError(
        "unequal-sizes",
        "np chart needs one subgroup size in phase I; use a p chart for varying sizes",
      );
    }
    const pbar = sum(subgroups.map((subgroup) => subgroup.count)) / sum(sizes);
    const { center, sigma, lcl, ucl } = binomialCountLimits(n, pbar, options.nsigmas);
    return freezeLimits({
      version: 1,
      chart: "np",
      center,
      sigma,
      sigmaMethod: "binomial",
      nsigmas: options.nsigmas,
      n,
      lcl,
      ucl,
      rate: pbar,
      phase1Subgroups: subgroups.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const pbar = limits.rate ?? limits.center / (limits.n ?? Number.NaN);
    const plotted = asAttributes("np", sequence, true).map((subgroup, position) => {
      const size = sizeOf(subgroup);
      const atSize =
        size === limits.n
          ? {
              center: limits.center,
              sigma: limits.sigma,
              lcl: limits.lcl ?? 0,
              ucl: limits.ucl ?? 0,
            }
          : binomialCountLimits(size, pbar, limits.nsigmas);
      return { position, size, statistic: subgroup.count, ...atSize };
    });
    return shewhartChart("np", limits, sequence, phase1Count, plotted, options);
  },
};
