import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

/**
 * A seeded stream of random draws. Every concern of the simulation (a station's process
 * times, a sensor's noise, a feeder's lots) draws from its own forked stream, so adding a
 * draw in one place does not shift the numbers of every other place, and the order in
 * which the event loop interleaves concerns cannot change any outcome.
 */
export class Rng {
  private spare: number | undefined;

  private constructor(private readonly generator: JumpableRandomGenerator) {}

  /** A root stream for a seed (an unsigned 32-bit integer). */
  static seeded(seed: number): Rng {
    const generator = xoroshiro128plus(seed >>> 0);
    // The seeding of xoroshiro leaves neighbouring seeds close for the first draws; a jump
    // mixes the state thoroughly.
    generator.jump();
    return new Rng(generator);
  }

  /** An independent stream, 2^64 draws away; the parent moves on so the next fork differs. */
  fork(): Rng {
    const child = this.generator.clone();
    this.generator.jump();
    child.next();
    return new Rng(child);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [low, high], both included. */
  integer(low: number, high: number): number {
    return uniformInt(this.generator, low, high);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.uniform() < p;
  }

  /** Normal(mean, sd) by the polar Box–Muller method. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * factor;
    return mean + sd * u * factor;
  }

  /** Log-normal with the given median and shape sigma (of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.integer(0, items.length - 1)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }

  /** One element, with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weightOf: (item: T) => number): T {
    const total = items.reduce((sum, item) => sum + weightOf(item), 0);
    let mark = this.uniform() * total;
    for (const item of items) {
      mark -= weightOf(item);
      if (mark < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new RangeError("weighted pick from an empty list");
    return last;
  }
}
