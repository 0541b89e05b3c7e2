import { describe, expect, it } from "vitest";
import type { Feature } from "./dataset.ts";
import { ElasticNetLogisticSolver } from "./elastic-net-logistic.ts";
import { analyse, buildDataset, columnsFromRows } from "./index.ts";
import { designMatrix, fitPreprocessor } from "./preprocess.ts";
import { RidgeLogisticSolver } from "./ridge-logistic.ts";
import { seededDraws, syntheticUnits } from "./synthetic.ts";

// The model's options beyond the plain ridge: rank scaling, the elastic net and class weights,
// each checked against what it must satisfy (optimality conditions, invariances), not a snapshot.

function problem(n: number, p: number, seed: number) {
  const draws = seededDraws(seed);
  const design = new Float64Array(n * p);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) design[i * p + j] = draws.normal();
    const eta = -1.5 + 1.2 * (design[i * p] as number) - 0.8 * (design[i * p + 1] as number);
    labels[i] = draws.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }
  return { design, labels };
}

/** Gradient of the summed (weighted) log-loss: Xᵀ u(μ − y), and its intercept part. */
function lossGradient(
  design: Float64Array,
  n: number,
  p: number,
  labels: Uint8Array,
  fit: { weights: Float64Array; intercept: number },
  unitWeights?: Float64Array,
) {
  const gradient = new Float64Array(p);
  let intercept = 0;
  for (let i = 0; i < n; i++) {
    let eta = fit.intercept;
    for (let j = 0; j < p; j++) eta += (design[i * p + j] as number) * (fit.weights[j] as number);
    const r = (unitWeights?.[i] ?? 1) * (1 / (1 + Math.exp(-eta)) - (labels[i] as number));
    intercept += r;
    for (let j = 0; j < p; j++)
      gradient[j] = (gradient[j] as number) + (design[i * p + j] as number) * r;
  }
  return { gradient, intercept };
}

describe("elastic-net logistic regression", () => {
  const n = 400;
  const p = 12;
  const { design, labels } = problem(n, p, 11);

  it.each([0.5, 1])("meets the optimality conditions at l1 ratio %f", (alpha) => {
    const lambda = 20;
    const fit = new ElasticNetLogisticSolver(design, n, p, labels, alpha).fit(lambda);
    const { gradient, intercept } = lossGradient(design, n, p, labels, fit);
    expect(Math.abs(intercept)).toBeLessThan(1e-3);
    let zeros = 0;
    for (let j = 0; j < p; j++) {
      const w = fit.weights[j] as number;
      const g = (gradient[j] as number) + lambda * (1 - alpha) * w;
      if (w === 0) {
        zeros++;
        expect(Math.abs(g)).toBeLessThanOrEqual(lambda * alpha + 1e-3);
      } else expect(Math.abs(g + lambda * alpha * Math.sign(w))).toBeLessThan(1e-4 * lambda);
    }
    // The two planted columns stay in; most noise columns are set to exactly 0.
    expect(fit.weights[0]).toBeGreaterThan(0);
    expect(fit.weights[1]).toBeLessThan(0);
    expect(zeros).toBeGreaterThan(p / 2);
  });

  it("is the ridge at l1 ratio 0", () => {
    const lambda = 5;
    const net = new ElasticNetLogisticSolver(design, n, p, labels, 0).fit(lambda);
    const ridge = new RidgeLogisticSolver(design, n, p, labels).fit(lambda);
    for (let j = 0; j < p; j++) expect(net.weights[j]).toBeCloseTo(ridge.weights[j] as number, 4);
    expect(net.intercept).toBeCloseTo(ridge.intercept, 4);
  });

  it("sets every weight to 0 above the largest useful penalty", () => {
    const fit = new ElasticNetLogisticSolver(design, n, p, labels, 1).fit(1e4);
    expect(fit.weights.every((w) => w === 0)).toBe(true);
  });
});

describe("class weights", () => {
  it("zero the weighted gradient, for the ridge and for the elastic net", () => {
    const n = 300;
    const p = 5;
    const { design, labels } = problem(n, p, 12);
    const unitWeights = Float64Array.from(labels, (y) => (y === 1 ? 3 : 0.6));
    const lambda = 4;
    const fits = [
      new RidgeLogisticSolver(design, n, p, labels, unitWeights).fit(lambda),
      new ElasticNetLogisticSolver(design, n, p, labels, 0, unitWeights).fit(lambda),
    ];
    for (const fit of fits) {
      const { gradient, intercept } = lossGradient(design, n, p, labels, fit, unitWeights);
      expect(intercept).toBeCloseTo(0, 4);
      for (let j = 0; j < p; j++) {
        expect((gradient[j] as number) + lambda * (fit.weights[j] as number)).toBeCloseTo(0, 3);
      }
    }
  });
});

