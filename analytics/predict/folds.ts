import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

/** A seeded shuffle source: the same seed gives the same folds on every machine. */
export class FoldShuffler {
  private readonly generator: JumpableRandomGenerator;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed >>> 0);
    // Neighbouring seeds start close in xoroshiro; a jump mixes the state.
    this.generator.jump();
  }

  /** Fisher–Yates, in place. */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = uniformInt(this.generator, 0, i);
      const swap = values[i] as number;
      values[i] = values[j] as number;
      values[j] = swap;
    }
    return values;
  }
}

/**
 * Splits `rows` into `k` folds with the failing units spread evenly (stratified), shuffled.
 * Returns the test rows of each fold, each sorted ascending.
 */
export function stratifiedFolds(
  rows: Uint32Array,
  outcome: Int8Array,
  k: number,
  shuffler: FoldShuffler,
): Uint32Array[] {
  const failing: number[] = [];
  const passing: number[] = [];
  for (const i of rows) (outcome[i] === 1 ? failing : passing).push(i);
  shuffler.shuffle(failing);
  shuffler.shuffle(passing);
  const buckets: number[][] = Array.from({ length: k }, () => []);
  // One deal through both classes: failing units first, passing ones continue the round, so fold
  // sizes differ by at most one.
  let next = 0;
  for (const i of [...failing, ...passing]) {
    (buckets[next] as number[]).push(i);
    next = (next + 1) % k;
  }
  return buckets.map((b) => Uint32Array.from(b).sort());
}

/** Every row of `rows` not in `test` (both ascending). */
export function complement(rows: Uint32Array, test: Uint32Array): Uint32Array {
  const out = new Uint32Array(rows.length - test.length);
  let t = 0;
  let o = 0;
  for (const i of rows) {
    while (t < test.length && (test[t] as number) < i) t++;
    if (t < test.length && test[t] === i) continue;
    out[o++] = i;
  }
  return out;
}
