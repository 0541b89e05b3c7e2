/** Order statistics of a sample, in the sample's unit. */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The nearest-rank percentile: the smallest value with at least `p` % of the sample at or below it,
 * so it is always a value that was observed (no interpolation between two latencies).
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100: ${p}`);
  if (sorted.length === 0) throw new RangeError("percentile of an empty sample");
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError("summary of an empty sample");
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, v) => sum + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] as number,
    mean: total / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** Events per second over a span given in milliseconds. */
export function perSecond(count: number, spanMs: number): number {
  if (!(spanMs > 0)) throw new RangeError(`rate over a span that is not positive: ${spanMs} ms`);
  return (count * 1000) / spanMs;
}
