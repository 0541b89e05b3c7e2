import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { SpcError } from "./errors.ts";
import { mean } from "./numeric.ts";
import { processBaseline } from "./process-baseline.ts";
import { asVariables, labelOf } from "./subgroups.ts";
import type { CusumChart, CusumPoint, Violation } from "./types.ts";

/**
 * Standardised tabular CUSUM (qcc's `cusum`). zₜ = (x̄ₜ − centre)/(sigma/√nₜ), k = seShift/2,
 * C⁺ₜ = max(0, C⁺ₜ₋₁ + (zₜ − k)), C⁻ₜ = max(0, C⁻ₜ₋₁ − (zₜ + k)), both starting at the head start,
 * run over phase I and phase II in one sequence. The lower sum is reported as −C⁻ (≤ 0). A point is
 * flagged `beyond-limits` with side `upper` when C⁺ > h and side `lower` when −C⁻ < −h (strict).
 * The decision interval ∓h is the point's lcl/ucl and its centre is 0.
 */
export const cusumChart: ChartDefinition = {
  chart: "cusum",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const baseline = processBaseline("cusum", phase1, options);
    return freezeLimits({
      version: 1,
      chart: "cusum",
      center: baseline.center,
      sigma: baseline.sigma,
      sigmaMethod: baseline.sigmaMethod,
      nsigmas: options.nsigmas,
      n: baseline.n,
      lcl: -options.decisionInterval,
      ucl: options.decisionInterval,
      rate: null,
      phase1Subgroups: baseline.subgroups,
      cusum: {
        decisionInterval: options.decisionInterval,
        seShift: options.seShift,
        headStart: options.headStart,
      },
    });
  },
  evaluate(limits, sequence, phase1Count, _rules, carry): CusumChart {
    if (!limits.cusum) throw new SpcError("wrong-chart", "CUSUM limits without their parameters");
    const { decisionInterval: h, seShift, headStart } = limits.cusum;
    const k = seShift / 2;
    let upper = carry?.upper ?? headStart;
    let lower = carry?.lower === undefined ? headStart : -carry.lower;
    const points: CusumPoint[] = asVariables("cusum", sequence).map((subgroup, position) => {
      const size = subgroup.values.length;
      const subgroupMean = mean(subgroup.values);
      const z = (subgroupMean - limits.center) / (limits.sigma / Math.sqrt(size));
      upper = Math.max(0, upper + (z - k));
      lower = Math.max(0, lower - (z + k));
      return {
        index: position + 1,
        subgroup: labelOf(subgroup, position),
        phase: position < phase1Count ? 1 : 2,
        size,
        upper,
        lower: -lower,
        mean: subgroupMean,
        z,
        center: 0,
        lcl: -h,
        ucl: h,
      };
    });
    const violations: Violation[] = points.flatMap((point) => {
      const flagged: Violation[] = [];
      const where = {
        index: point.index,
        subgroup: point.subgroup,
        rule: "beyond-limits" as const,
      };
      if (point.upper > h) flagged.push({ ...where, side: "upper" });
      if (point.lower < -h) flagged.push({ ...where, side: "lower" });
      return flagged;
    });
    return {
      chart: "cusum",
      limits,
      center: limits.center,
      sigma: limits.sigma,
      sigmaMethod: limits.sigmaMethod,
      n: limits.n,
      points,
      violations,
    };
  },
};
