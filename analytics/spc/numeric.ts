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

/**
 * Compensated (Neumaier) sum of values[start..end), each less `shift` first, and squared when
 * `squared`: the residual sums of the two-pass mean and variance.
 */
function sumOf(
  values: ArrayLike<number>,
  start: number,
  end: number,
  shift: number,
  squared: boolean,
): number {
  let total = 0;
  let compensation = 0;
  for (let i = start; i < end; i++) {
    const residual = (values[i] as number) - shift;
    const value = squared ? residual * residual : residual;
    const next = total + value;
    compensation +=
      Math.abs(total) >= Math.abs(value) ? total - next + value : value - next + total;
    total = next;
  }
  return total + compensation;
}

/**
 * Mean of values[start..end) with R's second pass: the mean of the residuals corrects the first
 * estimate. The range forms read subgroups held as columns without copying them out, and are the
 * one implementation: the array forms below call them.
 */
export function meanOf(values: ArrayLike<number>, start: number, end: number): number {
  const n = end - start;
  const first = sumOf(values, start, end, 0, false) / n;
  if (!Number.isFinite(first)) return first;
  return first + sumOf(values, start, end, first, false) / n;
}

/** Sample variance of values[start..end) (denominator n - 1), two-pass as R's `var`. */
export function varianceOf(values: ArrayLike<number>, start: number, end: number): number {
  return sumOf(values, start, end, meanOf(values, start, end), true) / (end - start - 1);
}

/** Largest minus smallest of values[start..end). */
export function rangeOf(values: ArrayLike<number>, start: number, end: number): number {
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  for (let i = start; i < end; i++) {
    const value = values[i] as number;
    max = Math.max(max, value);
    min = Math.min(min, value);
  }
  return max - min;
}

/** Mean with R's second pass: the mean of the residuals corrects the first estimate. */
export function mean(values: readonly number[]): number {
  return meanOf(values, 0, values.length);
}

/** Sample variance (denominator n - 1), two-pass as R's `var`. */
export function variance(values: readonly number[]): number {
  return varianceOf(values, 0, values.length);
}

/** Sample standard deviation (denominator n - 1). */
export function standardDeviation(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

/** Largest minus smallest value. */
export function range(values: readonly number[]): number {
  return rangeOf(values, 0, values.length);
}

/** Element of an array that the caller knows is in bounds (keeps noUncheckedIndexedAccess honest). */
export function at<T>(values: readonly T[], index: number): T {
  const value = values[index];
  if (value === undefined) throw new RangeError(`index ${index} outside 0..${values.length - 1}`);
  return value;
}
