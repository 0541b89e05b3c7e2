import { describe, expect, it } from "vitest";
import { computeCapability } from "./capability.ts";
import { computeLimits } from "./control-chart.ts";
import { SpcError } from "./errors.ts";
import { pistonrings } from "./reference-data.ts";

const pr = pistonrings();
const limits = computeLimits("xbar", pr.phase1);
const values = pr.phase1.flatMap((subgroup) => subgroup.values);

describe("process capability", () => {
  it("overall indices use the plain sample sd of every phase-I value", () => {
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
    const capability = computeCapability(limits, pr.phase1, { lsl: 73.95, usl: 74.05 });
    expect(capability.sigmaOverall).toBeCloseTo(sd, 15);
    expect(capability.pp).toBeCloseTo(0.1 / (6 * sd), 12);
    expect(capability.ppk).toBeCloseTo(
      Math.min(74.05 - limits.center, limits.center - 73.95) / (3 * sd),
      12,
    );
    expect(capability.sigmaWithin).toBe(limits.sigma);
    expect(capability.sigmaWithinMethod).toBe("UWAVE-R");
    // Without a target, Cpm aims at the middle of the spec.
    expect(capability.target).toBeCloseTo(74, 12);
  });

  it("one-sided spec: only the indices that side defines", () => {
    const capability = computeCapability(limits, pr.phase1, { usl: 74.01 });
    expect(capability.cp).toBeNull();
    expect(capability.cpl).toBeNull();
    expect(capability.cpm).toBeNull();
    expect(capability.cpu).toBeCloseTo((74.01 - limits.center) / (3 * limits.sigma), 12);
    expect(capability.cpk).toBe(capability.cpu);
    expect(capability.intervals.cp).toBeNull();
    expect(capability.expected.belowLsl).toBeNull();
    // 0.01 above the centre is about one sigma: ~16 % expected above, and some observed.
    expect(capability.expected.aboveUsl).toBeGreaterThan(0.15);
    expect(capability.observed.aboveUsl).toBeCloseTo(
      values.filter((x) => x > 74.01).length / 125,
      15,
    );
  });

  it("is refused for charts whose centre is not the process mean, and for bad specs", () => {
    expect(() => computeCapability(computeLimits("r", pr.phase1), pr.phase1, { lsl: 0 })).toThrow(
      SpcError,
    );
    expect(() => computeCapability(limits, pr.phase1, {})).toThrow(/lsl or usl/);
    expect(() => computeCapability(limits, pr.phase1, { lsl: 2, usl: 1 })).toThrow(/below usl/);
    expect(() => computeCapability(limits, pr.phase1, { lsl: 1 }, { confidenceLevel: 1 })).toThrow(
      /confidenceLevel/,
    );
  });

  it("works on an individuals chart", () => {
    const phase1 = [5, 6, 5.5, 6.5, 5.8].map((value) => ({ values: [value] }));
    const capability = computeCapability(computeLimits("i", phase1), phase1, { lsl: 4, usl: 8 });
    expect(capability.nobs).toBe(5);
    expect(capability.cp).toBeCloseTo(4 / (6 * capability.sigmaWithin), 12);
  });
});
