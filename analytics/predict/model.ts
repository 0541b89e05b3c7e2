import type { Feature } from "./dataset.ts";
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
  /** Inverse penalty the inner CV chose. */
  c: number;
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

/** Preprocessing and coefficients learnt from `rows` at inverse penalty `c`. */
function fitAt(data: TrainingData, rows: Uint32Array, c: number, options: PredictOptions) {
  const preprocessor = fitPreprocessor(data.features, rows, options.minLevelUnits, options.clipSd);
  const design = designMatrix(preprocessor, data.byName, rows);
  const solver = new RidgeLogisticSolver(
    design,
    rows.length,
    preprocessor.columns.length,
    labelsOf(data.outcome, rows),
  );
  return { preprocessor, coefficients: solver.fit(1 / c) };
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
 * The inverse penalty with the best mean AUC over stratified inner folds of `rows` (the strongest
 * penalty among ties). Each inner fold fits its own preprocessing and walks the grid from the
 * strongest penalty down, each fit starting from the previous one.
 */
export function choosePenalty(
  data: TrainingData,
  rows: Uint32Array,
  options: PredictOptions,
  folds: number,
  shuffler: FoldShuffler,
): number {
  const grid = options.cGrid;
  const failed = countFailed(data.outcome, rows);
  const k = Math.min(folds, failed, rows.length - failed);
  if (k < 2) return grid[grid.length >> 1] as number;
  const sums = new Float64Array(grid.length);
  const counts = new Float64Array(grid.length);
  for (const test of stratifiedFolds(rows, data.outcome, k, shuffler)) {
    const train = complement(rows, test);
    const preprocessor = fitPreprocessor(
      data.features,
      train,
      options.minLevelUnits,
      options.clipSd,
    );
    const width = preprocessor.columns.length;
    const solver = new RidgeLogisticSolver(
      designMatrix(preprocessor, data.byName, train),
      train.length,
      width,
      labelsOf(data.outcome, train),
    );
    const testDesign = designMatrix(preprocessor, data.byName, test);
    const testLabels = labelsOf(data.outcome, test);
    const scores = new Float64Array(test.length);
    let start: RidgeCoefficients | undefined;
    for (let g = 0; g < grid.length; g++) {
      start = solver.fit(1 / (grid[g] as number), start);
      RidgeLogisticSolver.predict(start, testDesign, test.length, scores);
      const auc = rocAuc(scores, testLabels);
      if (!Number.isNaN(auc)) {
        sums[g] = (sums[g] as number) + auc;
        counts[g] = (counts[g] as number) + 1;
      }
    }
  }
  let best = grid.length >> 1;
  let bestAuc = Number.NEGATIVE_INFINITY;
  for (let g = 0; g < grid.length; g++) {
    const mean = (sums[g] as number) / (counts[g] as number);
    if (mean > bestAuc) {
      bestAuc = mean;
      best = g;
    }
  }
  return grid[best] as number;
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
      const c = choosePenalty(data, train, options, options.innerFolds, shuffler);
      const model = fitAt(data, train, c, options);
      const scores = scoreWith(model, data.byName, test);
      const labels = labelsOf(data.outcome, test);
      results.push({
        repeat: repeat + 1,
        fold: fold + 1,
        units: test.length,
        failed: countFailed(data.outcome, test),
        auc: rocAuc(scores, labels),
        prAuc: averagePrecision(scores, labels),
        c,
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
  const c = choosePenalty(data, train, options, options.innerFolds, new FoldShuffler(options.seed));
  const model = fitAt(data, train, c, options);
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
    c,
  };
}

/** The model for scoring new units: penalty chosen by k-fold CV on every labelled unit, then fitted on all. */
export function trainRiskModel(
  data: TrainingData,
  rows: Uint32Array,
  options: PredictOptions,
): RiskModel {
  const c = choosePenalty(data, rows, options, options.folds, new FoldShuffler(options.seed));
  const { preprocessor, coefficients } = fitAt(data, rows, c, options);
  const kinds: Record<string, Feature["kind"]> = {};
  for (const s of preprocessor.scaled) kinds[s.feature] = "continuous";
  for (const o of preprocessor.oneHot) kinds[o.feature] = "categorical";
  return {
    preprocessor,
    coefficients: { weights: coefficients.weights, intercept: coefficients.intercept },
    c,
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
