import type { ChartDefinition } from "./chart.ts";
import { freezeLimits } from "./chart.ts";
import { SpcError } from "./errors.ts";
import { mean } from "./numeric.ts";
import type { LimitsOptions } from "./options.ts";
import { limitsAround, shewhartChart } from "./shewhart.ts";
import { chooseMethod, INDIVIDUALS_METHODS, individualsSigma } from "./sigma.ts";
import { asVariables, labelOf, requireSubgroups } from "./subgroups.ts";
import type { ChartType, SigmaMethod, Subgroup } from "./types.ts";

/** The single value of each subgroup; an individuals chart refuses subgroups of several values. */
export function individualValues(chart: ChartType, subgroups: readonly Subgroup[]): number[] {
  return asVariables(chart, subgroups).map((subgroup, position) => {
    const [value, ...rest] = subgroup.values;
    if (value === undefined || rest.length > 0) {
      throw new SpcError(
        "subgroup-size",
        `${chart} chart takes one value per subgroup; subgroup ${labelOf(subgroup, position)} has ${subgroup.values.length}`,
      );
    }
    return value;
  });
}

/** Mean and sigma of phase-I individual values (sigma by MR, the default, or SD). */
export function individualsBaseline(
  chart: ChartType,
  phase1: readonly Subgroup[],
  options: LimitsOptions,
): { values: number[]; center: number; sigma: number; method: SigmaMethod } {
  const values = individualValues(chart, phase1);
  requireSubgroups(chart, values.length, options.minSubgroups);
  const method = chooseMethod(chart, options.sigmaMethod, INDIVIDUALS_METHODS, "MR");
  return { values, center: mean(values), sigma: individualsSigma(values, method), method };
}

/**
 * Individuals chart (qcc's "xbar.one"). Centre: mean; sigma: MR (mean moving range / 1.128) or SD
 * (sd / c4(n)); limits centre ± k·sigma.
 */
export const individualsChart: ChartDefinition = {
  chart: "i",
  subgroupKind: "variables",
  computeLimits(phase1, options) {
    const { center, sigma, method, values } = individualsBaseline("i", phase1, options);
    const { lcl, ucl } = limitsAround(center, sigma, options.nsigmas);
    return freezeLimits({
      version: 1,
      chart: "i",
      center,
      sigma,
      sigmaMethod: method,
      nsigmas: options.nsigmas,
      n: 1,
      lcl,
      ucl,
      rate: null,
      phase1Subgroups: values.length,
    });
  },
  evaluate(limits, sequence, phase1Count, options) {
    const plotted = individualValues("i", sequence).map((value, position) => ({
      position,
      size: 1,
      statistic: value,
      center: limits.center,
      sigma: limits.sigma,
      ...limitsAround(limits.center, limits.sigma, limits.nsigmas),
    }));
    return shewhartChart("i", limits, sequence, phase1Count, plotted, options);
  },
};