describe("rank scaling", () => {
  const draws = seededDraws(13);
  const raw = Float64Array.from({ length: 200 }, () => draws.normal());
  raw[7] = Number.NaN;
  const feature = (values: Float64Array): Feature => ({ kind: "continuous", name: "x", values });
  const rows = Uint32Array.from({ length: 150 }, (_, i) => i);
  const all = Uint32Array.from({ length: 200 }, (_, i) => i);

  it("gives the same design for any increasing transform of a value, training and new units alike", () => {
    const stretched = raw.map((v) => Math.exp(3 * v));
    const designs = [raw, stretched].map((values) => {
      const f = feature(values);
      const pre = fitPreprocessor([f], rows, 5, Number.POSITIVE_INFINITY, "rank");
      return designMatrix(pre, new Map([["x", f]]), all);
    });
    for (let i = 0; i < 200; i++)
      expect(designs[1]?.[i]).toBeCloseTo(designs[0]?.[i] as number, 12);
  });

  it("standardises the training units, and one outlier cannot move a score past the ends", () => {
    const withOutlier = raw.slice();
    withOutlier[3] = 1e9;
    const f = feature(withOutlier);
    const pre = fitPreprocessor([f], rows, 5, Number.POSITIVE_INFINITY, "rank");
    const design = designMatrix(pre, new Map([["x", f]]), rows);
    const mean = design.reduce((s, v) => s + v, 0) / rows.length;
    const sd = Math.sqrt(design.reduce((s, v) => s + (v - mean) ** 2, 0) / rows.length);
    expect(mean).toBeCloseTo(0, 12);
    expect(sd).toBeCloseTo(1, 12);
    expect(Math.max(...design)).toBeLessThan(3);
    // A new unit beyond every training value scores as the top training rank does.
    const beyond = feature(Float64Array.from([1e12, 1e9]));
    const scored = designMatrix(pre, new Map([["x", beyond]]), Uint32Array.from([0, 1]));
    expect(scored[0]).toBeCloseTo(Math.max(...design), 12);
  });
});

describe("extremes: a value off in either direction", () => {
  // Failing rises with |x1|, not with x1: one weight per value cannot see it, |z| can.
  const rows = syntheticUnits({
    units: 1200,
    continuous: 6,
    categorical: {},
    logOdds: (unit) => -3.2 + 1.4 * Math.abs(unit.x1 as number),
    seed: 21,
  });
  const data = buildDataset(columnsFromRows(rows), { label: "failed", time: "ts" });
  const quick = { folds: 3, repeats: 1, cGrid: [1e-3, 1e-2, 1e-1, 1] };

  it("is found with the distance column and missed without it", () => {
    const plain = analyse(data, quick).report;
    const withExtremes = analyse(data, { ...quick, extremes: true }).report;
    expect(Math.abs((plain.cv?.auc as number) - 0.5)).toBeLessThan(0.08);
    expect(withExtremes.cv?.auc as number).toBeGreaterThan(0.68);
    expect(withExtremes.model.coefficients[0]?.column).toBe("|x1|");
    expect(withExtremes.model.coefficients[0]?.weight).toBeGreaterThan(0);
  });

  it("standardises the distance column on the training units", () => {
    const feature = data.features.find((f) => f.name === "x1") as Feature;
    const rowsUsed = Uint32Array.from({ length: 800 }, (_, i) => i);
    for (const scaling of ["standard", "rank"] as const) {
      const pre = fitPreprocessor([feature], rowsUsed, 5, Number.POSITIVE_INFINITY, scaling, true);
      expect(pre.columns).toEqual(["x1", "|x1|"]);
      const design = designMatrix(pre, new Map([["x1", feature]]), rowsUsed);
      const distance = design.filter((_, k) => k % 2 === 1);
      const mean = distance.reduce((s, v) => s + v, 0) / distance.length;
      const sd = Math.sqrt(distance.reduce((s, v) => s + (v - mean) ** 2, 0) / distance.length);
      expect(mean).toBeCloseTo(0, 10);
      expect(sd).toBeCloseTo(1, 10);
      for (let r = 0; r < 800; r++) {
        const z = design[2 * r] as number;
        const e = pre.scaled[0]?.extreme as { mean: number; sd: number };
        expect(design[2 * r + 1]).toBeCloseTo((Math.abs(z) - e.mean) / e.sd, 12);
      }
    }
  });
});
