// evaluateColumns against evaluate: the same numbers bit for bit (Object.is, not a tolerance) and
// the same violations, on qcc's reference data and on a long series that fires every rule.

import { describe, expect, it } from "vitest";
import { type ColumnChart, evaluateColumns, type SubgroupColumns } from "./columns.ts";
import { computeLimits, evaluate } from "./control-chart.ts";
import { SpcError } from "./errors.ts";
import type { LimitsOptions } from "./options.ts";
import { close, pistonrings, readReference } from "./reference-data.ts";
import type { RuleOptions } from "./rules.ts";
import type { RuleSetName, ShewhartChart, VariablesSubgroup } from "./types.ts";

function columnsOf(subgroups: readonly VariablesSubgroup[]): SubgroupColumns {
  const starts = new Int32Array(subgroups.length + 1);
  subgroups.forEach((subgroup, k) => {
    starts[k + 1] = (starts[k] as number) + subgroup.values.length;
  });
  return { values: Float64Array.from(subgroups.flatMap((s) => [...s.values])), starts };
}

/** Every number and violation of the columns equals the points' (Object.is: -0 and NaN count). */
function expectSame(columns: ColumnChart, chart: ShewhartChart): void {
  expect(columns.chart).toBe(chart.chart);
  expect(columns.rules).toBe(chart.rules);
  for (const field of ["statistic", "center", "lcl", "ucl", "sigma"] as const) {
    expect(Array.from(columns[field]), field).toEqual(chart.points.map((p) => p[field]));
  }
  expect(columns.violations).toEqual(chart.violations.map(({ subgroup: _, ...rest }) => rest));
}

const pr = pistonrings();
const RULE_SETS: readonly RuleSetName[] = ["qcc", "we", "nelson"];
const CASES: { chart: "xbar" | "r" | "s"; sigmaMethod?: LimitsOptions["sigmaMethod"] }[] = [
  { chart: "xbar" },
  { chart: "xbar", sigmaMethod: "UWAVE-SD" },
  { chart: "xbar", sigmaMethod: "MVLUE-R" },
  { chart: "xbar", sigmaMethod: "MVLUE-SD" },
  { chart: "xbar", sigmaMethod: "RMSDF" },
  { chart: "r" },
  { chart: "r", sigmaMethod: "MVLUE-R" },
  { chart: "s" },
  { chart: "s", sigmaMethod: "MVLUE-SD" },
  { chart: "s", sigmaMethod: "RMSDF" },
];

describe("evaluateColumns gives evaluate's numbers on qcc's pistonrings", () => {
  it.each(
    CASES.flatMap((c) => RULE_SETS.map((rules) => ({ ...c, rules, method: c.sigmaMethod ?? "" }))),
  )("$chart $method, $rules rules", ({ chart, sigmaMethod, rules }) => {
    const limits = computeLimits(chart, pr.phase1, sigmaMethod ? { sigmaMethod } : {});
    for (const runLength of [7, 3]) {
      const options: RuleOptions = { rules, runLength };
      expectSame(
        evaluateColumns(limits, columnsOf(pr.all), options),
        evaluate(limits, { phase1: pr.phase1, phase2: pr.phase2 }, options),
      );
      expectSame(
        evaluateColumns(limits, columnsOf(pr.phase2), options),
        evaluate(limits, { phase2: pr.phase2 }, options),
      );
    }
  });

  it.each([
    ["pistonrings.xbar.json", "xbar"],
    ["pistonrings.R.json", "r"],
    ["pistonrings.S.json", "s"],
  ] as const)("reproduces %s (phase II) itself", (file, chart) => {
    const ref = readReference(file).phase2;
    const columns = evaluateColumns(computeLimits(chart, pr.phase1), columnsOf(pr.all));
    const statistics = [...ref.statistics_phase1, ...ref.statistics_phase2] as number[];
    expect(statistics.every((value, i) => close(columns.statistic[i] as number, value))).toBe(true);
    expect(
      (ref.UCL_per_point as number[]).every((value, i) => close(columns.ucl[i] as number, value)),
    ).toBe(true);
    const indices = (rule: string) =>
      columns.violations.filter((v) => v.rule === rule).map((v) => v.index);
    expect(indices("beyond-limits")).toEqual(ref.beyond_limits);
    expect(indices("run")).toEqual(ref.violating_runs);
  });
});

