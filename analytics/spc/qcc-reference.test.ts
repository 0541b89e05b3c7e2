// Every result in shared/reference/spc (qcc 2.7) reproduced: numbers to 1e-9 relative (1e-12
// absolute near zero), violations exactly, by their 1-based positions in phase I + phase II.

import { describe, expect, it } from "vitest";
import { computeCapability } from "./capability.ts";
import { c4, d2, d3 } from "./constants.ts";
import { computeLimits, evaluate } from "./control-chart.ts";
import type { LimitsOptions } from "./options.ts";
import {
  attributeSamples,
  close,
  individualSamples,
  mismatches,
  pistonrings,
  readReference,
  referenceFiles,
} from "./reference-data.ts";
import type { ControlChart, ShewhartChartType, Subgroup } from "./types.ts";

const covered = new Set<string>();

function reference(file: string) {
  covered.add(file);
  return readReference(file);
}

function expectNumbers(actual: readonly number[], expected: readonly number[]): void {
  expect(mismatches(actual, expected)).toEqual([]);
}

function expectNumber(actual: number | null | undefined, expected: number): void {
  expect(actual, `expected ${expected}`).toBeTypeOf("number");
  expect(close(actual as number, expected), `${actual} vs ${expected}`).toBe(true);
}

function flagged(chart: ControlChart, rule: string, side?: "upper" | "lower"): number[] {
  return chart.violations
    .filter((v) => v.rule === rule && (side === undefined || v.side === side))
    .map((v) => v.index);
}

const pr = pistonrings();
const orangejuice = attributeSamples("orangejuice.csv", "D", "sample");
const orangejuice2 = attributeSamples("orangejuice2.csv", "D", "sample");
const circuit = attributeSamples("circuit.csv", "x");
const trialOf = <T>(rows: { subgroup: T; trial: boolean }[]) =>
  rows.filter((r) => r.trial).map((r) => r.subgroup);
const newOf = <T>(rows: { subgroup: T; trial: boolean }[]) =>
  rows.filter((r) => !r.trial).map((r) => r.subgroup);
const without = <T extends { label?: string }>(subgroups: T[], labels: string[]) =>
  subgroups.filter((s) => !labels.includes(s.label ?? ""));
const visc15 = individualSamples("viscosity15.csv", "viscosity").map((r) => r.subgroup);
const viscosity = individualSamples("viscosity.csv", "viscosity");

interface ShewhartCase {
  readonly file: string;
  readonly key: string;
  readonly chart: ShewhartChartType;
  readonly phase1: readonly Subgroup[];
  readonly phase2?: readonly Subgroup[];
  readonly options?: Partial<LimitsOptions>;
}

