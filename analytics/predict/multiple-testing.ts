/**
 * Benjamini–Hochberg q-values (false discovery rate adjusted p-values, as R's p.adjust "BH"), in
 * the order of `p`. NaN p-values are not tests: they keep a NaN q and do not count in m.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const tested = p.map((value, index) => ({ value, index })).filter((t) => !Number.isNaN(t.value));
  tested.sort((x, y) => x.value - y.value || x.index - y.index);
  const m = tested.length;
  const q = p.map(() => Number.NaN);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const t = tested[rank - 1] as { value: number; index: number };
    running = Math.min(running, (t.value * m) / rank);
    q[t.index] = running;
  }
  return q;
}
