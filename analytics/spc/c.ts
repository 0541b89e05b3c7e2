import { poissonCountLimits } from "./attributes.ts";
import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { SpcError } from "./errors.ts";
import { mean } from "./numeric.ts";
import { shewhartChart } from "./shewhart.ts";
import { asAttributes, labelOf, requireSubgroups } from "./subgroups.ts";
import type { AttributesSubgroup } from "./types.ts";

/** The c chart compares counts, so every subgroup must cover the same inspection size. */
function checkEqualSizes(subgroups: readonly AttributesSubgroup[], expected: number): void {
  subgroups.forEach((subgroup, position) => {
    const size = subgroup.size ?? 1;
    if (size !== expected) {
      throw new SpcError(
        "unequal-sizes",
        `c chart needs equal sizes (${expected}) but subgroup ${labelOf(subgroup, position)} has ${size}; use a u chart`,
      );
    }
  });
}

/**
 * c chart of nonconformities per subgroup (all subgroups the same inspection size; a missing size
 * counts as one unit). Centre c̄ = mean count; sigma √c̄; limits c̄ ± k·√c̄, the lower floored at 0.
 */
export const cChart: ChartDefinition = {
  chart: "c",
  subgroupKind: "attributes",
  computeLimits(phase1, options) {
    const subgroups = asAttributes("c", phase1, false);
    requireSubgroups("c", subgroups.length, options.minSubgroups);
    const n = subgroups[0]?.size ?? 1;
    checkEqualSizes(subgroups, n);
    const { center, sigma, lcl, ucl } = poissonCountLimits(
      mean(subgroups.map((subgroup) => subgroup.count)),
      options.nsigmas,
    );
    return freezeLimits({
      version: 1,
      chart: "c",
      center,
      sigma,
      sigmaMethod: "poisson",
      nsigmas: options.nsigmas,
      n,
      lcl,
      ucl,
      rate: null,
      phase1Subgroups: subgroups.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const subgroups = asAttributes("c", sequence, false);
    checkEqualSizes(subgroups, limits.n ?? 1);
    const atSize = poissonCountLimits(limits.center, limits.nsigmas);
    const plotted = subgroups.map((subgroup, position) => ({
      position,
      size: subgroup.size ?? 1,
      statistic: subgroup.count,
      ...atSize,
    }));
    return shewhartChart("c", limits, sequence, phase1Count, plotted, options);
  },
};