const SHEWHART_CASES: ShewhartCase[] = [
  ...(["phase1", "phase2"] as const).flatMap((key) => {
    const phase2 = key === "phase2" ? pr.phase2 : undefined;
    return [
      { file: "pistonrings.xbar.json", key, chart: "xbar" as const, phase1: pr.phase1, phase2 },
      { file: "pistonrings.R.json", key, chart: "r" as const, phase1: pr.phase1, phase2 },
      { file: "pistonrings.S.json", key, chart: "s" as const, phase1: pr.phase1, phase2 },
      {
        file: "pistonrings.xbar_uwave_sd.json",
        key,
        chart: "xbar" as const,
        phase1: pr.phase1,
        phase2,
        options: { sigmaMethod: "UWAVE-SD" as const },
      },
    ];
  }),
  { file: "orangejuice.p.json", key: "phase1_trial", chart: "p", phase1: trialOf(orangejuice) },
  {
    file: "orangejuice.p.json",
    key: "revised_excluding_15_23",
    chart: "p",
    phase1: without(trialOf(orangejuice), ["15", "23"]),
  },
  {
    file: "orangejuice.p.json",
    key: "revised_with_new_samples",
    chart: "p",
    phase1: without(trialOf(orangejuice), ["15", "23"]),
    phase2: newOf(orangejuice),
  },
  { file: "orangejuice.np.json", key: "phase1_trial", chart: "np", phase1: trialOf(orangejuice) },
  { file: "orangejuice2.p.json", key: "phase1", chart: "p", phase1: trialOf(orangejuice2) },
  {
    file: "orangejuice2.p.json",
    key: "phase2",
    chart: "p",
    phase1: trialOf(orangejuice2),
    phase2: newOf(orangejuice2),
  },
  { file: "circuit.c.json", key: "phase1_trial", chart: "c", phase1: trialOf(circuit) },
  {
    file: "circuit.c.json",
    key: "revised_excluding_6_20",
    chart: "c",
    phase1: without(trialOf(circuit), ["6", "20"]),
  },
  {
    file: "circuit.c.json",
    key: "revised_with_new_samples",
    chart: "c",
    phase1: without(trialOf(circuit), ["6", "20"]),
    phase2: newOf(circuit),
  },
  { file: "circuit.u.json", key: "phase1_trial", chart: "u", phase1: trialOf(circuit) },
  {
    file: "circuit.u.json",
    key: "revised_with_new_samples",
    chart: "u",
    phase1: without(trialOf(circuit), ["6", "20"]),
    phase2: newOf(circuit),
  },
  {
    file: "pcmanufact.u.json",
    key: "phase1",
    chart: "u",
    phase1: trialOf(attributeSamples("pcmanufact.csv", "x")),
  },
  {
    file: "dyedcloth.u.json",
    key: "phase1",
    chart: "u",
    phase1: trialOf(attributeSamples("dyedcloth.csv", "x")),
  },
  { file: "viscosity15.xbar.one.json", key: "MR", chart: "i", phase1: visc15 },
  {
    file: "viscosity15.xbar.one.json",
    key: "SD",
    chart: "i",
    phase1: visc15,
    options: { sigmaMethod: "SD" },
  },
  { file: "viscosity.xbar.one.json", key: "MR_phase1", chart: "i", phase1: trialOf(viscosity) },
  {
    file: "viscosity.xbar.one.json",
    key: "MR_phase2",
    chart: "i",
    phase1: trialOf(viscosity),
    phase2: newOf(viscosity),
  },
  {
    file: "viscosity.xbar.one.json",
    key: "SD_phase2",
    chart: "i",
    phase1: trialOf(viscosity),
    phase2: newOf(viscosity),
    options: { sigmaMethod: "SD" },
  },
];

describe("Shewhart charts reproduce qcc 2.7", () => {
  it.each(SHEWHART_CASES)(
    "$file $key ($chart)",
    ({ file, key, chart, phase1, phase2, options }) => {
      const ref = reference(file)[key];
      const limits = computeLimits(chart, phase1, options);
      const result = evaluate(limits, { phase1, phase2 });

      expect(result.chart).toBe(chart);
      expect(result.points.filter((p) => p.phase === 1)).toHaveLength(ref.n_points_phase1);
      expect(result.points.filter((p) => p.phase === 2)).toHaveLength(ref.n_points_phase2);
      expect(result.points.map((p) => p.subgroup)).toEqual(ref.labels);
      expect(result.points.map((p) => p.index)).toEqual(
        ref.labels.map((_: string, i: number) => i + 1),
      );
      expectNumbers(
        result.points.map((p) => p.size),
        ref.sizes,
      );
      expectNumber(limits.center, ref.center);
      expectNumber(limits.sigma, ref.std_dev);
      expect(limits.nsigmas).toBe(ref.nsigmas);
      expectNumbers(
        result.points.map((p) => p.center),
        result.points.map(() => ref.center),
      );
      expectNumbers(
        result.points.map((p) => p.statistic),
        [...ref.statistics_phase1, ...ref.statistics_phase2],
      );
      expectNumbers(
        result.points.map((p) => p.lcl),
        ref.LCL_per_point,
      );
      expectNumbers(
        result.points.map((p) => p.ucl),
        ref.UCL_per_point,
      );

      const { LCL, UCL } = ref.limits_as_returned_by_qcc;
      if (new Set(LCL).size === 1 && new Set(UCL).size === 1) {
        expectNumber(limits.lcl, LCL[0]);
        expectNumber(limits.ucl, UCL[0]);
      } else {
        expect(limits.lcl).toBeNull();
        expect(limits.ucl).toBeNull();
      }

      expect(flagged(result, "beyond-limits")).toEqual(ref.beyond_limits);
      expect(flagged(result, "beyond-limits", "upper")).toEqual(ref.above_UCL);
      expect(flagged(result, "beyond-limits", "lower")).toEqual(ref.below_LCL);
      expect(flagged(result, "run")).toEqual(ref.violating_runs);
      expect(ref.run_length).toBe(7);
    },
  );
});

