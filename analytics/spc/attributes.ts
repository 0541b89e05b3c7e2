// The attribute charts compute their limits on the count scale and divide by the size where the
// statistic is a rate (p = np/n, u = c/n), as qcc does; that keeps our limits bit-equal to qcc's.

/** np-scale limits for n units at fraction p: n·p ± k·√(n·p(1−p)), clipped to [0, n]. */
export function binomialCountLimits(
  n: number,
  p: number,
  nsigmas: number,
): { center: number; lcl: number; ucl: number; sigma: number } {
  const center = n * p;
  const sigma = Math.sqrt(p * (1 - p) * n);
  return {
    center,
    sigma,
    lcl: Math.max(center - nsigmas * sigma, 0),
    ucl: Math.min(center + nsigmas * sigma, n),
  };
}

/** c-scale limits for an expected count c: c ± k·√c, the lower one floored at 0. */
export function poissonCountLimits(
  c: number,
  nsigmas: number,
): { center: number; lcl: number; ucl: number; sigma: number } {
  const sigma = Math.sqrt(c);
  return { center: c, sigma, lcl: Math.max(0, c - nsigmas * sigma), ucl: c + nsigmas * sigma };
}
