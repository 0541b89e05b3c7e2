import { describe, expect, it } from "vitest";
import { percentile, perSecond, summarize } from "./stats.ts";

describe("bench statistics", () => {
  it("takes the nearest-rank percentile, always an observed value", () => {
    const sorted = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(100);
    expect(percentile(sorted, 99)).toBe(198);
    expect(percentile(sorted, 100)).toBe(200);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([3, 9], 50)).toBe(3);
    expect(percentile([3, 9], 51)).toBe(9);
  });

  it("summarizes an unsorted sample without reordering it", () => {
    const values = [40, 10, 30, 20];
    expect(summarize(values)).toEqual({
      count: 4,
      min: 10,
      mean: 25,
      p50: 20,
      p90: 40,
      p99: 40,
      max: 40,
    });
    expect(values).toEqual([40, 10, 30, 20]);
  });

  it("refuses what has no answer", () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => perSecond(10, 0)).toThrow(RangeError);
    expect(perSecond(500, 250)).toBe(2000);
  });
});
