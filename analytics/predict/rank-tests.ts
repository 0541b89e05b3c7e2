import { twoSidedNormalP } from "./distributions.ts";

/** Samples this small and without ties get the exact null distribution of U. */
const EXACT_MAX_UNITS = 50;

/** A two-sample rank comparison of failing (positive) against passing units. */
export interface MannWhitney {
  /** U of the failing units: pairs (fail, pass) where the fail is higher, ties counting one half. */
  u: number;
  /** U / (failing × passing): the chance that a failing unit has the higher value (ROC AUC). */
  auc: number;
  /** Normal approximation with tie correction and continuity correction; NaN when exact. */
  z: number;
  /** Two-sided p-value. */
  p: number;
  method: "exact" | "normal";
  positives: number;
  negatives: number;
}

/**
 * Sum of the midranks of the positive units and Σ(t³ − t) over tie groups. `order` is scratch
 * space of `values.length` entries.
 */
function rankSum(
  values: ArrayLike<number>,
  positive: ArrayLike<number>,
  order: Uint32Array,
): { positiveRankSum: number; tieTerm: number } {
  const n = order.length;
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (values[a] as number) - (values[b] as number));
  let positiveRankSum = 0;
  let tieTerm = 0;
  let start = 0;
  while (start < n) {
    const value = values[order[start] as number] as number;
    let end = start + 1;
    while (end < n && values[order[end] as number] === value) end++;
    const ties = end - start;
    const midrank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (positive[order[k] as number] === 1) positiveRankSum += midrank;
    }
    if (ties > 1) tieTerm += ties * ties * ties - ties;
    start = end;
  }
  return { positiveRankSum, tieTerm };
}

/** P(U <= u) and P(U >= u) under the null, no ties: coefficients of the Gaussian binomial. */
function exactTails(u: number, n1: number, n0: number): { lower: number; upper: number } {
  const max = n1 * n0;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  // ∏_{i=1..n1} (1 − q^(n0+i)) / (1 − q^i): each factor keeps the coefficients whole numbers.
  for (let i = 1; i <= n1; i++) {
    const m = n0 + i;
    for (let k = max; k >= m; k--) counts[k] = (counts[k] as number) - (counts[k - m] as number);
    for (let k = i; k <= max; k++) counts[k] = (counts[k] as number) + (counts[k - i] as number);
  }
  let total = 0;
  let lower = 0;
  let upper = 0;
  for (let k = 0; k <= max; k++) {
    const c = counts[k] as number;
    total += c;
    if (k <= u) lower += c;
    if (k >= u) upper += c;
  }
  return { lower: lower / total, upper: upper / total };
}

/**
 * Mann–Whitney U test of `values` between units with `positive[i] === 1` and the others (no
 * missing values: the caller drops them). Exact for at most 50 units without ties (unless
 * `exact` is false), else the normal approximation with tie correction and continuity correction (as R's wilcox.test with
 * correct = TRUE, SciPy's mannwhitneyu with use_continuity).
 */
export function mannWhitney(
  values: ArrayLike<number>,
  positive: ArrayLike<number>,
  options: { exact?: boolean } = {},
): MannWhitney {
  const n = values.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (positive[i] === 1) positives++;
  const negatives = n - positives;
  const { positiveRankSum, tieTerm } = rankSum(values, positive, new Uint32Array(n));
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  const pairs = positives * negatives;
  const auc = pairs > 0 ? u / pairs : Number.NaN;
  if (pairs === 0) {
    return { u, auc, z: Number.NaN, p: Number.NaN, method: "normal", positives, negatives };
  }
  if ((options.exact ?? true) && n <= EXACT_MAX_UNITS && tieTerm === 0) {
    const { lower, upper } = exactTails(u, positives, negatives);
    const p = Math.min(1, 2 * Math.min(lower, upper));
    return { u, auc, z: Number.NaN, p, method: "exact", positives, negatives };
  }
  const mean = pairs / 2;
  const variance = (pairs / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) {
    return { u, auc, z: 0, p: 1, method: "normal", positives, negatives };
  }
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, auc, z, p: twoSidedNormalP(z), method: "normal", positives, negatives };
}

/**
 * ROC AUC of `scores` for `labels` (1 = failed): the Mann–Whitney U of the failing units over
 * failing × passing pairs, tied scores counting one half. NaN when either class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const pairs = positives * (n - positives);
  if (pairs === 0) return Number.NaN;
  const { positiveRankSum } = rankSum(scores, labels, new Uint32Array(n));
  return (positiveRankSum - (positives * (positives + 1)) / 2) / pairs;
}
