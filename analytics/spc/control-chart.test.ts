import { describe, expect, it } from "vitest";
import { c4, d2, d3 } from "./constants.ts";
import { computeLimits, evaluate } from "./control-chart.ts";
import { SpcError } from "./errors.ts";
import { pistonrings } from "./reference-data.ts";
import type { ControlLimits, Subgroup, VariablesSubgroup } from "./types.ts";

const individuals = (values: readonly number[], from = 1): VariablesSubgroup[] =>
  values.map((value, i) => ({ label: `s${i + from}`, values: [value] }));

function refusal(run: () => unknown): SpcError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpcError) return error;
    throw error;
  }
  throw new Error("expected an SpcError");
}

describe("phase I limits are a frozen, persistable value", () => {
  const pr = pistonrings();
  const limits = computeLimits("xbar", pr.phase1);

  it("is frozen", () => {
    expect(Object.isFrozen(limits)).toBe(true);
    expect(() => {
      (limits as { center: number }).center = 0;
    }).toThrow(TypeError);
  });

  it("survives a JSON round trip and judges new subgroups exactly as before", () => {
    const restored = JSON.parse(JSON.stringify(limits)) as ControlLimits;
    expect(restored).toEqual(limits);
    const direct = evaluate(limits, { phase1: pr.phase1, phase2: pr.phase2 });
    const later = evaluate(restored, { phase1: pr.phase1, phase2: pr.phase2 });
    expect(later).toEqual(direct);
  });

  it("monitors phase II without the baseline data: same limits, fresh sequence", () => {
    const alone = evaluate(limits, { phase2: pr.phase2 });
    expect(alone.points).toHaveLength(15);
    expect(
      alone.points.every((p) => p.phase === 2 && p.lcl === limits.lcl && p.ucl === limits.ucl),
    ).toBe(true);
    expect(alone.points.map((p) => p.index)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    // Samples 34–40 sit above the centre, a run inside phase II on its own.
    expect(alone.violations.map((v) => `${v.subgroup}:${v.rule}`)).toEqual([
      "37:beyond-limits",
      "38:beyond-limits",
      "39:beyond-limits",
      "40:run",
    ]);
  });

  it("keeps EWMA and CUSUM parameters in the frozen value", () => {
    const ewma = computeLimits("ewma", pr.phase1, { lambda: 0.1 });
    const cusum = computeLimits("cusum", pr.phase1, {
      decisionInterval: 4,
      seShift: 2,
      headStart: 1,
    });
    expect(ewma.ewma).toEqual({ lambda: 0.1 });
    expect(cusum.cusum).toEqual({ decisionInterval: 4, seShift: 2, headStart: 1 });
    expect([cusum.lcl, cusum.ucl]).toEqual([-4, 4]);
    expect(Object.isFrozen(cusum.cusum)).toBe(true);
  });
});

describe("a run that crosses from phase I into phase II", () => {
  // Mean 0, mean moving range 1: sigma 1/1.128 and limits ±2.66; the last four phase-I values and
  // the first three phase-II values sit above the centre.
  const phase1 = individuals([-1, -2, -1.5, -0.5, 1.5, 0.5, 1, 2]);
  const phase2 = individuals([0.3, 0.2, 0.4, -0.1], 9);
  const limits = computeLimits("i", phase1);

  it("is flagged at its 7th point, counted over both phases", () => {
    expect(limits.center).toBe(0);
    const chart = evaluate(limits, { phase1, phase2 });
    expect(chart.violations).toEqual([{ index: 11, subgroup: "s11", rule: "run", side: "upper" }]);
    expect(chart.points[10]?.phase).toBe(2);
  });

  it("is not a run when phase II is judged on its own", () => {
    expect(evaluate(limits, { phase2 }).violations).toEqual([]);
  });

  it("also triggers WE4 one point later", () => {
    const chart = evaluate(
      limits,
      { phase1, phase2: individuals([0.3, 0.2, 0.4, 0.1], 9) },
      { rules: "we" },
    );
    expect(chart.violations).toEqual([{ index: 12, subgroup: "s12", rule: "we4", side: "upper" }]);
  });
});

describe("per-point limits and zones", () => {
  const cloth: Subgroup[] = [
    { count: 14, size: 10 },
    { count: 12, size: 8 },
    { count: 20, size: 13 },
    { count: 11, size: 10 },
  ];

  it("u chart: each point's sigma is √(ū/nᵢ) and its limits ū ± 3 of it", () => {
    const limits = computeLimits("u", cloth);
    expect(limits.n).toBeNull();
    expect(limits.lcl).toBeNull();
    const chart = evaluate(limits, { phase1: cloth });
    for (const point of chart.points) {
      expect(point.center).toBe(limits.center);
      expect(point.sigma).toBeCloseTo(Math.sqrt(limits.center / point.size), 14);
      expect(point.ucl).toBeCloseTo(limits.center + 3 * point.sigma, 14);
    }
  });

  it("np chart: a phase-II subgroup of another size gets its own centre from p̄", () => {
    const phase1 = [10, 12, 8, 9].map((count) => ({ count, size: 100 }));
    const limits = computeLimits("np", phase1);
    expect(limits.rate).toBeCloseTo(0.0975, 15);
    const chart = evaluate(limits, { phase1, phase2: [{ count: 30, size: 200 }] });
    const last = chart.points[4];
    expect(last?.center).toBeCloseTo(19.5, 12);
    expect(last?.sigma).toBeCloseTo(Math.sqrt(200 * 0.0975 * 0.9025), 12);
  });

  it("p chart: limits are clipped to [0, 1]", () => {
    const phase1 = [0, 1, 0, 1].map((count) => ({ count, size: 1 }));
    const chart = evaluate(computeLimits("p", phase1), { phase1 });
    expect(chart.points.every((p) => p.lcl === 0 && p.ucl === 1)).toBe(true);
  });
});

describe("moving-range chart", () => {
  it("has no point for the first value; the first phase-II range spans the boundary", () => {
    const phase1 = individuals([10, 12, 11, 13]);
    const limits = computeLimits("mr", phase1);
    expect(limits.center).toBeCloseTo(5 / 3, 14);
    expect(limits.sigma).toBeCloseTo(5 / 3 / 1.128, 14);
    expect(limits.ucl).toBeCloseTo(5 / 3 + 3 * 0.8525033 * (5 / 3 / 1.128), 14);
    expect(limits.lcl).toBe(0);
    const chart = evaluate(limits, { phase1, phase2: individuals([20], 5) });
    expect(chart.points.map((p) => [p.index, p.phase, p.statistic])).toEqual([
      [2, 1, 2],
      [3, 1, 1],
      [4, 1, 2],
      [5, 2, 7],
    ]);
    expect(chart.violations).toEqual([
      { index: 5, subgroup: "s5", rule: "beyond-limits", side: "upper" },
    ]);
  });
});

describe("refusals carry a reason code", () => {
  const pairs = [{ values: [1, 2] }, { values: [2, 3] }];

  it.each([
    ["too-few-subgroups", () => computeLimits("xbar", [{ values: [1, 2] }])],
    ["too-few-subgroups", () => computeLimits("i", individuals([1, 2, 3]), { minSubgroups: 4 })],
    ["subgroup-size", () => computeLimits("xbar", [{ values: [1, 2] }, { values: [3] }])],
    ["subgroup-size", () => computeLimits("i", pairs)],
    ["subgroup-size", () => computeLimits("ewma", [{ values: [1] }, { values: [2, 3] }])],
    [
      "subgroup-size",
      () => computeLimits("r", [{ values: Array(26).fill(1) }, { values: Array(26).fill(2) }]),
    ],
    ["wrong-subgroup-kind", () => computeLimits("p", pairs)],
    [
      "wrong-subgroup-kind",
      () =>
        computeLimits("xbar", [
          { count: 1, size: 2 },
          { count: 1, size: 2 },
        ]),
    ],
    ["non-finite", () => computeLimits("xbar", [{ values: [1, Number.NaN] }, { values: [1, 2] }])],
    [
      "bad-count",
      () =>
        computeLimits("p", [
          { count: 5, size: 4 },
          { count: 1, size: 4 },
        ]),
    ],
    ["bad-count", () => computeLimits("c", [{ count: -1 }, { count: 2 }])],
    ["subgroup-size", () => computeLimits("u", [{ count: 1 }, { count: 2, size: 1 }])],
    [
      "unequal-sizes",
      () =>
        computeLimits("np", [
          { count: 1, size: 10 },
          { count: 1, size: 20 },
        ]),
    ],
    [
      "unequal-sizes",
      () =>
        computeLimits("c", [
          { count: 1, size: 10 },
          { count: 1, size: 20 },
        ]),
    ],
    ["sigma-method", () => computeLimits("r", pairs, { sigmaMethod: "UWAVE-SD" })],
    ["sigma-method", () => computeLimits("i", individuals([1, 2, 3]), { sigmaMethod: "UWAVE-R" })],
    ["bad-option", () => computeLimits("ewma", pairs, { lambda: 0 })],
    ["bad-option", () => computeLimits("xbar", pairs, { nsigmas: -3 })],
    ["wrong-chart", () => computeLimits("z" as "xbar", pairs)],
    [
      "wrong-chart",
      () => evaluate({ ...computeLimits("xbar", pairs), version: 2 as 1 }, { phase1: pairs }),
    ],
  ])("%s", (reason, run) => {
    const error = refusal(run);
    expect(error.reason).toBe(reason);
    expect(error.message).not.toBe("");
  });

  it("names the subgroup at fault", () => {
    const error = refusal(() =>
      computeLimits("i", [{ label: "lot-7", values: [1, 2] }, ...individuals([3, 4])]),
    );
    expect(error.message).toMatch(/lot-7/);
  });
});

describe("constants", () => {
  it("d2 and d3 are qcc's tables; sizes outside them are refused", () => {
    expect([d2(2), d2(5), d2(25)]).toEqual([1.128, 2.326, 3.931]);
    expect([d3(2), d3(25), d3(50)]).toEqual([0.8525033, 0.7084528, 0.6521506]);
    expect(() => d2(26)).toThrow(SpcError);
    expect(() => d3(1)).toThrow(SpcError);
  });

  it("c4 is exact for small n and stays smooth where Γ overflows", () => {
    expect(c4(2)).toBeCloseTo(Math.sqrt(2 / Math.PI), 15);
    expect(c4(5)).toBeCloseTo(0.9399856029866253, 15);
    const around = [340, 341, 342, 343, 344, 345, 346].map(c4);
    for (const [i, value] of around.entries()) {
      const n = 340 + i;
      expect(value).toBeCloseTo(1 - 1 / (4 * n) - 7 / (32 * n ** 2) - 19 / (128 * n ** 3), 10);
      if (i > 0) expect(value).toBeGreaterThan(around[i - 1] ?? 1);
    }
    expect(c4(100_000)).toBeCloseTo(1 - 1 / 400_000, 10);
  });
});

describe("EWMA and CUSUM continued from a carry", () => {
  const pr = pistonrings();
  const all = [...pr.phase1, ...pr.phase2];
  const cut = 31;

  it("CUSUM: the tail judged from the carry gives the sums of the whole sequence", () => {
    const limits = computeLimits("cusum", pr.phase1, { decisionInterval: 5, seShift: 1 });
    const whole = evaluate(limits, { phase1: all });
    const last = whole.points[cut - 1];
    if (last === undefined) throw new Error("no point");
    const tail = evaluate(
      limits,
      {
        phase1: all.slice(cut),
      },
      { carry: { before: cut, upper: last.upper, lower: last.lower } },
    );
    expect(tail.points.map((p) => [p.upper, p.lower])).toEqual(
      whole.points.slice(cut).map((p) => [p.upper, p.lower]),
    );
    expect(tail.violations.map((v) => v.index + cut)).toEqual(
      whole.violations.filter((v) => v.index > cut).map((v) => v.index),
    );
    // Without the carry the sums start again from the head start and differ.
    const fresh = evaluate(limits, { phase1: all.slice(cut) });
    expect(fresh.points.map((p) => p.upper)).not.toEqual(tail.points.map((p) => p.upper));
  });

  it("EWMA: the tail judged from the carry gives the smoothed values and widening limits", () => {
    const limits = computeLimits("ewma", pr.phase1, { lambda: 0.2 });
    const whole = evaluate(limits, { phase1: all });
    const cutShort = 3;
    const last = whole.points[cutShort - 1];
    if (last === undefined) throw new Error("no point");
    const tail = evaluate(
      limits,
      { phase1: all.slice(cutShort) },
      { carry: { before: cutShort, smoothed: last.statistic } },
    );
    expect(tail.points.map((p) => [p.statistic, p.lcl, p.ucl])).toEqual(
      whole.points.slice(cutShort).map((p) => [p.statistic, p.lcl, p.ucl]),
    );
  });
});
