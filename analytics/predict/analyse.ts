import {
  type Dataset,
  type Feature,
  toCategory,
  toNumber,
  UNIT_ATTRIBUTES,
  type UnitAttribute,
} from "./dataset.ts";
import { type Driver, findDrivers } from "./drivers.ts";
import { PredictError } from "./errors.ts";
import {
  type CrossValidation,
  crossValidate,
  type RiskModel,
  scoreRows,
  type TimeSplit,
  timeOrderedSplit,
  trainRiskModel,
} from "./model.ts";
import { type PredictOptions, type PredictTarget, resolvePredictOptions } from "./options.ts";
import { type OutcomeWords, outcomeWords } from "./words.ts";

/** A unit's risk of failing the target test. */
export interface RiskScore {
  /** The unit's identifier (serial). */
  id: string;
  /** Predicted probability of failing. */
  score: number;
  /** Time of the unit, epoch ms, when known. */
  time?: number;
  site?: string;
  line?: string;
  product?: string;
}

/** A fitted risk model with what scoring new units needs to know. */
export interface PredictModel extends RiskModel {
  target: PredictTarget;
  /** Column holding the unit identifier in rows to score. */
  idColumn: string | undefined;
}

/** What the model looks like, for people. */
export interface ModelSummary {
  /** Ridge (L2) or elastic net (l1Ratio > 0) logistic regression. */
  kind: "l2-logistic" | "elastic-net-logistic";
  /** How measured values entered the model, and whether their distances from the median did too. */
  scaling: "standard" | "rank";
  extremes: boolean;
  /** Share of the penalty on absolute weights; 0 for ridge. */
  l1Ratio: number;
  classWeight: "none" | "balanced";
  /** Inverse penalty (scikit-learn's C) and the penalty λ = 1/C on the summed log-loss. */
  c: number;
  lambda: number;
  intercept: number;
  /** Design columns (standardised values, one 0/1 column per category). */
  columns: number;
  trainedOn: number;
  positives: number;
  /** Largest coefficients, per SD of a value or for being in a category. */
  coefficients: { column: string; weight: number }[];
  /** Features constant among the training units. */
  dropped: string[];
}

/** Everything a prediction run found. */
export interface PredictReport {
  target: PredictTarget;
  label: string;
  /** Units with an outcome, and how many failed. */
  n: number;
  positives: number;
  /** Units without an outcome yet (scored for risk). */
  untested: number;
  cv: CrossValidation | null;
  timeSplit: TimeSplit | null;
  /** Strongest evidence first. */
  drivers: Driver[];
  model: ModelSummary;
  risk: { threshold: number; scored: number; atRisk: RiskScore[] };
  notes: string[];
}

export interface PredictResult {
  report: PredictReport;
  model: PredictModel;
  /** Every untested unit's risk, highest first. */
  scores: RiskScore[];
}

const REPORTED_COEFFICIENTS = 20;

