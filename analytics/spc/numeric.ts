// R accumulates sums and means in extended precision (long double); plain left-to-right double
// sums drift from it by a few ulps, which shows up in sums of near-cancelling terms such as
// CUSUM. Neumaier's compensated sum plus R's two-pass mean keep us within an ulp of qcc.

/** Compensated (Neumaier) sum. */
export function sum(values: Iterable<number>): number {
  let total = 0;
  let compensation = 0;
  for (const value of values) {
    const next = total + value;
    compensation +=
      Math.abs(total) >= Math.abs(value) ? total - next + value : value - next + total;
    total = next;
  }
  return total + compensation;
}

/** Mean with R's second pass: the mean of the residuals corrects the first estimate. */
export function mean(values: readonly number[]): number {
  const n = values.length;
  const first = sum(values) / n;
  if (!Number.isFinite(first)) return first;
  return first + sum(values.map((value) => value - first)) / n;
}

/** Sample variance (denominator n - 1), two-pass as R's `var`. */
export function variance(values: readonly number[]): number {
  const m = mean(values);
  return sum(values.map((value) => (value - m) * (value - m))) / (values.length - 1);
}

/** Sample standard deviation (denominator n - 1). */
export function standardDeviation(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

/** Largest minus smallest value. */
export function range(values: readonly number[]): number {
  return Math.max(...values) - Math.min(...values);
}

/** Element of an array that the caller knows is in bounds (keeps noUncheckedIndexedAccess honest). */
export function at<T>(values: readonly T[], index: number): T {
  const value = values[index];
  if (value === undefined) throw new RangeError(`index ${index} outside 0..${values.length - 1}`);
  return value;
}
