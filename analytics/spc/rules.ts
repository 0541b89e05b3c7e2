import { SpcError } from "./errors.ts";
import type { RuleName, RuleSetName } from "./types.ts";

/** Which rules judge a Shewhart chart. */
export interface RuleOptions {
  /** `qcc`: beyond-limits + run (qcc 2.7); `we`: we1–we4; `nelson`: nelson1–nelson8. Default "qcc". */
  rules: RuleSetName;
  /** Points in a row strictly on one side of the centre that make a `run` (qcc 2.7: 7). Default 7. */
  runLength: number;
}

export const DEFAULT_RULE_OPTIONS: Readonly<RuleOptions> = Object.freeze({
  rules: "qcc",
  runLength: 7,
});

export const RULE_SETS: Readonly<Record<RuleSetName, readonly RuleName[]>> = Object.freeze({
  qcc: ["beyond-limits", "run"],
  we: ["we1", "we2", "we3", "we4"],
  nelson: ["nelson1", "nelson2", "nelson3", "nelson4", "nelson5", "nelson6", "nelson7", "nelson8"],
});

/** What a rule sees of a point: its statistic against its own centre, limits and standard error. */
export interface JudgedPoint {
  readonly statistic: number;
  readonly center: number;
  readonly lcl: number;
  readonly ucl: number;
  /** Standard error of the statistic at this point; the zones are centre ± 1, 2 of it. */
  readonly sigma: number;
}

export type Side = "upper" | "lower";

/** One rule firing on one point; `position` is 0-based in the judged sequence. */
export interface RuleHit {
  readonly position: number;
  readonly rule: RuleName;
  readonly side?: Side;
}

/**
 * The points of a chart as columns, point i at index i of each: what the rules see, without an
 * object per point.
 */
export interface JudgedColumns {
  readonly statistic: ArrayLike<number>;
  readonly center: ArrayLike<number>;
  readonly lcl: ArrayLike<number>;
  readonly ucl: ArrayLike<number>;
  /** Standard error of the statistic at each point; the zones are centre ± 1, 2 of it. */
  readonly sigma: ArrayLike<number>;
}

type Detector = (points: JudgedColumns, options: RuleOptions) => Omit<RuleHit, "rule">[];

const SIDES: readonly Side[] = ["upper", "lower"];

function sideOfCenter(points: JudgedColumns, i: number): Side | null {
  const statistic = points.statistic[i] as number;
  const center = points.center[i] as number;
  if (statistic > center) return "upper";
  if (statistic < center) return "lower";
  return null;
}

/** Strictly beyond centre ± k·sigma on the given side (a point on the boundary is not beyond). */
function beyondZone(points: JudgedColumns, i: number, k: number, side: Side): boolean {
  const statistic = points.statistic[i] as number;
  const center = points.center[i] as number;
  const sigma = points.sigma[i] as number;
  return side === "upper" ? statistic > center + k * sigma : statistic < center - k * sigma;
}

function beyondLimits(points: JudgedColumns): Omit<RuleHit, "rule">[] {
  const hits: Omit<RuleHit, "rule">[] = [];
  const { statistic, lcl, ucl } = points;
  for (let position = 0; position < statistic.length; position++) {
    const value = statistic[position] as number;
    if (value > (ucl[position] as number)) hits.push({ position, side: "upper" });
    else if (value < (lcl[position] as number)) hits.push({ position, side: "lower" });
  }
  return hits;
}

/**
 * Runs of equal, non-null keys: every point from the `length`-th of a run on is flagged
 * (a null key ends the run).
 */
function runsOf<K extends string>(
  count: number,
  keyAt: (position: number) => K | null,
  length: number,
): { position: number; key: K }[] {
  const hits: { position: number; key: K }[] = [];
  let runKey: K | null = null;
  let runLength = 0;
  for (let position = 0; position < count; position++) {
    const key = keyAt(position);
    runLength = key !== null && key === runKey ? runLength + 1 : key === null ? 0 : 1;
    runKey = key;
    if (key !== null && runLength >= length) hits.push({ position, key });
  }
  return hits;
}

function sameSideRun(length: number): Detector {
  return (points) =>
    runsOf(points.statistic.length, (i) => sideOfCenter(points, i), length).map(
      ({ position, key }) => ({ position, side: key }),
    );
}

/**
 * `needed` of the last `window` points beyond centre ± k·sigma on one side; the point is flagged
 * when it is itself beyond and completes the count (near the start, the window is what exists).
 */
function mOfK(needed: number, window: number, k: number): Detector {
  return (points) => {
    const hits: Omit<RuleHit, "rule">[] = [];
    for (let position = 0; position < points.statistic.length; position++) {
      for (const side of SIDES) {
        if (!beyondZone(points, position, k, side)) continue;
        let count = 0;
        for (let j = Math.max(0, position - window + 1); j <= position; j++) {
          if (beyondZone(points, j, k, side)) count++;
        }
        if (count >= needed) hits.push({ position, side });
      }
    }
    return hits;
  };
}

/** Sign of the step into each point (null for the first point and for a tie). */
function stepDirection(points: JudgedColumns, position: number): "up" | "down" | null {
  if (position === 0) return null;
  const step = (points.statistic[position] as number) - (points.statistic[position - 1] as number);
  return step > 0 ? "up" : step < 0 ? "down" : null;
}