function attributesOf(dataset: Dataset, i: number): Partial<Record<UnitAttribute, string>> {
  const out: Partial<Record<UnitAttribute, string>> = {};
  for (const name of UNIT_ATTRIBUTES) {
    const value = dataset.attributes[name]?.[i];
    if (value !== null && value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Drivers, cross-validated model quality (nested, and in time order), the final model and the risk
 * of every untested unit. `words` name the outcome in the sentences (default: the target's).
 */
export function analyse(
  dataset: Dataset,
  options: Partial<PredictOptions> = {},
  words?: OutcomeWords,
): PredictResult {
  const o = resolvePredictOptions(options);
  const labelled: number[] = [];
  const untested: number[] = [];
  let positives = 0;
  for (let i = 0; i < dataset.outcome.length; i++) {
    const v = dataset.outcome[i] as number;
    if (v < 0) untested.push(i);
    else {
      labelled.push(i);
      positives += v;
    }
  }
  if (labelled.length === 0) {
    throw new PredictError("bad-input", `no unit has an outcome in ${dataset.label}`);
  }
  if (positives === 0 || positives === labelled.length) {
    throw new PredictError(
      "single-class",
      `every one of the ${labelled.length} units with an outcome in ${dataset.label} ${positives === 0 ? "passed" : "failed"}: there is nothing to tell failing boards from passing ones`,
    );
  }
  if (dataset.features.length === 0) {
    throw new PredictError(
      "no-features",
      `no candidate feature left${dataset.notes.length > 0 ? `: ${dataset.notes.join("; ")}` : ""}`,
    );
  }
  const notes = [...dataset.notes];
  const rows = Uint32Array.from(labelled);
  const data = {
    features: dataset.features,
    byName: new Map<string, Feature>(dataset.features.map((f) => [f.name, f])),
    outcome: dataset.outcome,
  };
  const { drivers, skipped } = findDrivers(dataset, {
    words: words ?? outcomeWords(o.target),
    confidence: o.confidence,
    minLevelUnits: o.minLevelUnits,
  });
  notes.push(...skipped);
  const cv = o.driversOnly ? null : crossValidate(data, rows, o, notes);
  const timeSplit = o.driversOnly ? null : timeOrderedSplit(data, rows, dataset.times, o, notes);
  const fitted = trainRiskModel(data, rows, o);
  const model: PredictModel = { ...fitted, target: o.target, idColumn: dataset.idColumn };

  const untestedRows = Uint32Array.from(untested);
  const probabilities = scoreRows(model, data.byName, untestedRows);
  const scores: RiskScore[] = untested.map((i, k) => {
    const time = dataset.times?.[i];
    return {
      id: dataset.ids[i] as string,
      score: probabilities[k] as number,
      ...(time !== undefined && !Number.isNaN(time) ? { time } : {}),
      ...attributesOf(dataset, i),
    };
  });
  scores.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));

  const { weights } = model.coefficients;
  const coefficients = model.preprocessor.columns
    .map((column, j) => ({ column, weight: weights[j] as number }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, REPORTED_COEFFICIENTS);
  if (model.preprocessor.dropped.length > 0) {
    notes.push(
      `constant among the training units, not in the model: ${model.preprocessor.dropped.join(", ")}`,
    );
  }
  return {
    report: {
      target: o.target,
      label: dataset.label,
      n: labelled.length,
      positives,
      untested: untested.length,
      cv,
      timeSplit,
      drivers,
      model: {
        kind: o.l1Ratio > 0 ? "elastic-net-logistic" : "l2-logistic",
        scaling: o.scaling,
        extremes: o.extremes,
        l1Ratio: o.l1Ratio,
        classWeight: o.classWeight,
        c: model.c,
        lambda: 1 / model.c,
        intercept: model.coefficients.intercept,
        columns: model.preprocessor.columns.length,
        trainedOn: model.trainedOn,
        positives: model.positives,
        coefficients,
        dropped: model.preprocessor.dropped,
      },
      risk: {
        threshold: o.riskThreshold,
        scored: scores.length,
        atRisk: scores.filter((s) => s.score >= o.riskThreshold),
      },
      notes,
    },
    model,
    scores,
  };
}

/**
 * Probability of failing of each unit in `rows` (objects keyed by column name, as a CSV row or a
 * warehouse row), with the model's preprocessing: missing values take the training median, unseen
 * categories count as none of the known ones. Highest risk first.
 */
export function scoreUnits(
  model: PredictModel,
  rows: readonly Readonly<Record<string, unknown>>[],
): RiskScore[] {
  const byName = new Map<string, Feature>();
  for (const [name, kind] of Object.entries(model.kinds)) {
    byName.set(
      name,
      kind === "continuous"
        ? { kind, name, values: Float64Array.from(rows, (row) => toNumber(row[name])) }
        : { kind, name, values: rows.map((row) => toCategory(row[name])) },
    );
  }
  const indices = Uint32Array.from(rows.keys());
  const probabilities = scoreRows(model, byName, indices);
  const scores = rows.map((row, k) => {
    const score: RiskScore = {
      id:
        toCategory(model.idColumn === undefined ? undefined : row[model.idColumn]) ?? String(k + 1),
      score: probabilities[k] as number,
    };
    for (const name of UNIT_ATTRIBUTES) {
      const value = toCategory(row[name]);
      if (value !== null) score[name] = value;
    }
    return score;
  });
  return scores.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}
