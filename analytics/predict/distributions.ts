import gammainc from "@stdlib/math-base-special-gammainc";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

// @stdlib/stats-base-dists-chisquare-cdf is not a dependency; the chi-square upper tail is the
// regularized upper incomplete gamma function, Q(df/2, x/2), which stdlib's gammainc computes
// (installed with the chi-square quantile).

/** Two-sided p-value of a standard normal statistic. */
export function twoSidedNormalP(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

/** P(X >= x) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquareUpperTail(x: number, df: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return gammainc(x / 2, df / 2, true, true);
}

/** The standard normal quantile of a two-sided interval at `level` (1.96 at 0.95). */
export function normalCritical(level: number): number {
  return normalQuantile(0.5 + level / 2, 0, 1);
}

const logFactorials: number[] = [0];

/** ln(k!) from a running sum of logarithms: exact to rounding for every k a table of boards reaches. */
export function logFactorial(k: number): number {
  for (let i = logFactorials.length; i <= k; i++) {
    logFactorials.push((logFactorials[i - 1] as number) + Math.log(i));
  }
  return logFactorials[k] as number;
}

/** log(1 + e^eta) without overflow: the log-loss of a logistic model's linear predictor. */
export function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}
