import { YieldError } from "./errors.ts";

/** A reporting period: a clock hour or a day of the plant's (fixed-offset) local time. */
export type Period = "hour" | "day";

/** Which defects a Pareto counts: those of failed first results only, or every defect call. */
export type ParetoScope = "first-pass" | "all";

/** Length of each period, in milliseconds. */
export const PERIOD_MS: Readonly<Record<Period, number>> = Object.freeze({
  hour: 3_600_000,
  day: 86_400_000,
});

/** What the yield computations (station yield, rolled throughput yield, defect Pareto) cover. */
export interface YieldOptions {
  /** Granularities computed, each row tagged with its own. Default `["hour", "day"]`. */
  periods: readonly Period[];
  /**
   * Count unit `complete` verdicts (pass, fail, scrap) as results of step kind `visit` at stations
   * that have no `test_result` record at all. Default true.
   */
  visitVerdicts: boolean;
  /**
   * Offset of the plant's local time from UTC, in minutes, so that days (and hours, for half-hour
   * zones) begin at local midnight. A fixed offset: it does not follow daylight saving. Default 0.
   */
  utcOffsetMinutes: number;
  /**
   * Cohorts whose first result is at or after this time, epoch ms, widened down to the start of its
   * longest selected period so that no row covers part of a period. Default undefined: all history.
   */
  from: number | undefined;
  /**
   * Cohorts whose first result is before this time, epoch ms, widened up to the end of its longest
   * selected period. Later retests and scraps of these cohorts still count. Default undefined: no end.
   */
  to: number | undefined;
  /** Defect Pareto scopes computed, each row tagged with its own. Default `["first-pass"]`. */
  paretoScopes: readonly ParetoScope[];
}

/** The defaults of {@link YieldOptions}, in one place. */
export const DEFAULT_YIELD_OPTIONS: Readonly<YieldOptions> = Object.freeze({
  periods: Object.freeze(["hour", "day"] as const),
  visitVerdicts: true,
  utcOffsetMinutes: 0,
  from: undefined,
  to: undefined,
  paretoScopes: Object.freeze(["first-pass"] as const),
});

/** What the yield job recomputes and how it writes, on top of {@link YieldOptions}. */
export interface RunYieldOptions extends Omit<YieldOptions, "from" | "to"> {
  /**
   * Recompute every period holding a cohort with a result or scrap at or after this time, epoch ms.
   * Default undefined: `now() - lookbackMs`.
   */
  since: number | undefined;
  /** How far back activity is looked for when `since` is not given, in ms. Default 2 days. */
  lookbackMs: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now: () => number;
  /** Line-protocol lines per InfluxDB write. Default 5000. */
  batchSize: number;
}

/** The defaults of {@link RunYieldOptions}, in one place. */
export const DEFAULT_RUN_YIELD_OPTIONS: Readonly<RunYieldOptions> = Object.freeze({
  ...DEFAULT_YIELD_OPTIONS,
  since: undefined,
  lookbackMs: 2 * PERIOD_MS.day,
  now: () => Date.now(),
  batchSize: 5000,
});

function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) {
    const shown = Array.isArray(value) ? JSON.stringify(value) : String(value);
    throw new YieldError("bad-option", `${field} must be ${expected}, got ${shown}`);
  }
}

function merged<T extends object>(defaults: Readonly<T>, options: Partial<T>): T {
  const resolved = { ...defaults } as T;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  }
  return resolved;
}

const isEpochMs = (v: unknown) => v === undefined || Number.isSafeInteger(v);

function checkShared(o: Omit<YieldOptions, "from" | "to">): void {
  check(
    Array.isArray(o.periods) &&
      o.periods.length > 0 &&
      o.periods.every((p) => p === "hour" || p === "day") &&
      new Set(o.periods).size === o.periods.length,
    "periods",
    o.periods,
    'a non-empty list of distinct "hour" | "day"',
  );
  check(typeof o.visitVerdicts === "boolean", "visitVerdicts", o.visitVerdicts, "a boolean");
  check(
    Number.isInteger(o.utcOffsetMinutes) && o.utcOffsetMinutes >= -720 && o.utcOffsetMinutes <= 840,
    "utcOffsetMinutes",
    o.utcOffsetMinutes,
    "an integer in [-720, 840]",
  );
  check(
    Array.isArray(o.paretoScopes) &&
      o.paretoScopes.every((s) => s === "first-pass" || s === "all") &&
      new Set(o.paretoScopes).size === o.paretoScopes.length,
    "paretoScopes",
    o.paretoScopes,
    'a list of distinct "first-pass" | "all"',
  );
}

/** Defaults filled in and every field checked; throws YieldError("bad-option") naming the field. */
export function resolveYieldOptions(options: Partial<YieldOptions> = {}): YieldOptions {
  const o = merged(DEFAULT_YIELD_OPTIONS, options);
  checkShared(o);
  check(isEpochMs(o.from), "from", o.from, "an integer epoch ms or undefined");
  check(isEpochMs(o.to), "to", o.to, "an integer epoch ms or undefined");
  check(
    o.from === undefined || o.to === undefined || o.from < o.to,
    "to",
    o.to,
    `later than from (${o.from})`,
  );
  return o;
}

/** Defaults filled in and every field checked; throws YieldError("bad-option") naming the field. */
export function resolveRunYieldOptions(options: Partial<RunYieldOptions> = {}): RunYieldOptions {
  const o = merged(DEFAULT_RUN_YIELD_OPTIONS, options);
  checkShared(o);
  check(isEpochMs(o.since), "since", o.since, "an integer epoch ms or undefined");
  check(
    Number.isSafeInteger(o.lookbackMs) && o.lookbackMs > 0,
    "lookbackMs",
    o.lookbackMs,
    "a positive integer (ms)",
  );
  check(typeof o.now === "function", "now", o.now, "a function returning epoch ms");
  check(
    Number.isInteger(o.batchSize) && o.batchSize > 0,
    "batchSize",
    o.batchSize,
    "a positive integer",
  );
  return o;
}

/** Start of the period holding `ts`, epoch ms, with periods aligned to local time. */
export function periodStart(ts: number, period: Period, utcOffsetMinutes: number): number {
  const size = PERIOD_MS[period];
  const offset = utcOffsetMinutes * 60_000;
  return Math.floor((ts + offset) / size) * size - offset;
}

/** The longest of the selected periods: bounds widened to it cover whole periods of every kind. */
export function longestPeriod(periods: readonly Period[]): Period {
  return periods.includes("day") ? "day" : "hour";
}
