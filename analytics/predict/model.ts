import type { Feature } from "./dataset.ts";
import { ElasticNetLogisticSolver } from "./elastic-net-logistic.ts";
import { complement, FoldShuffler, stratifiedFolds } from "./folds.ts";
import {
  averagePrecision,
  brierScore,
  type ReliabilityBin,
  reliability,
  rocAuc,
} from "./metrics.ts";
import type { PredictOptions } from "./options.ts";
import { designMatrix, fitPreprocessor, type Preprocessor } from "./preprocess.ts";
import { type RidgeCoefficients, RidgeLogisticSolver } from "./ridge-logistic.ts";

// The risk model: an L2 logistic regression whose preprocessing and penalty are learnt inside
// every training set, judged by nested cross-validation and by a split in time order.

/** A fitted risk model: what a unit needs to be scored. */
export interface RiskModel {
  preprocessor: Preprocessor;
  coefficients: RidgeCoefficients;
  /** Inverse penalty chosen by cross-validation on the training units (scikit-learn's C). */
  c: number;
  /** Design columns the screen kept (the others have weight 0). */
  keep: number;
  /** Kind of every feature the preprocessor reads, to read new units' columns alike. */
  kinds: Record<string, Feature["kind"]>;
  /** Units and failing units it was trained on. */
  trainedOn: number;
  positives: number;
}

/** Where the training units and the features live during model fitting. */
export interface TrainingData {
  features: readonly Feature[];
  byName: ReadonlyMap<string, Feature>;
  outcome: Int8Array;
}

/** One outer fold of cross-validation. */
export interface FoldResult {
  repeat: number;
  fold: number;
  units: number;
  failed: number;
  auc: number;
  prAuc: number;
  /** Inverse penalty and screen size the inner CV chose. */
  c: number;
  keep: number;
}

export interface CrossValidation {
  /** Mean and sample SD of the fold AUCs. */
  auc: number;
  aucSd: number;
  prAuc: number;
  prAucSd: number;
  /** Out-of-fold Brier score (every repeat pooled), and that of always predicting the base rate. */
  brier: number;
  brierBaseRate: number;
  /** Outer folds per repeat (fewer than asked when a class has fewer units), repeats, inner folds. */
  k: number;
  repeats: number;
  innerFolds: number;
  /** Reliability of the out-of-fold predictions (every repeat pooled). */
  calibration: ReliabilityBin[];
  /** Every outer fold of every repeat. */
  folds: FoldResult[];
}

export interface TimeSplit {
  auc: number;
  prAuc: number;
  brier: number;
  trainUnits: number;
  testUnits: number;
  testFailed: number;
  /** Time of the first test unit, epoch ms: trained before, tested from here on. */
  splitAt: number;
  c: number;
  keep: number;
}

function labelsOf(outcome: Int8Array, rows: Uint32Array): Uint8Array {
  const y = new Uint8Array(rows.length);
  for (let r = 0; r < rows.length; r++) y[r] = outcome[rows[r] as number] as number;
  return y;
}

function countFailed(outcome: Int8Array, rows: Uint32Array): number {
  let failed = 0;
  for (const i of rows) failed += outcome[i] === 1 ? 1 : 0;
  return failed;
}

/** What the inner CV chooses: the inverse penalty and how many screened columns to keep. */
export interface ModelSettings {
  /** Inverse penalty (scikit-learn's C). */
  c: number;
  /** Design columns kept by the screen (all of them when it is at least the design's width). */
  keep: number;
}

/** Weight of each unit in the log-loss, by its class; undefined when every unit weighs 1. */
function unitWeightsOf(labels: Uint8Array, options: PredictOptions): Float64Array | undefined {
  if (options.classWeight === "none") return undefined;
  let failed = 0;
  for (const y of labels) failed += y;
  const n = labels.length;
  const failing = n / (2 * Math.max(failed, 1));
  const passing = n / (2 * Math.max(n - failed, 1));
  return Float64Array.from(labels, (y) => (y === 1 ? failing : passing));
}

/**
 * Design columns by decreasing |Welch t| between failing and passing units: the screen. Columns
 * with no spread in either class rank last.
 */
