import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import type { Feature } from "./dataset.ts";

// Preprocessing learnt from training units only (each fold fits its own), then applied to any
// unit: median imputation and standardisation of measured values, one column per frequent category.

/**
 * How a measured value enters the model. `standard`: (value − mean) / SD. `rank`: the normal
 * score of its rank among the training units (Φ⁻¹ of the mid-rank share), then standardised, so
 * that a heavy tail or a glitched reading weighs no more than any other extreme rank.
 */
export type Scaling = "standard" | "rank";

/**
 * A measured value: missing → training median, then (value − mean) / sd of the training units
 * (on the normal scores of the ranks among `sorted` when it has them).
 */
export interface ScaledColumn {
  feature: string;
  median: number;
  mean: number;
  sd: number;
  /** Training values after imputation, ascending: present for rank scaling. */
  sorted?: Float64Array;
  /**
   * Mean and SD of |scaled value| over the training units, when the distance from the middle
   * gets a column of its own (`extremes`).
   */
  extreme?: { mean: number; sd: number };
}

/** Index of the first value of `sorted` not below (`strict` false) or above (`strict` true) v. */
function bound(sorted: Float64Array, v: number, strict: boolean): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    const s = sorted[mid] as number;
    if (s < v || (strict && s === v)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Normal score of v's mid-rank among `sorted` (kept within half a unit of either end). */
function normalScore(sorted: Float64Array, v: number): number {
  const n = sorted.length;
  const below = bound(sorted, v, false);
  const share = (below + (bound(sorted, v, true) - below) / 2) / n;
  const half = 0.5 / n;
  return normalQuantile(Math.min(1 - half, Math.max(half, share)), 0, 1);
}

/** A category: one 0/1 column per group with enough training units; others all zero. */
export interface OneHotColumns {
  feature: string;
  levels: string[];
}

export interface Preprocessor {
  scaling: Scaling;
  scaled: ScaledColumn[];
  oneHot: OneHotColumns[];
  /** Name of every design column, in order: scaled values, then "feature = level". */
  columns: string[];
  /** Features that carried no information in these training units (constant, or never present). */
  dropped: string[];
  /** Standardised values are clipped to ± this many training SDs. */
  clipSd: number;
}

/** Group of a missing category, as a level of its own. */
export const MISSING_CATEGORY = "(missing)";

/**
 * Learns imputation, scaling and categories from the `rows` of `features`; `minLevelUnits` is
 * the fewest training units a category needs to get its own column.
 */
export function fitPreprocessor(
  features: readonly Feature[],
  rows: Uint32Array,
  minLevelUnits: number,
  clipSd = Number.POSITIVE_INFINITY,
  scaling: Scaling = "standard",
  extremes = false,
): Preprocessor {
  const scaled: ScaledColumn[] = [];
  const oneHot: OneHotColumns[] = [];
  const dropped: string[] = [];
  const present = new Float64Array(rows.length);
  for (const feature of features) {
    if (feature.kind === "continuous") {
      let count = 0;
      for (const i of rows) {
        const v = feature.values[i] as number;
        if (!Number.isNaN(v)) present[count++] = v;
      }
      if (count === 0) {
        dropped.push(feature.name);
        continue;
      }
      const ascending = present.subarray(0, count).sort();
      const half = count >> 1;
      const median =
        count % 2 === 1
          ? (ascending[half] as number)
          : ((ascending[half - 1] as number) + (ascending[half] as number)) / 2;
      const imputed = new Float64Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const v = feature.values[rows[r] as number] as number;
        imputed[r] = Number.isNaN(v) ? median : v;
      }
      let sorted: Float64Array | undefined;
      if (scaling === "rank") {
        sorted = imputed.slice().sort();
        for (let r = 0; r < rows.length; r++) {
          imputed[r] = normalScore(sorted, imputed[r] as number);
        }
      }
      let sum = 0;
      for (const v of imputed) sum += v;
      const mean = sum / rows.length;
      let ss = 0;
      for (const v of imputed) ss += (v - mean) ** 2;
      const sd = Math.sqrt(ss / rows.length);
      // A constant column has sd 0 on either scale; 1e-12 guards rounding of equal normal scores.
      if (sd > 1e-12 && Number.isFinite(sd)) {
        const column: ScaledColumn = { feature: feature.name, median, mean, sd };
        if (sorted) column.sorted = sorted;
        if (extremes) {
          // A wafer can fail for a reading off in either direction, which one weight per value
          // cannot say; |z| can.
          let total = 0;
          let squares = 0;
          for (const v of imputed) {
            const a = Math.min(clipSd, Math.abs((v - mean) / sd));
            total += a;
            squares += a * a;
          }
          const m = total / rows.length;
          const spread = Math.sqrt(Math.max(squares / rows.length - m * m, 0));
          if (spread > 1e-12) column.extreme = { mean: m, sd: spread };
        }
        scaled.push(column);
      } else dropped.push(feature.name);
    } else {
      const counts = new Map<string, number>();
      for (const i of rows) {
        const level = feature.values[i] ?? MISSING_CATEGORY;
        counts.set(level, (counts.get(level) ?? 0) + 1);
      }
      const levels = [...counts]
        .filter(([, n]) => n >= minLevelUnits)
        .map(([level]) => level)
        .sort();
      // One group holding every unit says nothing.
      const informative = levels.length >= 2 || (levels.length === 1 && counts.size > 1);
      if (informative) oneHot.push({ feature: feature.name, levels });
      else dropped.push(feature.name);
    }
  }
  const columns = [
    ...scaled.map((s) => s.feature),
    ...scaled.filter((s) => s.extreme).map((s) => `|${s.feature}|`),
    ...oneHot.flatMap((o) => o.levels.map((level) => `${o.feature} = ${level}`)),
  ];
  return { scaling, scaled, oneHot, columns, dropped, clipSd };
}

