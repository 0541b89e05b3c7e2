import { describe, expect, it } from "vitest";
import {
  averagePrecision,
  benjaminiHochberg,
  brierScore,
  chiSquareTest,
  chiSquareUpperTail,
  fisherExact,
  fitUnivariateLogistic,
  mannWhitney,
  oddsRatio,
  RidgeLogisticSolver,
  rateRatio,
  reliability,
  rocAuc,
} from "./index.ts";

// Reference values: SciPy 1.17.1 (stats.fisher_exact, mannwhitneyu, chi2_contingency, chi2.sf,
// false_discovery_control), scikit-learn's documented examples, and closed forms for 2×2 tables.

const Z95 = 1.959963984540054;

function twoSamples(first: number[], second: number[]): [Float64Array, Uint8Array] {
  return [
    Float64Array.from([...first, ...second]),
    Uint8Array.from([...first.map(() => 1), ...second.map(() => 0)]),
  ];
}

describe("Fisher exact test", () => {
  it.each([
    // Fisher's lady tasting tea.
    [[3, 1, 1, 3], 0.48571428571428565],
    [[1, 9, 11, 3], 0.0027594561852200836],
    [[10, 2, 3, 15], 0.0005367241191434357],
    [[0, 5, 12, 40], 0.5729890764647467],
  ] as const)("%j → p = %f (two-sided)", ([a, b, c, d], p) => {
    expect(fisherExact(a, b, c, d)).toBeCloseTo(p, 12);
  });

  it("is symmetric in rows and columns", () => {
    expect(fisherExact(1, 9, 11, 3)).toBeCloseTo(fisherExact(11, 3, 1, 9), 14);
    expect(fisherExact(1, 9, 11, 3)).toBeCloseTo(fisherExact(1, 11, 9, 3), 14);
  });

  it("stays finite for tables of thousands of boards", () => {
    const p = fisherExact(120, 880, 30, 2970);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-40);
  });
});

describe("Mann–Whitney U", () => {
  // Hollander & Wolfe (1973) p. 69, permeability constants (R's wilcox.test example).
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];

  it("is exact for small samples without ties", () => {
    const [values, positive] = twoSamples(x, y);
    const result = mannWhitney(values, positive);
    expect(result.u).toBe(35);
    expect(result.method).toBe("exact");
    expect(result.p).toBeCloseTo(0.2544122544122544, 12);
    expect(result.auc).toBeCloseTo(35 / 50, 14);
  });

  it("uses the normal approximation with continuity correction", () => {
    const [values, positive] = twoSamples(x, y);
    const result = mannWhitney(values, positive, { exact: false });
    expect(result.method).toBe("normal");
    expect(result.p).toBeCloseTo(0.24462360512698333, 12);
  });

  it("corrects the variance for ties", () => {
    const [values, positive] = twoSamples([1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 4, 4, 5, 5, 6, 6, 7]);
    const result = mannWhitney(values, positive);
    expect(result.u).toBe(13.5);
    expect(result.method).toBe("normal");
    expect(result.p).toBeCloseTo(0.03175895714806371, 12);
  });
});

describe("chi-square", () => {
  it("tests a 3×2 table of groups × (failed, passed)", () => {
    const result = chiSquareTest([12, 25, 7], [100, 100, 100]);
    expect(result.statistic).toBeCloseTo(13.796164772727272, 10);
    expect(result.df).toBe(2);
    expect(result.p).toBeCloseTo(0.0010097198262502393, 12);
    expect(result.sparseShare).toBe(0);
  });

  it("has the upper tail of the distribution", () => {
    expect(chiSquareUpperTail(3.84, 1)).toBeCloseTo(0.05004352124870519, 12);
    expect(chiSquareUpperTail(20, 5)).toBeCloseTo(0.0012497305630313773, 12);
    expect(chiSquareUpperTail(0, 3)).toBe(1);
  });

  it("has no p-value when nobody failed", () => {
    expect(chiSquareTest([0, 0], [10, 20]).p).toBeNaN();
  });
});

describe("Benjamini–Hochberg", () => {
  it("adjusts sorted p-values", () => {
    const q = benjaminiHochberg([0.005, 0.011, 0.02, 0.04, 0.13]);
    const expected = [0.025, 0.0275, 0.0333333333333, 0.05, 0.13];
    for (const [i, value] of expected.entries()) expect(q[i]).toBeCloseTo(value, 10);
  });

  it("keeps q monotone in p and the input order", () => {
    expect(benjaminiHochberg([0.04, 0.01, 0.039])).toEqual([0.04, 0.03, 0.04]);
  });

  it("leaves untested features out of m", () => {
    const q = benjaminiHochberg([0.01, Number.NaN, 0.04]);
    expect(q[0]).toBeCloseTo(0.02, 14);
    expect(q[1]).toBeNaN();
    expect(q[2]).toBeCloseTo(0.04, 14);
  });
});