/** Deterministic normal deviates (mulberry32 and Box-Muller), so the long series is the same on every run. */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * 3000 subgroups of a reflow peak: mostly 5 readings, some 3 or 8 (per-point limits), with
 * stretches that make every rule fire: shifts, a drift, a saw-tooth, a tight stretch, a mixture.
 */
function longSeries(): VariablesSubgroup[] {
  const next = normals(7);
  const subgroups: VariablesSubgroup[] = [];
  for (let k = 0; k < 3000; k++) {
    const size = k % 97 === 0 ? 3 : k % 89 === 0 ? 8 : 5;
    const phase = Math.floor(k / 100) % 8;
    const offset =
      phase === 1
        ? 1.2
        : phase === 3
          ? (k % 100) * 0.05
          : phase === 4
            ? k % 2 === 0
              ? 1.5
              : -1.5
            : phase === 6
              ? k % 2 === 0
                ? 2.5
                : -2.5
              : 0;
    const spread = phase === 5 ? 0.1 : 1;
    subgroups.push({
      label: `g${k + 1}`,
      values: Array.from({ length: size }, () => 245 + offset + spread * next()),
    });
  }
  return subgroups;
}

describe("evaluateColumns on a long series that fires every rule", () => {
  const series = longSeries();
  const phase1 = series.slice(0, 100);
  const phase2 = series.slice(100);

  it.each(["xbar", "r", "s"] as const)("%s", (chart) => {
    const limits = computeLimits(chart, phase1);
    for (const rules of RULE_SETS) {
      const columns = evaluateColumns(limits, columnsOf(series), { rules });
      expectSame(columns, evaluate(limits, { phase1, phase2 }, { rules }));
      if (chart === "xbar" && rules === "nelson") {
        const fired = new Set(columns.violations.map((v) => v.rule));
        expect([...fired].sort()).toEqual([
          "nelson1",
          "nelson2",
          "nelson3",
          "nelson4",
          "nelson5",
          "nelson6",
          "nelson7",
          "nelson8",
        ]);
      }
    }
  });
});

describe("evaluateColumns refuses what evaluate refuses", () => {
  const limits = computeLimits("xbar", pr.phase1);
  const reason = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof SpcError) return error.reason;
      throw error;
    }
    return "accepted";
  };

  it("charts whose points are not one subgroup's statistic", () => {
    const individuals = pr.phase1.flatMap((s) => s.values.map((value) => ({ values: [value] })));
    for (const chart of ["i", "ewma", "cusum"] as const) {
      expect(reason(() => evaluateColumns(computeLimits(chart, individuals), columnsOf([])))).toBe(
        "wrong-chart",
      );
    }
  });

  it("an empty subgroup, a non-finite value, an unknown rule set", () => {
    const values = Float64Array.from([1, 2, 3, 4]);
    expect(reason(() => evaluateColumns(limits, { values, starts: [0, 2, 2, 4] }))).toBe(
      "subgroup-size",
    );
    expect(
      reason(() => evaluateColumns(limits, { values: [1, Number.NaN, 3], starts: [0, 3] })),
    ).toBe("non-finite");
    expect(
      reason(() =>
        evaluateColumns(limits, { values, starts: [0, 4] }, { rules: "x" as RuleSetName }),
      ),
    ).toBe("bad-option");
    expect(
      reason(() => evaluateColumns(computeLimits("r", pr.phase1), { values, starts: [0, 1, 4] })),
    ).toBe("subgroup-size");
  });

  it("no subgroups: an empty chart", () => {
    const empty = evaluateColumns(limits, { values: [], starts: [0] });
    expect(empty.statistic).toHaveLength(0);
    expect(empty.violations).toEqual([]);
  });
});
