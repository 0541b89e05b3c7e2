import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  attributeSamples,
  individualSamples,
  mismatches,
  pistonrings,
  readReference,
} from "../../analytics/spc/reference-data.ts";
import { main } from "../main.ts";

const dir = mkdtempSync(join(tmpdir(), "tracebox-spc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(
  name: string,
  header: string,
  rows: readonly (readonly (string | number)[])[],
): string {
  const file = join(dir, name);
  writeFileSync(file, `${header}\n${rows.map((row) => row.join(",")).join("\n")}\n`);
  return file;
}

async function spc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(["node", "tracebox", "spc", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the command's JSON output, read field by field
async function spcJson(...args: string[]): Promise<any> {
  const { code, stdout, stderr } = await spc(...args, "--format", "json");
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(stdout);
}

// biome-ignore lint/suspicious/noExplicitAny: JSON on both sides
type Json = any;

/** A Shewhart chart of the command's JSON equals qcc's chart_list in the reference. */
function expectSameChart(output: Json, ref: Json): void {
  expect(mismatches([output.center, output.sigma], [ref.center, ref.std_dev])).toEqual([]);
  const points = output.points as Json[];
  expect(points.map((p) => p.subgroup)).toEqual(ref.labels);
  expect(points.filter((p) => p.phase === 2)).toHaveLength(ref.n_points_phase2);
  expect(
    mismatches(
      points.map((p) => p.statistic),
      [...ref.statistics_phase1, ...ref.statistics_phase2],
    ),
  ).toEqual([]);
  expect(
    mismatches(
      points.map((p) => p.lcl),
      ref.LCL_per_point,
    ),
  ).toEqual([]);
  expect(
    mismatches(
      points.map((p) => p.ucl),
      ref.UCL_per_point,
    ),
  ).toEqual([]);
  const at = (rule: string) =>
    (output.violations as Json[]).filter((v) => v.rule === rule).map((v) => v.index);
  expect(at("beyond-limits")).toEqual(ref.beyond_limits);
  expect(at("run")).toEqual(ref.violating_runs);
  const labels = (output.violations as Json[]).map((v) => v.subgroup);
  expect(labels).toEqual((output.violations as Json[]).map((v) => ref.labels[v.index - 1]));
}

const pr = pistonrings();
const pistonCsv = csv(
  "pistonrings.csv",
  "subgroup,value",
  pr.all.flatMap((subgroup) => subgroup.values.map((value) => [subgroup.label ?? "", value])),
);
const viscosity = individualSamples("viscosity.csv", "viscosity");
const viscosityCsv = csv(
  "viscosity.csv",
  "subgroup,value",
  viscosity.map(({ subgroup }) => [subgroup.label ?? "", subgroup.values[0] ?? Number.NaN]),
);

describe("tracebox spc reproduces qcc on the reference data", () => {
  it("xbar-r: X̄ and R charts, phase II monitored, capability on phase I", async () => {
    const output = await spcJson(
      "--input",
      pistonCsv,
      "--chart",
      "xbar-r",
      "--phase1",
      "25",
      "--lsl",
      "73.95",
      "--usl",
      "74.05",
      "--target",
      "74",
    );
    expect(output.chart).toBe("xbar");
    expect(output.sigmaMethod).toBe("UWAVE-R");
    expectSameChart(output, readReference("pistonrings.xbar.json").phase2);
    expect(output.violations).toEqual([
      { subgroup: "37", index: 37, rule: "beyond-limits", side: "upper" },
      { subgroup: "38", index: 38, rule: "beyond-limits", side: "upper" },
      { subgroup: "39", index: 39, rule: "beyond-limits", side: "upper" },
      { subgroup: "40", index: 40, rule: "run", side: "upper" },
    ]);
    expect(output.dispersion.chart).toBe("r");
    expectSameChart(output.dispersion, readReference("pistonrings.R.json").phase2);

    const ref = readReference("pistonrings.capability.json").default_UWAVE_R;
    const { cp, cpl, cpu, cpk, cpm } = output.capability;
    const { Cp, Cp_l, Cp_u, Cp_k, Cpm } = ref.indices;
    expect(
      mismatches(
        [cp, cpl, cpu, cpk, cpm],
        [Cp.value, Cp_l.value, Cp_u.value, Cp_k.value, Cpm.value],
      ),
    ).toEqual([]);
    expect(output.capability.nobs).toBe(125);
    expect(output.capability.sigmaWithinMethod).toBe("UWAVE-R");
    expect(typeof output.capability.pp).toBe("number");
    expect(typeof output.capability.ppk).toBe("number");
  });

  it("xbar-s: X̄ with UWAVE-SD and the S chart", async () => {
    const output = await spcJson("--input", pistonCsv, "--chart", "xbar-s", "--phase1", "25");
    expect(output.sigmaMethod).toBe("UWAVE-SD");
    expectSameChart(output, readReference("pistonrings.xbar_uwave_sd.json").phase2);
    expect(output.dispersion.chart).toBe("s");
    expectSameChart(output.dispersion, readReference("pistonrings.S.json").phase2);
  });

  it("--sigma names the X̄ chart's estimator; the R or S chart keeps its own when it cannot use it", async () => {
    const cases = [
      [
        "xbar-r",
        "uwave-sd",
        "UWAVE-SD",
        "pistonrings.xbar_uwave_sd.json",
        "UWAVE-R",
        "pistonrings.R.json",
      ],
      ["xbar-s", "uwave-r", "UWAVE-R", "pistonrings.xbar.json", "UWAVE-SD", "pistonrings.S.json"],
    ] as const;
    for (const [chart, sigma, method, reference, ownMethod, ownReference] of cases) {
      const output = await spcJson(
        "--input",
        pistonCsv,
        "--chart",
        chart,
        "--phase1",
        "25",
        "--sigma",
        sigma,
      );
      expect(output.sigmaMethod).toBe(method);
      expectSameChart(output, readReference(reference).phase2);
      expect(output.dispersion.sigmaMethod).toBe(ownMethod);
      expectSameChart(output.dispersion, readReference(ownReference).phase2);
    }
  });

  it("imr: individuals chart (MR sigma) and its moving ranges", async () => {
    const ref = readReference("viscosity.xbar.one.json");
    const output = await spcJson("--input", viscosityCsv, "--chart", "imr", "--phase1", "20");
    expectSameChart(output, ref.MR_phase2);
    expect(output.dispersion.chart).toBe("mr");
    const ranges = (output.dispersion.points as Json[]).filter((p) => p.phase === 1);
    expect(
      mismatches(
        ranges.map((p) => p.statistic),
        ref.moving_ranges_phase1_not_qcc_field,
      ),
    ).toEqual([]);
  });

  it("imr --sigma sd", async () => {
    const ref = readReference("viscosity.xbar.one.json");
    const output = await spcJson(
      "--input",
      viscosityCsv,
      "--chart",
      "imr",
      "--phase1",
      "20",
      "--sigma",
      "sd",
    );
    expect(output.sigmaMethod).toBe("SD");
    expectSameChart(output, ref.SD_phase2);
  });

  it("imr without --phase1: every value sets the limits", async () => {
    const file = csv(
      "viscosity15.csv",
      "subgroup,value",
      individualSamples("viscosity15.csv", "viscosity").map(({ subgroup }) => [
        subgroup.label ?? "",
        subgroup.values[0] ?? Number.NaN,
      ]),
    );
    const output = await spcJson("--input", file, "--chart", "imr");
    expectSameChart(output, readReference("viscosity15.xbar.one.json").MR);
  });

  it("ewma", async () => {
    const ref = readReference("pistonrings.ewma.json").phase2;
    const output = await spcJson(
      "--input",
      pistonCsv,
      "--chart",
      "ewma",
      "--phase1",
      "25",
      "--lambda",
      "0.2",
      "--nsigmas",
      "3",
    );
    const points = output.points as Json[];
    expect(
      mismatches(
        points.map((p) => p.statistic),
        ref.ewma,
      ),
    ).toEqual([]);
    expect(
      mismatches(
        points.map((p) => p.mean),
        ref.statistics,
      ),
    ).toEqual([]);
    expect(
      mismatches(
        points.map((p) => p.lcl),
        ref.LCL,
      ),
    ).toEqual([]);
    expect(
      mismatches(
        points.map((p) => p.ucl),
        ref.UCL,
      ),
    ).toEqual([]);
    expect((output.violations as Json[]).map((v) => v.index)).toEqual(ref.violations);
  });

  it("cusum: upper and lower sums instead of a statistic, the decision interval as limits", async () => {
    const ref = readReference("pistonrings.cusum.json").phase2;
    const output = await spcJson(
      "--input",
      pistonCsv,
      "--chart",
      "cusum",
      "--phase1",
      "25",
      "--decision-interval",
      "5",
      "--se-shift",
      "1",
    );
    const points = output.points as Json[];
    expect(points.every((p) => p.statistic === undefined && p.lcl === -5 && p.ucl === 5)).toBe(
      true,
    );
    expect(
      mismatches(
        points.map((p) => p.upper),
        ref.cusum_pos,
      ),
    ).toEqual([]);
    expect(
      mismatches(
        points.map((p) => p.lower),
        ref.cusum_neg,
      ),
    ).toEqual([]);
    const side = (s: string) =>
      (output.violations as Json[]).filter((v) => v.side === s).map((v) => v.index);
    expect(side("upper")).toEqual(ref.violations_upper);
    expect(side("lower")).toEqual(ref.violations_lower);
  });

  const orangejuice = attributeSamples("orangejuice.csv", "D", "sample");
  const revisedJuice = [
    ...orangejuice.filter((r) => r.trial && !["15", "23"].includes(r.subgroup.label ?? "")),
    ...orangejuice.filter((r) => !r.trial),
  ];

  it("p: revised limits without samples 15 and 23, new samples monitored", async () => {
    const file = csv(
      "orangejuice.csv",
      "subgroup,count,size",
      revisedJuice.map(({ subgroup }) => [
        subgroup.label ?? "",
        subgroup.count,
        subgroup.size ?? "",
      ]),
    );
    const output = await spcJson("--input", file, "--chart", "p", "--phase1", "28");
    expectSameChart(output, readReference("orangejuice.p.json").revised_with_new_samples);
  });

  it("np on the trial samples", async () => {
    const file = csv(
      "orangejuice-trial.csv",
      "subgroup,count,size",
      orangejuice
        .filter((r) => r.trial)
        .map(({ subgroup }) => [subgroup.label ?? "", subgroup.count, subgroup.size ?? ""]),
    );
    const output = await spcJson("--input", file, "--chart", "np");
    expectSameChart(output, readReference("orangejuice.np.json").phase1_trial);
  });

  const circuit = attributeSamples("circuit.csv", "x");
  const revisedCircuit = [
    ...circuit.filter((r) => r.trial && !["6", "20"].includes(r.subgroup.label ?? "")),
    ...circuit.filter((r) => !r.trial),
  ];
  const circuitCsv = csv(
    "circuit.csv",
    "subgroup,count,size",
    revisedCircuit.map(({ subgroup }) => [
      subgroup.label ?? "",
      subgroup.count,
      subgroup.size ?? "",
    ]),
  );

  it("c: revised limits without samples 6 and 20; the run crossing into phase II", async () => {
    const output = await spcJson("--input", circuitCsv, "--chart", "c", "--phase1", "24");
    expectSameChart(output, readReference("circuit.c.json").revised_with_new_samples);
  });

  it("c without a size column", async () => {
    const file = csv(
      "circuit-nosize.csv",
      "subgroup,count",
      revisedCircuit.map(({ subgroup }) => [subgroup.label ?? "", subgroup.count]),
    );
    const output = await spcJson("--input", file, "--chart", "c", "--phase1", "24");
    expectSameChart(output, readReference("circuit.c.json").revised_with_new_samples);
  });

  it("u", async () => {
    const output = await spcJson("--input", circuitCsv, "--chart", "u", "--phase1", "24");
    expectSameChart(output, readReference("circuit.u.json").revised_with_new_samples);
  });

  it("--rules we and nelson name their rules", async () => {
    const we = await spcJson(
      "--input",
      pistonCsv,
      "--chart",
      "xbar-r",
      "--phase1",
      "25",
      "--rules",
      "we",
    );
    const rules = new Set((we.violations as Json[]).map((v) => v.rule));
    expect([...rules].every((rule) => /^we[1-4]$/.test(rule))).toBe(true);
    expect((we.violations as Json[]).filter((v) => v.rule === "we1").map((v) => v.index)).toEqual([
      37, 38, 39,
    ]);
    const nelson = await spcJson(
      "--input",
      pistonCsv,
      "--chart",
      "xbar-r",
      "--phase1",
      "25",
      "--rules",
      "nelson",
    );
    expect((nelson.violations as Json[]).every((v) => /^nelson[1-8]$/.test(v.rule))).toBe(true);
  });
});

describe("tracebox spc --format table", () => {
  it("prints a chart summary, one row per point with a gauge, and the violations", async () => {
    const { code, stdout } = await spc(
      "--input",
      pistonCsv,
      "--chart",
      "xbar-r",
      "--phase1",
      "25",
      "--lsl",
      "73.95",
      "--usl",
      "74.05",
      "--format",
      "table",
    );
    expect(code).toBe(0);
    expect(stdout).toContain("X̄ chart (subgroup means)");
    expect(stdout).toContain("40 points (25 phase I, 15 phase II)");
    expect(stdout).toContain("centre 74.00118   sigma 0.009785039 (UWAVE-R)   n 5");
    expect(stdout).toMatch(/^trend {2}[▁▂▃▄▅▆▇█]{25}│[▁▂▃▄▅▆▇█]{15}$/m);
    expect(stdout).toMatch(/^ {2}37 {2}37 .*\|> {2}beyond-limits \(upper\)$/m);
    expect(stdout).toMatch(/^ {2}40 {2}40 .* run \(upper\)$/m);
    expect(stdout).toContain("R chart (subgroup ranges)");
    expect(stdout).toContain("Cpk    1.663219");
  });

  it("prints both CUSUM sums", async () => {
    const { stdout } = await spc("--input", pistonCsv, "--chart", "cusum", "--phase1", "25");
    expect(stdout).toContain("CUSUM chart");
    expect(stdout).toMatch(/C\+ +-C-/);
  });
});

describe("tracebox spc refuses bad input with one line and exit code 2", () => {
  const noValue = csv("no-value.csv", "subgroup,diameter", [[1, 74]]);
  const letters = csv("letters.csv", "subgroup,value", [
    [1, 74],
    [1, "7x4"],
  ]);
  const noSize = csv("no-size.csv", "subgroup,count", [
    [1, 3],
    [2, 4],
  ]);

  it.each([
    [["--input", noValue, "--chart", "imr"], /missing column 'value'/],
    [
      ["--input", letters, "--chart", "imr"],
      /letters\.csv line 3, column 'value': '7x4' is not a number/,
    ],
    [["--input", pistonCsv, "--chart", "xbar-x"], /unknown --chart 'xbar-x'/],
    [
      ["--input", pistonCsv, "--chart", "xbar-r", "--phase1", "1"],
      /at least 2 phase-I subgroups, got 1/,
    ],
    [["--input", pistonCsv, "--chart", "xbar-r", "--phase1", "41"], /only 40 subgroups/],
    [["--input", noSize, "--chart", "p"], /missing column 'size'/],
    [["--input", noSize, "--chart", "u"], /missing column 'size'/],
    [["--input", pistonCsv, "--chart", "imr"], /one value per subgroup/],
    [
      ["--input", viscosityCsv, "--chart", "imr", "--sigma", "uwave-r"],
      /i chart cannot use sigma method/,
    ],
    [
      ["--input", pistonCsv, "--chart", "cusum", "--rules", "nelson"],
      /--rules nelson does not apply to a cusum chart/,
    ],
    [["--input", pistonCsv, "--chart", "xbar-r", "--lsl", "low"], /--lsl 'low' is not a number/],
    [["--input", noSize, "--chart", "c", "--usl", "5"], /capability .* needs measurements/],
    [["--input", join(dir, "missing.csv"), "--chart", "c"], /cannot read/],
    [["--chart", "c"], /--input FILE\.csv is required/],
  ])("%j", async (args, message) => {
    const { code, stdout, stderr } = await spc(...args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