describe("sigma estimators reproduce qcc 2.7 (pistonrings, phase I, n = 5)", () => {
  const ref = reference("pistonrings.xbar_sigma_methods.json");

  it("uses qcc's constants: d2 from the 3-decimal table, d3 7 digits, c4 exact", () => {
    const constants = ref.constants_used_by_qcc;
    expect(d2(constants.n)).toBe(constants.d2);
    expect(d3(constants.n)).toBe(constants.d3);
    expectNumber(c4(constants.n), constants.c4);
  });

  it.each(Object.keys(ref.methods))("%s", (method) => {
    const expected = ref.methods[method];
    const limits = computeLimits("xbar", pr.phase1, {
      sigmaMethod: method as LimitsOptions["sigmaMethod"],
    });
    expect(limits.sigmaMethod).toBe(method);
    expectNumber(limits.sigma, expected.std_dev);
    expectNumber(limits.center, expected.center);
    expectNumber(limits.lcl, expected.LCL);
    expectNumber(limits.ucl, expected.UCL);
    const result = evaluate(limits, { phase1: pr.phase1 });
    expect(flagged(result, "beyond-limits")).toEqual(expected.beyond_limits);
    expect(flagged(result, "run")).toEqual(expected.violating_runs);
  });
});

describe("process capability reproduces qcc 2.7", () => {
  const ref = reference("pistonrings.capability.json");
  const variants = [
    { key: "default_UWAVE_R", sigmaMethod: "UWAVE-R" },
    { key: "UWAVE_SD", sigmaMethod: "UWAVE-SD" },
    { key: "default_UWAVE_R_target_74.02", sigmaMethod: "UWAVE-R" },
  ] as const;

  it.each(variants)("$key", ({ key, sigmaMethod }) => {
    const expected = ref[key];
    const limits = computeLimits("xbar", pr.phase1, { sigmaMethod });
    const capability = computeCapability(
      limits,
      pr.phase1,
      { lsl: expected.LSL, usl: expected.USL, target: expected.target },
      { confidenceLevel: expected.confidence_level },
    );
    expect(capability.nobs).toBe(expected.nobs);
    expectNumber(capability.center, expected.center);
    expectNumber(capability.sigmaWithin, expected.std_dev);
    expect(capability.sigmaWithinMethod).toBe(sigmaMethod);
    expect(expected.ci_columns).toEqual(["2.5%", "97.5%"]);
    const names = { Cp: "cp", Cp_l: "cpl", Cp_u: "cpu", Cp_k: "cpk", Cpm: "cpm" } as const;
    for (const [qccName, ours] of Object.entries(names)) {
      const index = expected.indices[qccName];
      expectNumber(capability[ours], index.value);
      expectNumber(capability.intervals[ours]?.lower, index.ci_lower);
      expectNumber(capability.intervals[ours]?.upper, index.ci_upper);
    }
    expectNumber(
      capability.expected.belowLsl,
      expected.expected_fraction_below_LSL_untruncated_not_qcc,
    );
    expectNumber(
      capability.expected.aboveUsl,
      expected.expected_fraction_above_USL_untruncated_not_qcc,
    );
    // qcc reports percentages and prints anything under 0.01 % as 0.
    const asQcc = (fraction: number | null) =>
      fraction === null ? null : fraction * 100 < 0.01 ? 0 : fraction * 100;
    expect(asQcc(capability.expected.belowLsl)).toBe(expected.expected_fraction_below_LSL);
    expect(asQcc(capability.expected.aboveUsl)).toBe(expected.expected_fraction_above_USL);
    expect((capability.observed.belowLsl ?? Number.NaN) * 100).toBe(
      expected.observed_fraction_below_LSL,
    );
    expect((capability.observed.aboveUsl ?? Number.NaN) * 100).toBe(
      expected.observed_fraction_above_USL,
    );
  });
});

