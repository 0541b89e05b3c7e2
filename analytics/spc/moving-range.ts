import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { d3 } from "./constants.ts";
import { individualsBaseline, individualValues } from "./individuals.ts";
import { mean } from "./numeric.ts";
import { limitsAround, shewhartChart } from "./shewhart.ts";
import { movingRanges } from "./sigma.ts";

/**
 * Moving-range chart, the dispersion half of I-MR (qcc 2.7 has none; this is its R chart on
 * span-2 ranges). The point of subgroup i is |xᵢ − xᵢ₋₁|, so the first subgroup of the sequence
 * has no point, and the first phase-II point spans the phase boundary. Centre: mean phase-I moving
 * range; sigma: as the individuals chart (MR or SD); limits MR̄ ± k·d3(2)·sigma, the lower one
 * floored at 0 (with MR sigma: UCL = (1 + 3·0.8525033/1.128)·MR̄ ≈ 3.267·MR̄).
 */
export const movingRangeChart: ChartDefinition = {
  chart: "mr",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const { values, sigma, method } = individualsBaseline("mr", phase1, options);
    const center = mean(movingRanges(values));
    const { lcl, ucl } = limitsAround(center, d3(2) * sigma, options.nsigmas, 0);
    return freezeLimits({
      version: 1,
      chart: "mr",
      center,
      sigma,
      sigmaMethod: method,
      nsigmas: options.nsigmas,
      n: 2,
      lcl,
      ucl,
      rate: null,
      phase1Subgroups: values.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const standardError = d3(2) * limits.sigma;
    const plotted = movingRanges(individualValues("mr", sequence)).map((statistic, i) => ({
      position: i + 1,
      size: 2,
      statistic,
      center: limits.center,
      sigma: standardError,
      ...limitsAround(limits.center, standardError, limits.nsigmas, 0),
    }));
    return shewhartChart("mr", limits, sequence, phase1Count, plotted, options);
  },
};
