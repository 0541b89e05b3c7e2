import { c4, d2, d3 } from "./constants.ts";
import { SpcError } from "./errors.ts";
import { at, mean, range, standardDeviation, sum } from "./numeric.ts";
import type { SigmaMethod } from "./types.ts";

/** Estimators that pool the spread inside subgroups of two or more values. */
export const WITHIN_SUBGROUP_METHODS = [
  "UWAVE-R",
  "UWAVE-SD",
  "MVLUE-R",
  "MVLUE-SD",
  "RMSDF",
] as const satisfies readonly SigmaMethod[];
export type WithinSubgroupMethod = (typeof WITHIN_SUBGROUP_METHODS)[number];

/** Estimators for individual values. */
export const INDIVIDUALS_METHODS = ["MR", "SD"] as const satisfies readonly SigmaMethod[];
export type IndividualsMethod = (typeof INDIVIDUALS_METHODS)[number];

/** Picks the requested method if the chart allows it, else the chart's default; refuses others. */
export function chooseMethod<M extends SigmaMethod>(
  chart: string,
  requested: SigmaMethod | undefined,
  allowed: readonly M[],
  fallback: M,
): M {
  if (requested === undefined) return fallback;
  if ((allowed as readonly SigmaMethod[]).includes(requested)) return requested as M;
  throw new SpcError(
    "sigma-method",
    `${chart} chart cannot use sigma method ${requested} (allowed: ${allowed.join(", ")})`,
  );
}

/** qcc's default for subgroups: UWAVE-R, unless a subgroup is too large for the d2 table. */
export function defaultWithinMethod(sizes: readonly number[]): WithinSubgroupMethod {
  return sizes.some((size) => size > 25) ? "RMSDF" : "UWAVE-R";
}

/**
 * Within-subgroup sigma as qcc's `sd.xbar` computes it (SAS/QC definitions):
 * - UWAVE-R: Σ(Rᵢ/d2(nᵢ)) / m
 * - UWAVE-SD: Σ(Sᵢ/c4(nᵢ)) / m
 * - MVLUE-R: Σ(wᵢ·Rᵢ/d2(nᵢ)) / Σwᵢ with wᵢ = (d2(nᵢ)/d3(nᵢ))²
 * - MVLUE-SD: Σ(wᵢ·Sᵢ/c4(nᵢ)) / Σwᵢ with wᵢ = c4(nᵢ)²/(1 − c4(nᵢ)²)
 * - RMSDF: sqrt(Σ(nᵢ−1)Sᵢ² / Σ(nᵢ−1)) / c4(Σ(nᵢ−1) + 1)
 * Every subgroup needs at least two values.
 */
export function withinSubgroupSigma(
  subgroups: readonly (readonly number[])[],
  method: WithinSubgroupMethod,
): number {
  const sizes = subgroups.map((values) => values.length);
  if (sizes.some((size) => size < 2)) {
    throw new SpcError(
      "subgroup-size",
      `sigma method ${method} needs subgroups of at least 2 values (found a subgroup of ${Math.min(...sizes)})`,
    );
  }
  const m = subgroups.length;
  switch (method) {
    case "UWAVE-R":
      return sum(subgroups.map((values) => range(values) / d2(values.length))) / m;
    case "UWAVE-SD":
      return sum(subgroups.map((values) => standardDeviation(values) / c4(values.length))) / m;
    case "MVLUE-R": {
      const weights = sizes.map((n) => (d2(n) / d3(n)) ** 2);
      const weighted = subgroups.map(
        (values, i) => (range(values) / d2(values.length)) * at(weights, i),
      );
      return sum(weighted) / sum(weights);
    }
    case "MVLUE-SD": {
      const weights = sizes.map((n) => c4(n) ** 2 / (1 - c4(n) ** 2));
      const weighted = subgroups.map(
        (values, i) => (standardDeviation(values) / c4(values.length)) * at(weights, i),
      );
      return sum(weighted) / sum(weights);
    }
    case "RMSDF": {
      const df = sizes.map((n) => n - 1);
      const pooled = sum(subgroups.map((values, i) => standardDeviation(values) ** 2 * at(df, i)));
      const totalDf = sum(df);
      return Math.sqrt(pooled / totalDf) / c4(totalDf + 1);
    }
  }
}

/** Moving ranges of span 2: |xᵢ − xᵢ₋₁| for i = 2..n. */
export function movingRanges(values: readonly number[]): number[] {
  return values.slice(1).map((value, i) => Math.abs(value - at(values, i)));
}

/**
 * Sigma of individual values as qcc's `sd.xbar.one`: MR = mean moving range / d2(2) (= 1.128);
 * SD = sample sd / c4(n). Needs at least two values.
 */
export function individualsSigma(values: readonly number[], method: IndividualsMethod): number {
  if (values.length < 2) {
    throw new SpcError(
      "too-few-subgroups",
      `sigma method ${method} needs at least 2 individual values`,
    );
  }
  if (method === "MR") return mean(movingRanges(values)) / d2(2);
  return standardDeviation(values) / c4(values.length);
}