describe("ratios of a 2×2 table", () => {
  it("rate ratio with a Katz interval", () => {
    const ratio = rateRatio(20, 80, 10, 190, Z95);
    expect(ratio.estimate).toBeCloseTo(4, 14);
    expect(ratio.low).toBeCloseTo(1.9467427857309343, 10);
    expect(ratio.high).toBeCloseTo(8.218856706327825, 10);
    expect(ratio.corrected).toBe(false);
  });

  it("adds one half to every cell when one is empty (Haldane–Anscombe)", () => {
    const ratio = rateRatio(0, 50, 10, 40, Z95);
    expect(ratio.corrected).toBe(true);
    expect(ratio.estimate).toBeCloseTo(0.5 / 51 / (10.5 / 51), 14);
    expect(Number.isFinite(ratio.low) && Number.isFinite(ratio.high)).toBe(true);
    const odds = oddsRatio(0, 50, 10, 40, Z95);
    expect(odds.estimate).toBeCloseTo((0.5 * 40.5) / (50.5 * 10.5), 14);
  });
});

describe("logistic fits", () => {
  // A binary value: the maximum-likelihood slope is the log odds ratio of the table, its standard
  // error sqrt(1/a + 1/b + 1/c + 1/d), the intercept the log odds of the unexposed.
  const [a, b, c, d] = [20, 80, 10, 190];
  const x = Float64Array.from([...Array(a + b).fill(1), ...Array(c + d).fill(0)]);
  const y = Uint8Array.from([
    ...Array(a).fill(1),
    ...Array(b).fill(0),
    ...Array(c).fill(1),
    ...Array(d).fill(0),
  ]);

  it("univariate Newton fit equals the 2×2 closed form", () => {
    const fit = fitUnivariateLogistic(x, y);
    expect(fit.estimable).toBe(true);
    expect(fit.slope).toBeCloseTo(Math.log((a * d) / (b * c)), 10);
    expect(fit.slopeSe).toBeCloseTo(Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d), 8);
    expect(fit.intercept).toBeCloseTo(Math.log(c / d), 10);
  });

  it("reports complete separation as not estimable", () => {
    const fit = fitUnivariateLogistic(
      Float64Array.from([1, 2, 3, 4, 5, 6]),
      Uint8Array.from([0, 0, 0, 1, 1, 1]),
    );
    expect(fit.estimable).toBe(false);
  });

  it("ridge fit approaches the same slope as the penalty vanishes", () => {
    const solver = new RidgeLogisticSolver(x, x.length, 1, y);
    const fit = solver.fit(1e-9);
    expect(fit.converged).toBe(true);
    expect(fit.weights[0]).toBeCloseTo(Math.log((a * d) / (b * c)), 5);
    expect(fit.intercept).toBeCloseTo(Math.log(c / d), 5);
  });

  it("ridge fit zeroes the penalised gradient Xᵀ(μ − y) + λw", () => {
    const n = 200;
    const p = 3;
    const design = new Float64Array(n * p);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++)
        design[i * p + j] = Math.sin(i * (j + 1) * 0.7) + (j === 2 ? 0.5 : 0);
      labels[i] = Math.cos(i * 1.3) + (design[i * p] as number) > 0.6 ? 1 : 0;
    }
    const lambda = 3;
    const fit = new RidgeLogisticSolver(design, n, p, labels).fit(lambda);
    const gradient = Array.from(fit.weights, (w) => lambda * w);
    let interceptGradient = 0;
    for (let i = 0; i < n; i++) {
      let eta = fit.intercept;
      for (let j = 0; j < p; j++) eta += (design[i * p + j] as number) * (fit.weights[j] as number);
      const residual = 1 / (1 + Math.exp(-eta)) - (labels[i] as number);
      interceptGradient += residual;
      for (let j = 0; j < p; j++)
        gradient[j] = (gradient[j] as number) + (design[i * p + j] as number) * residual;
    }
    for (const g of [...gradient, interceptGradient]) expect(Math.abs(g)).toBeLessThan(1e-4);
  });
});

describe("model quality measures", () => {
  // scikit-learn's documented examples of roc_auc_score, average_precision_score, brier_score_loss.
  it("ROC AUC, ties counting one half", () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 14);
    expect(rocAuc([0.5, 0.5, 0.2], [1, 0, 0])).toBeCloseTo(0.75, 14);
    expect(rocAuc([0.5, 0.5], [0, 0])).toBeNaN();
  });

  it("average precision", () => {
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(
      0.8333333333333333,
      14,
    );
    // Two units tied at the top, one failing: precision 1/2 at recall 1.
    expect(averagePrecision([0.9, 0.9, 0.1], [1, 0, 0])).toBeCloseTo(0.5, 14);
  });

  it("Brier score and reliability bins", () => {
    expect(brierScore([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0])).toBeCloseTo(0.0375, 14);
    const bins = reliability([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 1, 1, 1, 0], 2);
    expect(bins.map((b) => [b.units, b.failed, b.from, b.to])).toEqual([
      [3, 1, 0.1, 0.3],
      [3, 2, 0.7, 0.9],
    ]);
    expect(bins[0]?.predicted).toBeCloseTo(0.2, 14);
    expect(bins[1]?.predicted).toBeCloseTo(0.8, 14);
    expect(bins[1]?.observed).toBeCloseTo(2 / 3, 14);
  });
});