const DETECTORS: Readonly<Record<RuleName, Detector>> = {
  "beyond-limits": beyondLimits,
  run: (points, options) => sameSideRun(options.runLength)(points, options),
  we1: beyondLimits,
  we2: mOfK(2, 3, 2),
  we3: mOfK(4, 5, 1),
  we4: sameSideRun(8),
  nelson1: beyondLimits,
  nelson2: sameSideRun(9),
  // Six points in a row steadily rising (or falling) are five steps the same way.
  nelson3: (points) =>
    runsOf(points.statistic.length, (i) => stepDirection(points, i), 5).map(({ position }) => ({
      position,
    })),
  // Fourteen points alternating up and down are thirteen steps, each reversing the last.
  nelson4: (points) => {
    const hits: Omit<RuleHit, "rule">[] = [];
    let alternating = 0;
    for (let position = 0; position < points.statistic.length; position++) {
      const direction = stepDirection(points, position);
      const previous = position > 0 ? stepDirection(points, position - 1) : null;
      alternating =
        direction === null ? 0 : previous !== null && previous !== direction ? alternating + 1 : 1;
      if (alternating >= 13) hits.push({ position });
    }
    return hits;
  },
  nelson5: mOfK(2, 3, 2),
  nelson6: mOfK(4, 5, 1),
  nelson7: (points) =>
    runsOf(
      points.statistic.length,
      (i) =>
        beyondZone(points, i, 1, "upper") || beyondZone(points, i, 1, "lower") ? null : "inside",
      15,
    ).map(({ position }) => ({ position })),
  nelson8: (points) => {
    const hits: Omit<RuleHit, "rule">[] = [];
    for (let position = 7; position < points.statistic.length; position++) {
      let above = 0;
      let below = 0;
      for (let j = position - 7; j <= position; j++) {
        if (beyondZone(points, j, 1, "upper")) above++;
        if (beyondZone(points, j, 1, "lower")) below++;
      }
      if (above > 0 && below > 0 && above + below === 8) hits.push({ position });
    }
    return hits;
  },
};

/** Points as columns, for the rules. */
function columnsOf(points: readonly JudgedPoint[]): JudgedColumns {
  return {
    statistic: Float64Array.from(points, (p) => p.statistic),
    center: Float64Array.from(points, (p) => p.center),
    lcl: Float64Array.from(points, (p) => p.lcl),
    ucl: Float64Array.from(points, (p) => p.ucl),
    sigma: Float64Array.from(points, (p) => p.sigma),
  };
}

/**
 * Judges a sequence of points with a rule set. Hits come sorted by position, then in the set's
 * rule order. The definitions (k·σ means k standard errors of the point's own statistic, so
 * charts with per-point limits get per-point zones; "beyond" is always strict):
 *
 * - `beyond-limits`, `we1`, `nelson1`: statistic > UCL or < LCL. The point itself is flagged.
 * - `run` (qcc 2.7): ≥ `runLength` (7) consecutive points strictly on one side of the centre;
 *   the 7th, 8th, … are flagged. A point exactly on the centre ends the run.
 * - `we2`, `nelson5`: 2 of 3 consecutive points beyond 2σ on the same side; flagged: a point beyond
 *   2σ that has at least one more such point on its side among the two before it.
 * - `we3`, `nelson6`: 4 of 5 consecutive points beyond 1σ on the same side; flagged: a point beyond
 *   1σ with at least three more on its side among the four before it.
 * - `we4`: 8 consecutive points strictly on one side of the centre; the 8th, 9th, … are flagged.
 * - `nelson2`: 9 consecutive points strictly on one side; the 9th, 10th, … are flagged.
 * - `nelson3`: 6 points in a row strictly increasing or strictly decreasing (5 steps the same way;
 *   a tie ends the trend); the 6th, 7th, … are flagged.
 * - `nelson4`: 14 points in a row alternating up and down (13 steps, each reversing the one
 *   before; a tie ends it); the 14th, 15th, … are flagged.
 * - `nelson7`: 15 points in a row within 1σ of the centre, either side (not beyond ±1σ, so a point
 *   exactly on centre ± 1σ counts as within); the 15th, 16th, … are flagged.
 * - `nelson8`: 8 points in a row none within 1σ (each strictly beyond ±1σ) with both sides
 *   represented, as in Nelson (1984); the 8th point of every such window is flagged.
 */
export function applyRules(
  points: readonly JudgedPoint[],
  options: Partial<RuleOptions> = {},
): RuleHit[] {
  return applyRulesToColumns(columnsOf(points), options);
}

/** `applyRules` over points held as columns (every column as long as `statistic`). */
export function applyRulesToColumns(
  points: JudgedColumns,
  options: Partial<RuleOptions> = {},
): RuleHit[] {
  const resolved: RuleOptions = {
    rules: options.rules ?? DEFAULT_RULE_OPTIONS.rules,
    runLength: options.runLength ?? DEFAULT_RULE_OPTIONS.runLength,
  };
  const ruleNames = RULE_SETS[resolved.rules];
  if (ruleNames === undefined) {
    throw new SpcError(
      "bad-option",
      `rules must be one of ${Object.keys(RULE_SETS).join(", ")}, got ${String(resolved.rules)}`,
    );
  }
  if (!Number.isInteger(resolved.runLength) || resolved.runLength < 2) {
    throw new SpcError(
      "bad-option",
      `runLength must be an integer >= 2, got ${resolved.runLength}`,
    );
  }
  const hits: RuleHit[] = [];
  for (const rule of ruleNames) {
    for (const { position, side } of DETECTORS[rule](points, resolved)) {
      hits.push(side === undefined ? { position, rule } : { position, side, rule });
    }
  }
  // Each rule's hits come in position order and the sort is stable: at one position, the hits
  // stay in the set's rule order.
  hits.sort((a, b) => a.position - b.position);
  return hits;
}