describe("EWMA reproduces qcc 2.7", () => {
  const cases = [
    {
      name: "pistonrings phase1",
      ref: () => reference("pistonrings.ewma.json").phase1,
      phase1: pr.phase1,
    },
    {
      name: "pistonrings phase2",
      ref: () => reference("pistonrings.ewma.json").phase2,
      phase1: pr.phase1,
      phase2: pr.phase2,
    },
    {
      name: "viscosity (individual values, MR)",
      ref: () => reference("viscosity.xbar.one.json").ewma_phase2,
      phase1: trialOf(viscosity),
      phase2: newOf(viscosity),
    },
  ];

  it.each(cases)("$name", ({ ref: load, phase1, phase2 }) => {
    const ref = load();
    const limits = computeLimits("ewma", phase1, { lambda: ref.lambda, nsigmas: ref.nsigmas });
    const chart = evaluate(limits, { phase1, phase2 });
    expect(chart.chart).toBe("ewma");
    expectNumber(limits.center, ref.center);
    expectNumber(limits.sigma, ref.std_dev);
    expect(chart.points.filter((p) => p.phase === 2)).toHaveLength(ref.n_points_phase2);
    expectNumbers(
      chart.points.map((p) => p.size),
      ref.sizes,
    );
    expectNumbers(
      chart.points.map((p) => p.mean),
      ref.statistics,
    );
    expectNumbers(
      chart.points.map((p) => p.statistic),
      ref.ewma,
    );
    expectNumbers(
      chart.points.map((p) => p.sigma),
      ref.sigma_ewma,
    );
    expectNumbers(
      chart.points.map((p) => p.lcl),
      ref.LCL,
    );
    expectNumbers(
      chart.points.map((p) => p.ucl),
      ref.UCL,
    );
    expect(chart.violations.map((v) => v.index)).toEqual(ref.violations);
    expect(chart.violations.every((v) => v.rule === "beyond-limits")).toBe(true);
  });
});

describe("CUSUM reproduces qcc 2.7", () => {
  const cases = [
    {
      name: "pistonrings phase1",
      ref: () => reference("pistonrings.cusum.json").phase1,
      phase1: pr.phase1,
    },
    {
      name: "pistonrings phase2",
      ref: () => reference("pistonrings.cusum.json").phase2,
      phase1: pr.phase1,
      phase2: pr.phase2,
    },
    {
      name: "viscosity (individual values, MR)",
      ref: () => reference("viscosity.xbar.one.json").cusum_phase2,
      phase1: trialOf(viscosity),
      phase2: newOf(viscosity),
    },
  ];

  it.each(cases)("$name", ({ ref: load, phase1, phase2 }) => {
    const ref = load();
    const limits = computeLimits("cusum", phase1, {
      decisionInterval: ref.decision_interval,
      seShift: ref.se_shift,
      headStart: ref.head_start,
    });
    const chart = evaluate(limits, { phase1, phase2 });
    expect(chart.chart).toBe("cusum");
    expectNumber(limits.center, ref.center);
    expectNumber(limits.sigma, ref.std_dev);
    expect(limits.lcl).toBe(ref.LDB);
    expect(limits.ucl).toBe(ref.UDB);
    expect(chart.points.filter((p) => p.phase === 2)).toHaveLength(ref.n_points_phase2);
    expectNumbers(
      chart.points.map((p) => p.mean),
      ref.statistics,
    );
    expectNumbers(
      chart.points.map((p) => p.z),
      ref.z_standardized_not_qcc_field,
    );
    expectNumbers(
      chart.points.map((p) => p.upper),
      ref.cusum_pos,
    );
    expectNumbers(
      chart.points.map((p) => p.lower),
      ref.cusum_neg,
    );
    expect(flagged(chart, "beyond-limits", "upper")).toEqual(ref.violations_upper);
    expect(flagged(chart, "beyond-limits", "lower")).toEqual(ref.violations_lower);
  });
});

describe("moving ranges match the reference's own (qcc has no MR chart)", () => {
  it("viscosity15: each moving range and their mean, the MR chart's centre", () => {
    const ref = reference("viscosity15.xbar.one.json");
    const limits = computeLimits("mr", visc15);
    const chart = evaluate(limits, { phase1: visc15 });
    expectNumbers(
      chart.points.map((p) => p.statistic),
      ref.moving_ranges_not_qcc_field,
    );
    expect(chart.points.map((p) => p.index)).toEqual(visc15.slice(1).map((_, i) => i + 2));
    expectNumber(limits.center, ref.mean_moving_range_not_qcc_field);
    expectNumber(limits.sigma, ref.MR.std_dev);
  });

  it("viscosity: phase-I moving ranges", () => {
    const ref = reference("viscosity.xbar.one.json");
    const limits = computeLimits("mr", trialOf(viscosity));
    const chart = evaluate(limits, { phase1: trialOf(viscosity), phase2: newOf(viscosity) });
    expectNumbers(
      chart.points.filter((p) => p.phase === 1).map((p) => p.statistic),
      ref.moving_ranges_phase1_not_qcc_field,
    );
    expect(chart.points).toHaveLength(34);
  });
});

describe("coverage of the reference folder", () => {
  it("checks every reference JSON", () => {
    // Runs last in this file: the suites above registered what they read.
    expect([...covered].sort()).toEqual(referenceFiles(".json"));
  });
});
