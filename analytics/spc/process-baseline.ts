import { SpcError } from "./errors.ts";
import { individualsBaseline } from "./individuals.ts";
import type { LimitsOptions } from "./options.ts";
import {
  chooseMethod,
  defaultWithinMethod,
  WITHIN_SUBGROUP_METHODS,
  withinSubgroupSigma,
} from "./sigma.ts";
import { asVariables, commonSize, requireSubgroups } from "./subgroups.ts";
import type { ChartType, SigmaMethod, Subgroup } from "./types.ts";
import { grandMean } from "./xbar.ts";

/** Process mean and sigma from phase I, the basis of the EWMA and CUSUM charts. */
export interface ProcessBaseline {
  readonly center: number;
  readonly sigma: number;
  readonly sigmaMethod: SigmaMethod;
  readonly n: number | null;
  readonly subgroups: number;
}

/**
 * As qcc's `ewma`/`cusum`: individual values (every subgroup of one value) take the individuals
 * estimators (default MR); subgroups of two or more take the within-subgroup ones (default UWAVE-R,
 * RMSDF beyond 25 values). A mix of single values and subgroups has no sigma estimate and is refused.
 */
export function processBaseline(
  chart: ChartType,
  phase1: readonly Subgroup[],
  options: LimitsOptions,
): ProcessBaseline {
  const subgroups = asVariables(chart, phase1);
  const sizes = subgroups.map((subgroup) => subgroup.values.length);
  if (sizes.every((size) => size === 1)) {
    const { center, sigma, method, values } = individualsBaseline(chart, phase1, options);
    return { center, sigma, sigmaMethod: method, n: 1, subgroups: values.length };
  }
  if (sizes.some((size) => size === 1)) {
    throw new SpcError(
      "subgroup-size",
      `${chart} chart needs phase-I subgroups all of one value or all of two or more`,
    );
  }
  requireSubgroups(chart, subgroups.length, options.minSubgroups);
  const method = chooseMethod(
    chart,
    options.sigmaMethod,
    WITHIN_SUBGROUP_METHODS,
    defaultWithinMethod(sizes),
  );
  return {
    center: grandMean(subgroups),
    sigma: withinSubgroupSigma(
      subgroups.map((subgroup) => subgroup.values),
      method,
    ),
    sigmaMethod: method,
    n: commonSize(sizes),
    subgroups: subgroups.length,
  };
}