function screenOrder(design: Float64Array, n: number, p: number, labels: Uint8Array): Uint32Array {
  const sum = new Float64Array(2 * p);
  const squares = new Float64Array(2 * p);
  const count = [0, 0];
  for (let i = 0, row = 0; i < n; i++, row += p) {
    const y = labels[i] as number;
    count[y] = (count[y] as number) + 1;
    const base = y * p;
    for (let j = 0; j < p; j++) {
      const v = design[row + j] as number;
      sum[base + j] = (sum[base + j] as number) + v;
      squares[base + j] = (squares[base + j] as number) + v * v;
    }
  }
  const t = new Float64Array(p);
  const [n0, n1] = count as [number, number];
  for (let j = 0; j < p; j++) {
    const m0 = (sum[j] as number) / n0;
    const m1 = (sum[p + j] as number) / n1;
    const v0 = n0 > 1 ? ((squares[j] as number) - n0 * m0 * m0) / (n0 - 1) : 0;
    const v1 = n1 > 1 ? ((squares[p + j] as number) - n1 * m1 * m1) / (n1 - 1) : 0;
    const se = Math.sqrt(Math.max(v0, 0) / n0 + Math.max(v1, 0) / n1);
    t[j] = se > 0 ? Math.abs(m1 - m0) / se : 0;
  }
  const order = Uint32Array.from({ length: p }, (_, j) => j);
  return order.sort((a, b) => (t[b] as number) - (t[a] as number) || a - b);
}

/** The first `keep` columns of `order`, ascending. */
function keptColumns(order: Uint32Array, keep: number): Uint32Array {
  return order.slice(0, Math.min(keep, order.length)).sort();
}

/** The given columns of a row-major design. */
function selectColumns(design: Float64Array, n: number, p: number, columns: Uint32Array) {
  const width = columns.length;
  if (width === p) return design;
  const out = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) {
      out[i * width + k] = design[i * p + (columns[k] as number)] as number;
    }
  }
  return out;
}

/** The solver of the options' penalty: truncated Newton for the pure ridge, coordinate descent otherwise. */
function solverFor(
  design: Float64Array,
  n: number,
  p: number,
  labels: Uint8Array,
  unitWeights: Float64Array | undefined,
  options: PredictOptions,
): { fit(lambda: number, start?: RidgeCoefficients): RidgeCoefficients } {
  return options.l1Ratio === 0
    ? new RidgeLogisticSolver(design, n, p, labels, unitWeights)
    : new ElasticNetLogisticSolver(design, n, p, labels, options.l1Ratio, unitWeights);
}

function fitPreprocessorFor(data: TrainingData, rows: Uint32Array, options: PredictOptions) {
  return fitPreprocessor(
    data.features,
    rows,
    options.minLevelUnits,
    options.clipSd,
    options.scaling,
    options.extremes,
  );
}

/**
 * Preprocessing and coefficients learnt from `rows` with `settings`; columns the screen leaves out
 * get weight 0, so scoring reads the whole design.
 */
function fitAt(
  data: TrainingData,
  rows: Uint32Array,
  settings: ModelSettings,
  options: PredictOptions,
) {
  const preprocessor = fitPreprocessorFor(data, rows, options);
  const width = preprocessor.columns.length;
  const design = designMatrix(preprocessor, data.byName, rows);
  const labels = labelsOf(data.outcome, rows);
  const columns = keptColumns(screenOrder(design, rows.length, width, labels), settings.keep);
  const solver = solverFor(
    selectColumns(design, rows.length, width, columns),
    rows.length,
    columns.length,
    labels,
    unitWeightsOf(labels, options),
    options,
  );
  const fit = solver.fit(1 / settings.c);
  const weights = new Float64Array(width);
  for (let k = 0; k < columns.length; k++) weights[columns[k] as number] = fit.weights[k] as number;
  return { preprocessor, coefficients: { weights, intercept: fit.intercept } };
}

function scoreWith(
  model: { preprocessor: Preprocessor; coefficients: RidgeCoefficients },
  byName: ReadonlyMap<string, Feature>,
  rows: Uint32Array,
): Float64Array {
  const design = designMatrix(model.preprocessor, byName, rows);
  return RidgeLogisticSolver.predict(model.coefficients, design, rows.length);
}

/**
 * The inverse penalty and screen size with the best mean AUC over stratified inner folds of
 * `rows`, repeated `options.innerRepeats` times (the strongest penalty and the fewest columns among
 * ties). Each inner fold fits its own preprocessing and screen, and for each screen size walks the
 * grid from the strongest penalty down, each fit starting from the previous one.
 */
