import { describe, expect, it } from "vitest";
import { findRidersAlong, type GroupMembership, stratifiedP } from "./confounding.ts";

/** Rows 0..n-1 with group flags and outcomes from a list of [inA, inB, failed] triples, repeated. */
function units(cells: [boolean, boolean, 0 | 1, number][]) {
  const a: boolean[] = [];
  const b: boolean[] = [];
  const y: number[] = [];
  for (const [inA, inB, failed, count] of cells) {
    for (let k = 0; k < count; k++) {
      a.push(inA);
      b.push(inB);
      y.push(failed);
    }
  }
  return {
    a: ((row) => a[row] as boolean) as GroupMembership,
    b: ((row) => b[row] as boolean) as GroupMembership,
    rows: y.map((_, i) => i),
    outcome: Int8Array.from(y),
  };
}

describe("stratifiedP (Mantel–Haenszel, continuity-corrected)", () => {
  it("matches the hand-computed statistic of two strata", () => {
    // Stratum in B: A 10 of 30 failed, not-A 5 of 70. Stratum out of B: A 4 of 20, not-A 6 of 80.
    // Σ(a − E) = (10 − 30·15/100) + (4 − 20·10/100) = 5.5 + 2 = 7.5;
    // ΣV = 30·70·15·85/(100²·99) + 20·80·10·90/(100²·99) = 2.704545 + 1.454545 = 4.159091;
    // X² = (7.5 − 0.5)² / 4.159091 = 11.78142, p = P(χ²₁ > 11.78142) = erfc(√(X²/2)) = 5.98248e-4.
    const { a, b, rows, outcome } = units([
      [true, true, 1, 10],
      [true, true, 0, 20],
      [false, true, 1, 5],
      [false, true, 0, 65],
      [true, false, 1, 4],
      [true, false, 0, 16],
      [false, false, 1, 6],
      [false, false, 0, 74],
    ]);
    expect(stratifiedP(a, b, rows, outcome)).toBeCloseTo(5.98248e-4, 8);
  });

  it("is 1 when no stratum has boards on both sides", () => {
    const { a, rows, outcome } = units([
      [true, true, 1, 5],
      [true, true, 0, 5],
    ]);
    expect(stratifiedP(a, a, rows, outcome)).toBe(1);
  });
});

describe("findRidersAlong", () => {
  // 2,000 boards: a humid quarter of the run fails 8 % against 1 %; lot L was placed during most
  // of the humid hours only; lot M (another designator) is an independent cause of its own.
  const humid: boolean[] = [];
  const lotL: boolean[] = [];
  const lotM: boolean[] = [];
  const y: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const isHumid = i >= 1000 && i < 1500;
    humid.push(isHumid);
    lotL.push(i >= 1100 && i < 1500);
    lotM.push(i % 4 === 0);
    const rate = (isHumid ? 0.08 : 0.01) + (i % 4 === 0 ? 0.05 : 0);
    // Deterministic "random" failures at the planted rates.
    y.push((i * 7919) % 1000 < rate * 1000 ? 1 : 0);
  }
  const members: GroupMembership[] = [
    (row) => lotL[row] as boolean,
    (row) => humid[row] as boolean,
    (row) => lotM[row] as boolean,
    (row) => lotL[row] as boolean,
  ];
  const names = ["lot_L", "humidity", "lot_M", "lot_L_again"];
  const rows = y.map((_, i) => i);
  const outcome = Int8Array.from(y);

  it("marks a lot that only rode through the humid hours, and not the humidity or an independent lot", () => {
    const riders = findRidersAlong([0, 1, 2], () => true, members, names, rows, outcome, 0.05);
    expect([...riders.keys()]).toEqual([0]);
    expect(riders.get(0)?.feature).toBe("humidity");
    expect(riders.get(0)?.p).toBeGreaterThanOrEqual(0.05);
  });

  it("leaves alone what may not ride, and two drivers of the same boards", () => {
    expect(findRidersAlong([0, 1], (i) => i !== 0, members, names, rows, outcome, 0.05).size).toBe(
      0,
    );
    expect(findRidersAlong([0, 3], () => true, members, names, rows, outcome, 0.05).size).toBe(0);
  });
});
