import { describe, expect, it } from "vitest";
import { analyse, buildDataset, columnsFromRows, PredictError, scoreUnits } from "./index.ts";
import { syntheticUnits } from "./synthetic.ts";

const LOTS = ["L1", "L2", "L3", "L4", "L5"];
const QUICK = { repeats: 1, cGrid: [1e-3, 1e-2, 1e-1, 1] };

function dataset(rows: Record<string, number | string | null>[]) {
  return buildDataset(columnsFromRows(rows), { label: "failed", time: "ts" });
}

describe("no signal", () => {
  const rows = syntheticUnits({
    units: 800,
    continuous: 20,
    categorical: { lot: LOTS, shift: ["A", "B", "C"] },
    logOdds: () => Math.log(0.1 / 0.9),
    seed: 7,
  });
  const { report } = analyse(dataset(rows), QUICK);

  it("finds no driver at q < 0.05", () => {
    expect(report.drivers).toHaveLength(22);
    expect(report.drivers.filter((d) => d.q < 0.05)).toEqual([]);
  });

  it("has a cross-validated AUC near 0.5, within sampling error", () => {
    // SE of one AUC with ~80 failing of 800 is ~0.035; the fold mean is no better than that.
    const cv = report.cv;
    expect(cv).not.toBeNull();
    expect(Math.abs((cv?.auc as number) - 0.5)).toBeLessThan(0.1);
    expect(Math.abs((report.timeSplit?.auc as number) - 0.5)).toBeLessThan(0.15);
    // No better than the base rate either.
    expect(cv?.brier as number).toBeGreaterThan((cv?.brierBaseRate as number) * 0.98);
  });
});

describe("a planted measured cause: x1 doubles the odds per SD", () => {
  const rows = syntheticUnits({
    units: 3000,
    continuous: 15,
    categorical: { lot: LOTS },
    logOdds: (u) => -2.5 + Math.log(2) * (u.x1 as number),
    seed: 11,
  });
  const { report } = analyse(dataset(rows), QUICK);
  const top = report.drivers[0];

  it("ranks it first, higher values failing more often", () => {
    expect(top?.feature).toBe("x1");
    expect(top?.q).toBeLessThan(1e-6);
    expect(top?.group?.startsWith(">")).toBe(true);
    expect(top?.effect as number).toBeGreaterThan(1.5);
    expect(top?.summary).toMatch(
      /^boards with x1 above .+ \(the upper quartile\) failed a test .+× as often/,
    );
    expect(report.drivers.filter((d) => d.q < 0.05).map((d) => d.feature)).toEqual(["x1"]);
  });

  it("has a logistic odds ratio whose interval covers the truth", () => {
    const logistic = top?.logistic;
    expect(logistic?.per).toBe("IQR");
    // The truth per IQR is 2 to the power of the IQR (in SDs, the data's own IQR).
    const truth = 2 ** (logistic?.step as number);
    expect(logistic?.ciLow as number).toBeLessThan(truth);
    expect(logistic?.ciHigh as number).toBeGreaterThan(truth);
  });

  it("makes a model that ranks failing units higher", () => {
    expect(report.cv?.auc as number).toBeGreaterThan(0.62);
    expect(report.timeSplit?.auc as number).toBeGreaterThan(0.6);
    const weights = report.model.coefficients;
    expect(weights[0]?.column).toBe("x1");
    expect(weights[0]?.weight as number).toBeGreaterThan(0);
  });
});

