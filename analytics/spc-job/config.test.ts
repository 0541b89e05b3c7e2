import { describe, expect, it } from "vitest";
import { DEFAULT_SPC_JOB_OPTIONS, parseSpcSection, SpcConfigError } from "./config.ts";

const valid = {
  name: "reflow_peak",
  source: { measurement: "reflow", field: "peak_c", where: { line: "L1", station: "reflow" } },
  subgroup: { size: 5 },
  chart: "xbar-r",
};

function problemsOf(section: unknown): string[] {
  try {
    parseSpcSection(section);
  } catch (error) {
    if (error instanceof SpcConfigError) return error.problems;
    throw error;
  }
  throw new Error("the section was accepted");
}

describe("the spc section", () => {
  it("resolves sources, subgroups and defaults", () => {
    const config = parseSpcSection({
      settleMs: 0,
      characteristics: [
        valid,
        {
          name: "paste",
          source: { measurement: "spi", field: "volume_pct_mean" },
          subgroup: { windowMs: 60_000 },
          chart: "xbar-s",
          rules: "we",
          lsl: 70,
          usl: 130,
          baseline: { minSubgroups: 20 },
        },
        {
          name: "vcc",
          source: { measurement: "test_measurement", field: "value", match: { name: "vcc_v" } },
          subgroup: { size: 1 },
          chart: "imr",
          sigma: "sd",
        },
        {
          name: "peak",
          source: { feature: "reflow_peak_c" },
          subgroup: { size: 1 },
          chart: "ewma",
          lambda: 0.1,
        },
      ],
    });
    expect(config.options).toEqual({ ...DEFAULT_SPC_JOB_OPTIONS, settleMs: 0 });
    const [peak, paste, vcc, feature] = config.characteristics;
    expect(peak).toMatchObject({
      source: {
        kind: "signal",
        measurement: "reflow",
        field: "peak_c",
        where: { line: "L1", station: "reflow" },
      },
      subgroup: { kind: "size", size: 5 },
      rules: "qcc",
      runLength: 7,
      baseline: { minSubgroups: 25 },
      limits: {},
    });
    expect(paste).toMatchObject({
      source: { kind: "record", measurement: "spi", table: "spi_board", field: "volume_pct_mean" },
      subgroup: { kind: "window", windowMs: 60_000, minSize: 2 },
      limits: { sigmaMethod: "UWAVE-SD" },
      spec: { lsl: 70, usl: 130 },
      baseline: { minSubgroups: 20 },
    });
    expect(vcc).toMatchObject({
      source: { kind: "record", table: "test_measurement", match: { name: "vcc_v" } },
      limits: { sigmaMethod: "SD" },
    });
    expect(feature).toMatchObject({
      source: { kind: "feature", feature: "reflow_peak_c" },
      limits: { lambda: 0.1 },
    });
  });

  it("names the field, the value and what was expected", () => {
    expect(problemsOf({ characteristics: [{ ...valid, chart: "xbar" }] })).toEqual([
      'spc.characteristics.0.chart="xbar": expected a chart: one of xbar-r, xbar-s, imr, p, np, c, u, ewma, cusum',
    ]);
    expect(problemsOf({ settleMs: -1 })).toEqual(["spc.settleMs=-1: expected an integer >= 0, ms"]);
    expect(problemsOf({ characteristics: [{ ...valid, subgroup: { size: 0 } }] })).toEqual([
      "spc.characteristics.0.subgroup.size=0: expected consecutive readings, 1..1000",
    ]);
  });

  it.each([
    [
      { source: { measurement: "reflow", field: "peak_c", feature: "x" } },
      "spc.characteristics.0.source: give either measurement and field, or feature, not both",
    ],
    [
      { source: { measurement: "reflow" } },
      "spc.characteristics.0.source: needs measurement and field (a reading) or feature (a unit_features column)",
    ],
    [
      { source: { measurement: "spc_point", field: "value" } },
      'spc.characteristics.0.source.measurement="spc_point": a result of tracebox, not a reading',
    ],
    [
      { source: { measurement: "spi_board", field: "result" } },
      'spc.characteristics.0.source.field="result": expected a numeric field of spi_board: pad_count, volume_pct_mean, volume_pct_min, volume_pct_max',
    ],
    [
      { source: { measurement: "test_measurement", field: "value" } },
      "spc.characteristics.0.source.match.name: test_measurement needs the measurement's name, e.g. {name: vcc_v}",
    ],
    [
      { source: { measurement: "reflow", field: "peak_c", match: { name: "x" } } },
      "spc.characteristics.0.source.match: only record tables have tags to match; reflow is a signal channel",
    ],
    [
      { source: { measurement: "spi", field: "volume_pct_mean", match: { ref: "R1" } } },
      "spc.characteristics.0.source.match.ref: expected a tag of spi_board: serial, product (site, line, station go in where)",
    ],
    [
      { source: { measurement: "reflow", field: "peak_c", time: "t" } },
      "spc.characteristics.0.source.time: applies to feature sources; readings carry their own time",
    ],
    [
      { subgroup: { size: 5, windowMs: 1000 } },
      "spc.characteristics.0.subgroup: give size (consecutive readings) or windowMs (time windows), one of them",
    ],
    [
      { subgroup: { size: 5, minSize: 2 } },
      "spc.characteristics.0.subgroup.minSize: applies to time windows (windowMs) only",
    ],
    [
      { chart: "imr" },
      "spc.characteristics.0.subgroup.size=5: an imr chart takes single readings, size 1",
    ],
    [
      { subgroup: { size: 1 } },
      "spc.characteristics.0.subgroup.size=1: xbar-r needs subgroups of 2 or more",
    ],
    [
      { subgroup: { size: 30 } },
      "spc.characteristics.0.subgroup.size=30: R charts are tabulated up to 25; use xbar-s",
    ],
    [
      { chart: "np", subgroup: { windowMs: 60_000 } },
      "spc.characteristics.0.subgroup.windowMs: np needs equal subgroups; use subgroup.size (imr: 1)",
    ],
    [
      { subgroup: { windowMs: 60_000, minSize: 1 } },
      "spc.characteristics.0.subgroup.minSize=1: xbar-r needs windows of 2 or more",
    ],
    [
      { chart: "p", sigma: "mr" },
      "spc.characteristics.0.sigma: a p chart's sigma is binomial or Poisson, not configurable",
    ],
    [{ lambda: 0.2 }, "spc.characteristics.0.lambda: applies to an ewma chart only"],
    [{ seShift: 1 }, "spc.characteristics.0.seShift: applies to a cusum chart only"],
    [
      { rules: "we", runLength: 9 },
      "spc.characteristics.0.runLength: applies to the qcc rule set only",
    ],
    [{ lsl: 5, usl: 4 }, "spc.characteristics.0: lsl 5 must be below usl 4"],
    [{ target: 5 }, "spc.characteristics.0.target: needs lsl or usl (capability)"],
  ])("refuses %j", (change, problem) => {
    expect(problemsOf({ characteristics: [{ ...valid, ...change }] })).toEqual([problem]);
  });

  it("refuses a name used twice", () => {
    expect(problemsOf({ characteristics: [valid, valid] })).toEqual([
      'spc.characteristics.1.name="reflow_peak": used twice',
    ]);
  });

  it("accepts an empty or missing section", () => {
    expect(parseSpcSection(undefined).characteristics).toEqual([]);
    expect(parseSpcSection({}).options.autoApproveFirst).toBe(true);
  });
});
