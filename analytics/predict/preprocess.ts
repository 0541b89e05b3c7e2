import type { Feature } from "./dataset.ts";

// Preprocessing learnt from training units only (each fold fits its own), then applied to any
// unit: median imputation and standardisation of measured values, one column per frequent category.

/** A measured value: missing → training median, then (value − mean) / sd of the training units. */
export interface ScaledColumn {
  feature: string;
  median: number;
  mean: number;
  sd: number;
}

/** A category: one 0/1 column per group with enough training units; others all zero. */
export interface OneHotColumns {
  feature: string;
  levels: string[];
}

export interface Preprocessor {
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
      const sorted = present.subarray(0, count).sort();
      const half = count >> 1;
      const median =
        count % 2 === 1
          ? (sorted[half] as number)
          : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
      let sum = 0;
      for (const i of rows) {
        const v = feature.values[i] as number;
        sum += Number.isNaN(v) ? median : v;
      }
      const mean = sum / rows.length;
      let ss = 0;
      for (const i of rows) {
        const v = feature.values[i] as number;
        ss += ((Number.isNaN(v) ? median : v) - mean) ** 2;
      }
      const sd = Math.sqrt(ss / rows.length);
      if (sd > 0 && Number.isFinite(sd)) scaled.push({ feature: feature.name, median, mean, sd });
      else dropped.push(feature.name);
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
    ...oneHot.flatMap((o) => o.levels.map((level) => `${o.feature} = ${level}`)),
  ];
  return { scaled, oneHot, columns, dropped, clipSd };
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
  const clip = preprocessor.clipSd;
  for (const s of preprocessor.scaled) {
    const feature = features.get(s.feature);
    const values = feature?.kind === "continuous" ? feature.values : undefined;
    for (let r = 0; r < rows.length; r++) {
      const v = values ? (values[rows[r] as number] as number) : Number.NaN;
      const z = ((Number.isNaN(v) ? s.median : v) - s.mean) / s.sd;
      design[r * width + column] = Math.min(clip, Math.max(-clip, z));
    }
    column++;
  }
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