export function chooseSettings(
  data: TrainingData,
  rows: Uint32Array,
  options: PredictOptions,
  folds: number,
  shuffler: FoldShuffler,
): ModelSettings {
  const grid = options.cGrid;
  const sizes = [...new Set(options.screenGrid)].sort((a, b) => a - b);
  const failed = countFailed(data.outcome, rows);
  const k = Math.min(folds, failed, rows.length - failed);
  const middle = { c: grid[grid.length >> 1] as number, keep: sizes[sizes.length - 1] as number };
  if (k < 2) return middle;
  const sums = new Float64Array(sizes.length * grid.length);
  const counts = new Float64Array(sizes.length * grid.length);
  for (let repeat = 0; repeat < options.innerRepeats; repeat++) {
    for (const test of stratifiedFolds(rows, data.outcome, k, shuffler)) {
      const train = complement(rows, test);
      const preprocessor = fitPreprocessorFor(data, train, options);
      const width = preprocessor.columns.length;
      const trainDesign = designMatrix(preprocessor, data.byName, train);
      const trainLabels = labelsOf(data.outcome, train);
      const unitWeights = unitWeightsOf(trainLabels, options);
      const order = screenOrder(trainDesign, train.length, width, trainLabels);
      const testDesign = designMatrix(preprocessor, data.byName, test);
      const testLabels = labelsOf(data.outcome, test);
      const scores = new Float64Array(test.length);
      for (const [s, size] of sizes.entries()) {
        const columns = keptColumns(order, size);
        const solver = solverFor(
          selectColumns(trainDesign, train.length, width, columns),
          train.length,
          columns.length,
          trainLabels,
          unitWeights,
          options,
        );
        const testSelected = selectColumns(testDesign, test.length, width, columns);
        let start: RidgeCoefficients | undefined;
        for (let g = 0; g < grid.length; g++) {
          start = solver.fit(1 / (grid[g] as number), start);
          RidgeLogisticSolver.predict(start, testSelected, test.length, scores);
          const auc = rocAuc(scores, testLabels);
          if (!Number.isNaN(auc)) {
            const at = s * grid.length + g;
            sums[at] = (sums[at] as number) + auc;
            counts[at] = (counts[at] as number) + 1;
          }
        }
      }
    }
  }
  let best = middle;
  let bestAuc = Number.NEGATIVE_INFINITY;
  for (const [s, size] of sizes.entries()) {
    for (let g = 0; g < grid.length; g++) {
      const at = s * grid.length + g;
      const mean = (sums[at] as number) / (counts[at] as number);
      if (mean > bestAuc) {
        bestAuc = mean;
        best = { c: grid[g] as number, keep: size };
      }
    }
  }
  return best;
}

function meanAndSd(values: readonly number[]): [number, number] {
  const finite = values.filter((v) => !Number.isNaN(v));
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  const ss = finite.reduce((s, v) => s + (v - mean) ** 2, 0);
  return [mean, finite.length > 1 ? Math.sqrt(ss / (finite.length - 1)) : Number.NaN];
}

/**
 * Repeated stratified k-fold cross-validation of the whole procedure (preprocessing, penalty
 * choice by inner CV, fit): nothing is learnt from an outer test fold. null when there are fewer
 * than two failing or passing units.
 */
