export { rocAuc } from "./rank-tests.ts";

/**
 * Average precision (area under the precision–recall curve as a step function, scikit-learn's
 * average_precision_score): Σ (recallₖ − recallₖ₋₁) × precisionₖ over the distinct score
 * thresholds, highest first; tied scores enter together. NaN without a failing unit.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = new Uint32Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (labels[i] === 1) positives++;
  }
  if (positives === 0) return Number.NaN;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let area = 0;
  let k = 0;
  while (k < n) {
    const score = scores[order[k] as number] as number;
    while (k < n && scores[order[k] as number] === score) {
      if (labels[order[k] as number] === 1) truePositives++;
      seen++;
      k++;
    }
    const recall = truePositives / positives;
    area += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
  }
  return area;
}

/** Mean squared difference between predicted probability and outcome (0/1). */
export function brierScore(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    total += ((scores[i] as number) - (labels[i] as number)) ** 2;
  }
  return total / scores.length;
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Units in the bin. */
  units: number;
  /** Of which failed. */
  failed: number;
  /** Mean predicted probability of failing. */
  predicted: number;
  /** Share that failed. */
  observed: number;
  /** Lowest and highest predicted probability in the bin. */
  from: number;
  to: number;
}

/**
 * Reliability bins of equal counts (by predicted probability): with rare failures most
 * predictions sit near the base rate, and equal-width bins would leave all but one almost empty.
 */
export function reliability(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins: number,
): ReliabilityBin[] {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const count = Math.max(1, Math.min(bins, n));
  const result: ReliabilityBin[] = [];
  for (let b = 0; b < count; b++) {
    const from = Math.floor((b * n) / count);
    const to = Math.floor(((b + 1) * n) / count);
    if (to <= from) continue;
    let predicted = 0;
    let failed = 0;
    for (let k = from; k < to; k++) {
      const i = order[k] as number;
      predicted += scores[i] as number;
      failed += labels[i] as number;
    }
    const units = to - from;
    result.push({
      units,
      failed,
      predicted: predicted / units,
      observed: failed / units,
      from: scores[order[from] as number] as number,
      to: scores[order[to - 1] as number] as number,
    });
  }
  return result;
}
