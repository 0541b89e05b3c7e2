import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

// Seeded synthetic units with a known answer, for the tests: no signal at all, or one planted cause.

/** Uniform and normal draws from one seeded stream. */
export function seededDraws(seed: number): { uniform(): number; normal(): number } {
  const generator = xoroshiro128plus(seed >>> 0);
  generator.jump();
  const uniform = () => uniformFloat64(generator);
  return {
    uniform,
    normal() {
      // Box–Muller; 1 − u keeps the logarithm finite.
      return Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

/** What to plant: the log-odds of failing as a function of a unit's draws. */
export interface SyntheticPlan {
  units: number;
  /** Noise features x1..xN, standard normal. */
  continuous: number;
  /** Categorical features with their levels, equally likely. */
  categorical: Record<string, readonly string[]>;
  logOdds(unit: Record<string, number | string>): number;
  seed: number;
}

/** Rows of units (serial, ts, the features, failed 0/1). */
export function syntheticUnits(plan: SyntheticPlan): Record<string, number | string>[] {
  const draws = seededDraws(plan.seed);
  const rows: Record<string, number | string>[] = [];
  for (let i = 0; i < plan.units; i++) {
    const unit: Record<string, number | string> = {
      serial: `SN${String(i + 1).padStart(6, "0")}`,
      ts: 1_795_759_200_000 + i * 30_000,
    };
    for (let j = 1; j <= plan.continuous; j++) unit[`x${j}`] = draws.normal();
    for (const [name, levels] of Object.entries(plan.categorical)) {
      unit[name] = levels[Math.floor(draws.uniform() * levels.length)] as string;
    }
    const p = 1 / (1 + Math.exp(-plan.logOdds(unit)));
    unit.failed = draws.uniform() < p ? 1 : 0;
    rows.push(unit);
  }
  return rows;
}
