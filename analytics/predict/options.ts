import { PredictError } from "./errors.ts";
import type { Scaling } from "./preprocess.ts";

/** Test steps whose failure can be predicted; `any` is failing any of them. */
export const PREDICT_TARGETS = ["aoi", "axi", "ict", "fct", "any"] as const;
export type PredictTarget = (typeof PREDICT_TARGETS)[number];

/** How drivers are tested and the model is fitted and judged. */
export interface PredictOptions {
  /** Test step whose failure is the outcome; names the outcome in the driver sentences. Default "any". */
  target: PredictTarget;
  /** Outer cross-validation folds, stratified by outcome. Default 5. */
  folds: number;
  /** Outer cross-validation repeats, each with its own shuffle. Default 5. */
  repeats: number;
  /** Inner folds that choose the penalty inside each outer training set (nested CV). Default 3. */
  innerFolds: number;
  /**
   * Inverse L2 penalties tried, C = 1/λ on the summed log-loss (scikit-learn's C), ascending.
   * Default 10^-4 to 10^1 in half decades.
   */
  cGrid: readonly number[];
  /**
   * How measured values enter the model: `standard` ((value − mean) / SD) or `rank` (normal score
   * of the rank among the training units, standardised). Default "standard".
   */
  scaling: Scaling;
  /**
   * Each measured value also enters as its distance from the middle (|scaled value|,
   * standardised), so that readings off in either direction can both raise the risk. Default false.
   */
  extremes: boolean;
  /**
   * Design columns the model may keep, chosen with C by the inner CV: the columns whose failing and
   * passing training units differ most (Welch t), ranked afresh in every training set. Infinity
   * keeps every column. Default [Infinity].
   */
  screenGrid: readonly number[];
  /**
   * `balanced` weighs each failing unit by n / (2 × failing) and each passing one by
   * n / (2 × passing) in the log-loss; `none` weighs every unit 1. Default "none".
   */
  classWeight: "none" | "balanced";
  /**
   * Share of the penalty on the absolute weights (elastic net, scikit-learn's l1_ratio): 0 is the
   * pure L2 penalty (truncated Newton), above 0 the penalty λ (r ‖w‖₁ + (1 − r)/2 ‖w‖²) fitted by
   * coordinate descent, which sets weak columns' weights to exactly 0. Default 0.
   */
  l1Ratio: number;
  /** Times the inner CV is repeated with fresh folds before C (and the screen) are chosen. Default 1. */
  innerRepeats: number;
  /** Seed of every fold shuffle (unsigned 32-bit integer): the same seed gives the same report. Default 1. */
  seed: number;
  /** Share of the earliest labelled units the time-ordered split trains on, in (0, 1). Default 0.7. */
  trainShare: number;
  /** Fewest units a category needs for its own table row and model column; rarer ones pool as "(other)". Default 5. */
  minLevelUnits: number;
  /**
   * Standardised values beyond ± this many SDs of the training units are clipped, so that one
   * glitched reading cannot push a unit's score to 0 or 1. Default Infinity (off): on SECOM's full
   * protocol clipping at 5 SD changed nothing (bench/predict-secom.ts).
   */
  clipSd: number;
  /** Bins of the reliability diagram, equal counts by predicted probability. Default 10. */
  calibrationBins: number;
  /** Confidence level of the effect intervals, in (0, 1). Default 0.95. */
  confidence: number;
  /** Predicted probability of failing at or above which an untested unit is listed as at risk. Default 0.1. */
  riskThreshold: number;
  /** Skip cross-validation and the time split (drivers and the final model only), for quick looks. Default false. */
  driversOnly: boolean;
}

const HALF_DECADES = [-4, -3.5, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1];