/**
 * The design matrix (row-major, `rows.length` × `columns.length`) of the given units. Features are
 * looked up by name, so a table of new units only needs the same column names.
 */
export function designMatrix(
  preprocessor: Preprocessor,
  features: ReadonlyMap<string, Feature>,
  rows: Uint32Array,
): Float64Array {
  const width = preprocessor.columns.length;
  const design = new Float64Array(rows.length * width);
  let column = 0;
  let extremeColumn = preprocessor.scaled.length;
  const clip = preprocessor.clipSd;
  for (const s of preprocessor.scaled) {
    const feature = features.get(s.feature);
    const values = feature?.kind === "continuous" ? feature.values : undefined;
    for (let r = 0; r < rows.length; r++) {
      const raw = values ? (values[rows[r] as number] as number) : Number.NaN;
      const v = Number.isNaN(raw) ? s.median : raw;
      const z = ((s.sorted ? normalScore(s.sorted, v) : v) - s.mean) / s.sd;
      const clipped = Math.min(clip, Math.max(-clip, z));
      design[r * width + column] = clipped;
      if (s.extreme) {
        design[r * width + extremeColumn] = (Math.abs(clipped) - s.extreme.mean) / s.extreme.sd;
      }
    }
    column++;
    if (s.extreme) extremeColumn++;
  }
  column = extremeColumn;
  for (const o of preprocessor.oneHot) {
    const feature = features.get(o.feature);
    const values = feature?.kind === "categorical" ? feature.values : undefined;
    const position = new Map(o.levels.map((level, k) => [level, column + k]));
    for (let r = 0; r < rows.length; r++) {
      const level = values ? (values[rows[r] as number] ?? MISSING_CATEGORY) : MISSING_CATEGORY;
      const at = position.get(level);
      if (at !== undefined) design[r * width + at] = 1;
    }
    column += o.levels.length;
  }
  return design;
}
