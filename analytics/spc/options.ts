import { SpcError } from "./errors.ts";
import type { SigmaMethod } from "./types.ts";

/** How phase-I limits are computed. */
export interface LimitsOptions {
  /** Limit width, in standard errors of the plotted statistic. Default 3. */
  nsigmas: number;
  /**
   * Sigma estimator; undefined takes qcc's default for the chart: UWAVE-R for xbar, r, ewma and cusum
   * on subgroups (RMSDF when a subgroup has more than 25 values), UWAVE-SD for s, MR for
   * individuals. Attribute charts ignore it. Default undefined.
   */
  sigmaMethod: SigmaMethod | undefined;
  /** Fewest phase-I subgroups accepted. Default 2, the least any estimator can work with. */
  minSubgroups: number;
  /** EWMA weight of the newest subgroup mean, in (0, 1]. Default 0.2. */
  lambda: number;
  /** CUSUM decision interval h, in standard errors of the subgroup mean. Default 5. */
  decisionInterval: number;
  /** CUSUM shift to detect, in standard errors; the reference value is k = seShift / 2. Default 1. */
  seShift: number;
  /** CUSUM starting value of both sums (fast initial response), in standard errors. Default 0. */
  headStart: number;
}

export const DEFAULT_LIMITS_OPTIONS: Readonly<LimitsOptions> = Object.freeze({
  nsigmas: 3,
  sigmaMethod: undefined,
  minSubgroups: 2,
  lambda: 0.2,
  decisionInterval: 5,
  seShift: 1,
  headStart: 0,
});

function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new SpcError("bad-option", `${field} must be ${expected}, got ${String(value)}`);
}

/** Defaults filled in and every field checked; throws SpcError("bad-option") naming the field. */
export function resolveLimitsOptions(options: Partial<LimitsOptions> = {}): LimitsOptions {
  const resolved: LimitsOptions = { ...DEFAULT_LIMITS_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  }
  const { nsigmas, minSubgroups, lambda, decisionInterval, seShift, headStart } = resolved;
  check(Number.isFinite(nsigmas) && nsigmas > 0, "nsigmas", nsigmas, "a positive number");
  check(
    Number.isInteger(minSubgroups) && minSubgroups >= 2,
    "minSubgroups",
    minSubgroups,
    "an integer >= 2",
  );
  check(Number.isFinite(lambda) && lambda > 0 && lambda <= 1, "lambda", lambda, "in (0, 1]");
  check(
    Number.isFinite(decisionInterval) && decisionInterval > 0,
    "decisionInterval",
    decisionInterval,
    "a positive number",
  );
  check(Number.isFinite(seShift) && seShift >= 0, "seShift", seShift, "a number >= 0");
  check(Number.isFinite(headStart) && headStart >= 0, "headStart", headStart, "a number >= 0");
  return resolved;
}