describe("a planted category: lot L3 doubles the odds", () => {
  const base = Math.log(0.05 / 0.95);
  const rows = syntheticUnits({
    units: 5000,
    continuous: 10,
    categorical: { lot: LOTS, supplier: ["Norden", "Sud"] },
    logOdds: (u) => base + (u.lot === "L3" ? Math.log(2) : 0),
    seed: 13,
  });
  const { report } = analyse(dataset(rows), { ...QUICK, driversOnly: true });
  const top = report.drivers[0];

  it("ranks it first with a rate ratio whose interval covers the truth", () => {
    expect(top?.feature).toBe("lot");
    expect(top?.group).toBe("L3");
    expect(top?.test).toBe("chi-square");
    const exposed = 0.1 / 1.1; // odds 2 × 0.05/0.95
    const truth = exposed / 0.05;
    expect(top?.ciLow as number).toBeLessThan(truth);
    expect(top?.ciHigh as number).toBeGreaterThan(truth);
    expect(top?.summary).toMatch(
      /^boards with lot = L3 failed a test \d(\.\d)?× as often as the other boards \(\d+(\.\d)? % vs/,
    );
  });
});

describe("units not yet tested", () => {
  const rows: Record<string, number | string | null>[] = syntheticUnits({
    units: 1200,
    continuous: 3,
    categorical: { lot: LOTS },
    logOdds: (u) => -2 + 1.5 * (u.x1 as number),
    seed: 17,
  });
  for (const row of rows.slice(1100)) row.failed = null;

  it("get a risk score from the model trained on the tested ones", () => {
    const { report, model, scores } = analyse(dataset(rows), {
      ...QUICK,
      driversOnly: true,
      riskThreshold: 0.3,
    });
    expect(report.n).toBe(1100);
    expect(report.untested).toBe(100);
    expect(scores).toHaveLength(100);
    // Highest risk first, and risk follows the planted cause.
    const [high, low] = [scores[0], scores[scores.length - 1]];
    const x1 = (serial: string) => rows.find((r) => r.serial === serial)?.x1 as number;
    expect(x1(high?.id as string)).toBeGreaterThan(x1(low?.id as string));
    expect(report.risk.atRisk.every((s) => s.score >= 0.3)).toBe(true);
    expect(report.risk.atRisk.length).toBe(scores.filter((s) => s.score >= 0.3).length);
    // scoreUnits on plain rows gives the same scores as the run did.
    const again = scoreUnits(model, rows.slice(1100));
    expect(again.map((s) => s.id)).toEqual(scores.map((s) => s.id));
    for (const [k, s] of again.entries())
      expect(s.score).toBeCloseTo(scores[k]?.score as number, 12);
  });

  it("score with medians for missing values and no column for an unseen lot", () => {
    const { model } = analyse(dataset(rows), { ...QUICK, driversOnly: true });
    const [missing] = scoreUnits(model, [
      { serial: "NEW1", x1: null, x2: 0, x3: 0, lot: "never seen" },
    ]);
    expect(missing?.id).toBe("NEW1");
    expect(missing?.score).toBeGreaterThan(0);
    expect(missing?.score).toBeLessThan(1);
  });
});

describe("refusals and left-out columns", () => {
  it("refuses a single-class outcome", () => {
    const rows = syntheticUnits({
      units: 50,
      continuous: 2,
      categorical: {},
      logOdds: () => -50,
      seed: 1,
    });
    expect(() => analyse(dataset(rows), QUICK)).toThrow(PredictError);
    try {
      analyse(dataset(rows), QUICK);
    } catch (error) {
      expect((error as PredictError).reason).toBe("single-class");
      expect((error as PredictError).message).toMatch(/every one of the 50 units .* passed/);
    }
  });

  it("leaves out constant, empty, identifier-like and label-copy columns with a note", () => {
    const rows = syntheticUnits({
      units: 300,
      continuous: 2,
      categorical: { lot: LOTS },
      logOdds: (u) => -1 + (u.x1 as number),
      seed: 3,
    }).map((row, i) => ({
      ...row,
      constant: 4.2,
      empty: null,
      tray: `T-${i}`,
      verdict: row.failed === 1 ? "NG" : "OK",
    }));
    const ds = dataset(rows);
    expect(ds.features.map((f) => f.name).sort()).toEqual(["lot", "x1", "x2"]);
    expect(ds.notes).toEqual([
      "left out constant: the same value (4.2) in every unit with an outcome",
      "left out empty: no value in any unit with an outcome",
      "left out tray: a different value in every unit (an identifier)",
      "left out verdict: a two-valued copy of the outcome (it would leak the answer)",
    ]);
    expect(ds.ids[0]).toBe("SN000001");
  });

  it("refuses an outcome it cannot read as a verdict", () => {
    const rows = [
      { failed: "maybe", x: 1 },
      { failed: "pass", x: 2 },
    ];
    expect(() => dataset(rows)).toThrow(/'maybe' is not a verdict/);
    expect(() =>
      dataset([
        { failed: 2, x: 1 },
        { failed: 0, x: 1 },
      ]),
    ).toThrow(/expected 1 \(failed\)/);
  });
});
