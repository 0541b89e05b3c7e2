import { describe, expect, it } from "vitest";
import {
  type BoardSighting,
  judgeLatencies,
  judgingTick,
  periodicSchedule,
  subgroupLatencies,
} from "./subgroup-latency.ts";

/** Boards 1 s apart from t = 100 000, acked 40 ms and seen 200 ms after their ts. */
function boards(count: number): BoardSighting[] {
  return Array.from({ length: count }, (_, i) => ({
    serial: `SN${i + 1}`,
    ts: 100_000 + i * 1000,
    ackedAt: 100_040 + i * 1000,
    seenAt: 100_200 + i * 1000,
  }));
}

describe("subgroupLatencies", () => {
  it("counts subgroups from the characteristic's first reading, not from the first measured board", () => {
    // 3 readings before: the measured boards 2, 7 and 12 (index 1, 6, 11) close subgroups of 5.
    const { subgroups } = subgroupLatencies(boards(12), [], { size: 5, readingsBefore: 3 });
    expect(subgroups.map((s) => s.lastSerial)).toEqual(["SN2", "SN7", "SN12"]);
    expect(subgroups.map((s) => s.index)).toEqual([1, 2, 3]);
  });

  it("measures from the last reading's sighting, its PUBACK and its ts", () => {
    const points = [{ ts: 104_000, seenAt: 121_700 }];
    const { subgroups, strayPoints } = subgroupLatencies(boards(5), points, {
      size: 5,
      readingsBefore: 0,
    });
    expect(strayPoints).toBe(0);
    expect(subgroups).toEqual([
      {
        index: 1,
        lastSerial: "SN5",
        lastTs: 104_000,
        fromQueryableMs: 121_700 - 104_200,
        fromAckMs: 121_700 - 104_040,
        fromTsMs: 17_700,
      },
    ]);
  });

  it("leaves a subgroup whose point never came, or whose last reading was never seen, unmeasured", () => {
    const sighted = boards(10);
    const unseen = { ...(sighted[9] as BoardSighting) };
    delete unseen.seenAt;
    sighted[9] = unseen;
    const points = [{ ts: 109_000, seenAt: 130_000 }];
    const { subgroups } = subgroupLatencies(sighted, points, { size: 5, readingsBefore: 0 });
    expect(subgroups[0]?.fromTsMs).toBeNull();
    expect(subgroups[1]?.fromQueryableMs).toBeNull();
    expect(subgroups[1]?.fromTsMs).toBe(21_000);
  });

  it("counts a point at a board that closes no subgroup as stray, and ignores points before the measured boards", () => {
    const points = [
      { ts: 99_000, seenAt: 110_000 }, // a baseline subgroup's point
      { ts: 103_000, seenAt: 120_000 }, // the job cut after the 4th board
      { ts: 104_000, seenAt: 120_000 },
    ];
    const { strayPoints } = subgroupLatencies(boards(5), points, { size: 5, readingsBefore: 0 });
    expect(strayPoints).toBe(1);
  });

  it("refuses a subgroup size that is not a positive integer", () => {
    expect(() => subgroupLatencies([], [], { size: 0, readingsBefore: 0 })).toThrow(RangeError);
  });
});

describe("judgeLatencies", () => {
  it("takes nearest-rank percentiles of the measured latencies and counts a missing point as late", () => {
    const latencies = [12_000, 25_000, 18_000, null, 31_000, 15_000];
    expect(judgeLatencies(latencies, 30_000)).toEqual({
      goalMs: 30_000,
      subgroups: 6,
      measured: 5,
      missing: 1,
      withinGoal: 4,
      p50Ms: 18_000,
      p95Ms: 31_000,
      maxMs: 31_000,
      met: false,
    });
  });

  it("meets the goal only when every subgroup is within it, a latency equal to the goal included", () => {
    expect(judgeLatencies([30_000, 1], 30_000).met).toBe(true);
    expect(judgeLatencies([], 30_000)).toMatchObject({ met: false, p50Ms: null, maxMs: null });
  });
});

describe("periodicSchedule", () => {
  it("reads the default sync and SPC schedules", () => {
    expect(periodicSchedule("*/10 * * * * *")).toEqual({ periodMs: 10_000, offsetMs: 0 });
    expect(periodicSchedule("5-59/10 * * * * *")).toEqual({ periodMs: 10_000, offsetMs: 5000 });
  });

  it("declines shapes it cannot predict", () => {
    expect(periodicSchedule("20 * * * * *")).toBeUndefined();
    expect(periodicSchedule("*/7 * * * * *")).toBeUndefined();
    expect(periodicSchedule("12-59/10 * * * * *")).toBeUndefined();
    expect(periodicSchedule("0 30 2 * * *")).toBeUndefined();
  });
});

describe("judgingTick", () => {
  const spc = { periodMs: 10_000, offsetMs: 5000 };

  it("is the first tick whose settled horizon has passed the reading", () => {
    // ts 1 000 + 15 s settle = 16 000: the tick at 25 000 is the first with now − 15 s > ts.
    expect(judgingTick(1000, 15_000, spc)).toBe(25_000);
    expect(judgingTick(9999, 15_000, spc)).toBe(25_000);
  });

  it("waits for the next tick when the horizon only reaches the reading (readings strictly before it)", () => {
    expect(judgingTick(10_000, 15_000, spc)).toBe(35_000);
    expect(judgingTick(10_001, 15_000, spc)).toBe(35_000);
  });
});