export function crossValidate(
  data: TrainingData,
  rows: Uint32Array,
  options: PredictOptions,
  notes: string[],
): CrossValidation | null {
  const failed = countFailed(data.outcome, rows);
  const k = Math.min(options.folds, failed, rows.length - failed);
  if (k < 2) {
    notes.push(
      `no cross-validation: ${failed} failing and ${rows.length - failed} passing units (2 of each needed)`,
    );
    return null;
  }
  if (k < options.folds)
    notes.push(
      `cross-validation uses ${k} folds: only ${Math.min(failed, rows.length - failed)} units in the smaller class`,
    );
  const shuffler = new FoldShuffler(options.seed);
  const results: FoldResult[] = [];
  const pooledScores: number[] = [];
  const pooledLabels: number[] = [];
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const folds = stratifiedFolds(rows, data.outcome, k, shuffler);
    for (const [fold, test] of folds.entries()) {
      const train = complement(rows, test);
      const settings = chooseSettings(data, train, options, options.innerFolds, shuffler);
      const model = fitAt(data, train, settings, options);
      const scores = scoreWith(model, data.byName, test);
      const labels = labelsOf(data.outcome, test);
      results.push({
        repeat: repeat + 1,
        fold: fold + 1,
        units: test.length,
        failed: countFailed(data.outcome, test),
        auc: rocAuc(scores, labels),
        prAuc: averagePrecision(scores, labels),
        ...settings,
      });
      for (let r = 0; r < test.length; r++) {
        pooledScores.push(scores[r] as number);
        pooledLabels.push(labels[r] as number);
      }
    }
  }
  const [auc, aucSd] = meanAndSd(results.map((r) => r.auc));
  const [prAuc, prAucSd] = meanAndSd(results.map((r) => r.prAuc));
  const baseRate = failed / rows.length;
  return {
    auc,
    aucSd,
    prAuc,
    prAucSd,
    brier: brierScore(pooledScores, pooledLabels),
    brierBaseRate: baseRate * (1 - baseRate),
    k,
    repeats: options.repeats,
    innerFolds: options.innerFolds,
    calibration: reliability(pooledScores, pooledLabels, options.calibrationBins),
    folds: results,
  };
}

/**
 * Trains on the earliest `trainShare` of the timed units and tests on the rest: how the model does
 * on units made after everything it learnt from (drift shows here, not in shuffled folds).
 */
export function timeOrderedSplit(
  data: TrainingData,
  rows: Uint32Array,
  times: Float64Array | undefined,
  options: PredictOptions,
  notes: string[],
): TimeSplit | null {
  if (times === undefined) {
    notes.push("no time-ordered split: no time column");
    return null;
  }
  const timed = Array.from(rows).filter((i) => !Number.isNaN(times[i] as number));
  timed.sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const cut = Math.floor(timed.length * options.trainShare);
  const train = Uint32Array.from(timed.slice(0, cut)).sort();
  const test = Uint32Array.from(timed.slice(cut));
  const trainFailed = countFailed(data.outcome, train);
  const testFailed = countFailed(data.outcome, test);
  if (
    trainFailed < 2 ||
    train.length - trainFailed < 2 ||
    testFailed === 0 ||
    testFailed === test.length
  ) {
    notes.push(
      `no time-ordered split: the earliest ${train.length} units hold ${trainFailed} failing, the latest ${test.length} hold ${testFailed}`,
    );
    return null;
  }
  const settings = chooseSettings(
    data,
    train,
    options,
    options.innerFolds,
    new FoldShuffler(options.seed),
  );
  const model = fitAt(data, train, settings, options);
  const scores = scoreWith(model, data.byName, test);
  const labels = labelsOf(data.outcome, test);
  return {
    auc: rocAuc(scores, labels),
    prAuc: averagePrecision(scores, labels),
    brier: brierScore(scores, labels),
    trainUnits: train.length,
    testUnits: test.length,
    testFailed,
    splitAt: times[timed[cut] as number] as number,
    ...settings,
  };
}

/** The model for scoring new units: penalty chosen by k-fold CV on every labelled unit, then fitted on all. */
export function trainRiskModel(
  data: TrainingData,
  rows: Uint32Array,
  options: PredictOptions,
): RiskModel {
  const settings = chooseSettings(
    data,
    rows,
    options,
    options.folds,
    new FoldShuffler(options.seed),
  );
  const { preprocessor, coefficients } = fitAt(data, rows, settings, options);
  const kinds: Record<string, Feature["kind"]> = {};
  for (const s of preprocessor.scaled) kinds[s.feature] = "continuous";
  for (const o of preprocessor.oneHot) kinds[o.feature] = "categorical";
  return {
    preprocessor,
    coefficients: { weights: coefficients.weights, intercept: coefficients.intercept },
    ...settings,
    kinds,
    trainedOn: rows.length,
    positives: countFailed(data.outcome, rows),
  };
}

/** Probability of failing of `rows` under a fitted model. */
export function scoreRows(
  model: RiskModel,
  byName: ReadonlyMap<string, Feature>,
  rows: Uint32Array,
): Float64Array {
  return scoreWith(model, byName, rows);
}
