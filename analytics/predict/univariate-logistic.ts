import { softplus, twoSidedNormalP } from "./distributions.ts";

/** A logistic regression of failing on one measured value. */
export interface UnivariateLogistic {
  /** Log-odds of failing at value 0. */
  intercept: number;
  /** Change of the log-odds per unit of the value. */
  slope: number;
  /** Standard error of the slope (inverse observed information). */
  slopeSe: number;
  /** Wald two-sided p-value of the slope. */
  p: number;
  /** False when the failing and passing units are (almost) separated by the value: no finite fit. */
  estimable: boolean;
}

const MAX_ITERATIONS = 100;
/** Beyond this slope per standard deviation, the odds move ×e^30 per SD: separation, not an estimate. */
const SEPARATION_SLOPE = 30;

function logLikelihood(z: ArrayLike<number>, y: ArrayLike<number>, b0: number, b1: number): number {
  let total = 0;
  for (let i = 0; i < z.length; i++) {
    const eta = b0 + b1 * (z[i] as number);
    total += (y[i] as number) * eta - softplus(eta);
  }
  return total;
}

/**
 * Maximum-likelihood logistic fit of y (0/1) on x by Newton's method with step halving, on the
 * standardised value for stable arithmetic, reported per unit of x.
 */
export function fitUnivariateLogistic(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): UnivariateLogistic {
  const n = x.length;
  let mean = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    mean += x[i] as number;
    positives += y[i] as number;
  }
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((x[i] as number) - mean) ** 2;
  const sd = Math.sqrt(ss / n);
  const none: UnivariateLogistic = {
    intercept: Number.NaN,
    slope: Number.NaN,
    slopeSe: Number.NaN,
    p: Number.NaN,
    estimable: false,
  };
  if (!(sd > 0) || positives === 0 || positives === n) return none;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = ((x[i] as number) - mean) / sd;

  let b0 = Math.log(positives / (n - positives));
  let b1 = 0;
  let ll = logLikelihood(z, y, b0, b1);
  let h00 = 0;
  let h01 = 0;
  let h11 = 0;
  let converged = false;
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let g0 = 0;
    let g1 = 0;
    h00 = 0;
    h01 = 0;
    h11 = 0;
    for (let i = 0; i < n; i++) {
      const zi = z[i] as number;
      const mu = 1 / (1 + Math.exp(-(b0 + b1 * zi)));
      const w = mu * (1 - mu);
      const r = (y[i] as number) - mu;
      g0 += r;
      g1 += r * zi;
      h00 += w;
      h01 += w * zi;
      h11 += w * zi * zi;
    }
    const det = h00 * h11 - h01 * h01;
    if (!(det > 0)) break;
    const step0 = (h11 * g0 - h01 * g1) / det;
    const step1 = (h00 * g1 - h01 * g0) / det;
    let t = 1;
    let next = logLikelihood(z, y, b0 + step0, b1 + step1);
    while (next < ll - 1e-12 && t > 1e-10) {
      t /= 2;
      next = logLikelihood(z, y, b0 + t * step0, b1 + t * step1);
    }
    b0 += t * step0;
    b1 += t * step1;
    ll = next;
    if (Math.abs(b1) > SEPARATION_SLOPE) break;
    if (Math.abs(t * step0) < 1e-10 && Math.abs(t * step1) < 1e-10) {
      converged = true;
      break;
    }
  }
  if (!converged) return none;
  // Information at the estimate (the last loop pass ran at the converged point to within 1e-10).
  const det = h00 * h11 - h01 * h01;
  const se = Math.sqrt(h00 / det);
  return {
    intercept: b0 - (b1 * mean) / sd,
    slope: b1 / sd,
    slopeSe: se / sd,
    p: twoSidedNormalP(b1 / se),
    estimable: true,
  };
}