export const DEFAULT_PREDICT_OPTIONS: Readonly<PredictOptions> = Object.freeze({
  target: "any",
  folds: 5,
  repeats: 5,
  innerFolds: 3,
  cGrid: Object.freeze(HALF_DECADES.map((e) => 10 ** e)),
  scaling: "standard",
  extremes: false,
  screenGrid: Object.freeze([Number.POSITIVE_INFINITY]),
  classWeight: "none",
  l1Ratio: 0,
  innerRepeats: 1,
  seed: 1,
  trainShare: 0.7,
  minLevelUnits: 5,
  clipSd: Number.POSITIVE_INFINITY,
  calibrationBins: 10,
  confidence: 0.95,
  riskThreshold: 0.1,
  driversOnly: false,
});

function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) {
    const shown = Array.isArray(value) ? JSON.stringify(value) : String(value);
    throw new PredictError("bad-option", `${field} must be ${expected}, got ${shown}`);
  }
}

const isCount = (v: unknown, low: number) => Number.isInteger(v) && (v as number) >= low;
const inOpenUnit = (v: unknown) => typeof v === "number" && v > 0 && v < 1;

/** Defaults filled in and every field checked; throws PredictError("bad-option") naming the field. */
export function resolvePredictOptions(options: Partial<PredictOptions> = {}): PredictOptions {
  const o: PredictOptions = { ...DEFAULT_PREDICT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(o, { [key]: value });
  }
  check(
    (PREDICT_TARGETS as readonly string[]).includes(o.target),
    "target",
    o.target,
    `one of ${PREDICT_TARGETS.join(", ")}`,
  );
  check(isCount(o.folds, 2), "folds", o.folds, "an integer >= 2");
  check(isCount(o.repeats, 1), "repeats", o.repeats, "an integer >= 1");
  check(isCount(o.innerFolds, 2), "innerFolds", o.innerFolds, "an integer >= 2");
  check(
    Array.isArray(o.cGrid) &&
      o.cGrid.length > 0 &&
      o.cGrid.every(
        (c, i) => Number.isFinite(c) && c > 0 && (i === 0 || c > (o.cGrid[i - 1] as number)),
      ),
    "cGrid",
    o.cGrid,
    "a non-empty ascending list of positive numbers",
  );
  check(
    o.scaling === "standard" || o.scaling === "rank",
    "scaling",
    o.scaling,
    '"standard" or "rank"',
  );
  check(typeof o.extremes === "boolean", "extremes", o.extremes, "a boolean");
  check(
    Array.isArray(o.screenGrid) &&
      o.screenGrid.length > 0 &&
      o.screenGrid.every((k) => k === Number.POSITIVE_INFINITY || isCount(k, 1)),
    "screenGrid",
    o.screenGrid,
    "a non-empty list of column counts >= 1 (Infinity: all)",
  );
  check(
    o.classWeight === "none" || o.classWeight === "balanced",
    "classWeight",
    o.classWeight,
    '"none" or "balanced"',
  );
  check(
    typeof o.l1Ratio === "number" && o.l1Ratio >= 0 && o.l1Ratio <= 1,
    "l1Ratio",
    o.l1Ratio,
    "in [0, 1]",
  );
  check(isCount(o.innerRepeats, 1), "innerRepeats", o.innerRepeats, "an integer >= 1");
  check(
    Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffff_ffff,
    "seed",
    o.seed,
    "an unsigned 32-bit integer",
  );
  check(inOpenUnit(o.trainShare), "trainShare", o.trainShare, "in (0, 1)");
  check(isCount(o.minLevelUnits, 1), "minLevelUnits", o.minLevelUnits, "an integer >= 1");
  check(
    typeof o.clipSd === "number" && o.clipSd > 0,
    "clipSd",
    o.clipSd,
    "a positive number (Infinity: no clipping)",
  );
  check(isCount(o.calibrationBins, 1), "calibrationBins", o.calibrationBins, "an integer >= 1");
  check(inOpenUnit(o.confidence), "confidence", o.confidence, "in (0, 1)");
  check(inOpenUnit(o.riskThreshold), "riskThreshold", o.riskThreshold, "in (0, 1)");
  check(typeof o.driversOnly === "boolean", "driversOnly", o.driversOnly, "a boolean");
  return o;
}
