import { chiSquareUpperTail, logFactorial } from "./distributions.ts";

// Tables of boards by group (a lot, a supplier, a station) and outcome (failed, passed).

/** Relative tolerance under which a table counts as "as likely as the observed one" (as R's fisher.test). */
const FISHER_RELATIVE_TOLERANCE = 1e-7;

/**
 * Two-sided Fisher exact test of the 2×2 table [[a, b], [c, d]]: the sum of the hypergeometric
 * probabilities of every table with the same margins that is no more likely than the observed one.
 */
export function fisherExact(a: number, b: number, c: number, d: number): number {
  const row1 = a + b;
  const row2 = c + d;
  const col1 = a + c;
  const n = row1 + row2;
  const logDenominator = logFactorial(n) - logFactorial(col1) - logFactorial(n - col1);
  const logP = (k: number): number =>
    logFactorial(row1) -
    logFactorial(k) -
    logFactorial(row1 - k) +
    logFactorial(row2) -
    logFactorial(col1 - k) -
    logFactorial(row2 - col1 + k) -
    logDenominator;
  const low = Math.max(0, col1 - row2);
  const high = Math.min(row1, col1);
  const observed = logP(a);
  const bound = observed + Math.log1p(FISHER_RELATIVE_TOLERANCE);
  let p = 0;
  for (let k = low; k <= high; k++) {
    const lp = logP(k);
    if (lp <= bound) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/** Pearson's chi-square test of independence of a table of groups × (failed, passed). */
export interface ChiSquare {
  statistic: number;
  df: number;
  p: number;
  /** Share of cells whose expected count is below 5: above 0.2 the p-value is rough. */
  sparseShare: number;
}

/** Pearson chi-square (no continuity correction) of groups with `failed[i]` of `units[i]` failed. */
export function chiSquareTest(failed: readonly number[], units: readonly number[]): ChiSquare {
  let totalFailed = 0;
  let total = 0;
  for (let i = 0; i < units.length; i++) {
    totalFailed += failed[i] as number;
    total += units[i] as number;
  }
  const failShare = totalFailed / total;
  let statistic = 0;
  let sparse = 0;
  for (let i = 0; i < units.length; i++) {
    const n = units[i] as number;
    const f = failed[i] as number;
    const expectedFail = n * failShare;
    const expectedPass = n - expectedFail;
    if (expectedFail < 5) sparse++;
    if (expectedPass < 5) sparse++;
    if (expectedFail > 0) statistic += (f - expectedFail) ** 2 / expectedFail;
    if (expectedPass > 0) statistic += (n - f - expectedPass) ** 2 / expectedPass;
  }
  const df = units.length - 1;
  const degenerate = totalFailed === 0 || totalFailed === total || df < 1;
  return {
    statistic: degenerate ? Number.NaN : statistic,
    df,
    p: degenerate ? Number.NaN : chiSquareUpperTail(statistic, df),
    sparseShare: sparse / (2 * units.length),
  };
}

/** A ratio with its confidence interval. */
export interface Ratio {
  estimate: number;
  low: number;
  high: number;
  /** True when 0.5 was added to every cell because one was empty (Haldane–Anscombe). */
  corrected: boolean;
}

function cells(
  a: number,
  b: number,
  c: number,
  d: number,
): [number, number, number, number, boolean] {
  const corrected = a === 0 || b === 0 || c === 0 || d === 0;
  const add = corrected ? 0.5 : 0;
  return [a + add, b + add, c + add, d + add, corrected];
}

/**
 * Rate ratio of failing, group (a failed, b passed) against the rest (c failed, d passed), with a
 * Katz log interval; `z` is the normal critical value (1.96 for 95 %).
 */
export function rateRatio(a: number, b: number, c: number, d: number, z: number): Ratio {
  const [a1, b1, c1, d1, corrected] = cells(a, b, c, d);
  const estimate = a1 / (a1 + b1) / (c1 / (c1 + d1));
  const se = Math.sqrt(1 / a1 - 1 / (a1 + b1) + 1 / c1 - 1 / (c1 + d1));
  const log = Math.log(estimate);
  return { estimate, low: Math.exp(log - z * se), high: Math.exp(log + z * se), corrected };
}

/** Odds ratio of failing, group against the rest, with a Woolf log interval. */
export function oddsRatio(a: number, b: number, c: number, d: number, z: number): Ratio {
  const [a1, b1, c1, d1, corrected] = cells(a, b, c, d);
  const estimate = (a1 * d1) / (b1 * c1);
  const se = Math.sqrt(1 / a1 + 1 / b1 + 1 / c1 + 1 / d1);
  const log = Math.log(estimate);
  return { estimate, low: Math.exp(log - z * se), high: Math.exp(log + z * se), corrected };
}
