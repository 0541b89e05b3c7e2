import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { SpcError } from "./errors.ts";
import { mean as meanOf } from "./numeric.ts";
import { processBaseline } from "./process-baseline.ts";
import { asVariables, labelOf } from "./subgroups.ts";
import type { EwmaChart, EwmaPoint, Violation } from "./types.ts";

/**
 * EWMA chart of subgroup means (qcc's `ewma`). z₀ = centre, zₜ = λ·x̄ₜ + (1−λ)·zₜ₋₁ over phase I and
 * phase II in one sequence; σₜ = √(sigma²/nₜ · λ/(2−λ) · (1 − (1−λ)^2t)); limits centre ± k·σₜ.
 * A point is flagged `beyond-limits` when zₜ is strictly outside. The WE/Nelson rule sets do not
 * apply: successive EWMA values are correlated by construction.
 */
export const ewmaChart: ChartDefinition = {
  chart: "ewma",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const baseline = processBaseline("ewma", phase1, options);
    return freezeLimits({
      version: 1,
      chart: "ewma",
      center: baseline.center,
      sigma: baseline.sigma,
      sigmaMethod: baseline.sigmaMethod,
      nsigmas: options.nsigmas,
      n: baseline.n,
      lcl: null,
      ucl: null,
      rate: null,
      phase1Subgroups: baseline.subgroups,
      ewma: { lambda: options.lambda },
    });
  },
  evaluate(limits, sequence, phase1Count, _rules, carry): EwmaChart {
    const lambda = limits.ewma?.lambda;
    if (lambda === undefined) throw new SpcError("wrong-chart", "EWMA limits without lambda");
    const subgroups = asVariables("ewma", sequence);
    let smoothed = carry?.smoothed ?? limits.center;
    const before = carry?.before ?? 0;
    const points: EwmaPoint[] = subgroups.map((subgroup, position) => {
      const t = position + 1;
      const since = before + t;
      const size = subgroup.values.length;
      const mean = meanOf(subgroup.values);
      smoothed = lambda * mean + (1 - lambda) * smoothed;
      const sigma = Math.sqrt(
        (limits.sigma ** 2 / size) * (lambda / (2 - lambda)) * (1 - (1 - lambda) ** (2 * since)),
      );
      return {
        index: t,
        subgroup: labelOf(subgroup, position),
        phase: position < phase1Count ? 1 : 2,
        size,
        statistic: smoothed,
        mean,
        sigma,
        center: limits.center,
        lcl: limits.center - limits.nsigmas * sigma,
        ucl: limits.center + limits.nsigmas * sigma,
      };
    });
    const violations: Violation[] = points.flatMap((point): Violation[] => {
      if (point.statistic > point.ucl) return [beyond(point, "upper")];
      if (point.statistic < point.lcl) return [beyond(point, "lower")];
      return [];
    });
    return {
      chart: "ewma",
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

function beyond(point: EwmaPoint, side: "upper" | "lower"): Violation {
  return { index: point.index, subgroup: point.subgroup, rule: "beyond-limits", side };
}
