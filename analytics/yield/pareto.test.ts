import { describe, expect, it } from "vitest";
import { at, type Fixture, SMALL_LINE, tested, withWarehouse } from "./fixtures.ts";
import { defectPareto, type ParetoRow, type ParetoScope, type YieldOptions } from "./index.ts";

/** Bars of one Pareto as [key, count, units, share, cumulativeShare], in rank order. */
type Bars = [string, number, number, number, number][];

function pareto(rows: ParetoRow[], scope: ParetoScope, by: "code" | "ref"): Bars {
  const mine = rows.filter((r) => r.scope === scope && r.by === by);
  expect(mine.map((r) => r.rank)).toEqual(mine.map((_, i) => i + 1));
  return mine.map((r) => [r.key, r.count, r.units, r.share, r.cumulativeShare]);
}

const HOUR_ONLY: Partial<YieldOptions> = { periods: ["hour"] };

interface Case {
  name: string;
  fixtures: readonly Fixture[];
  scope: ParetoScope;
  by: "code" | "ref";
  expected: Bars;
}

// First-pass failures of the small line: A2 at aoi (bridge U1 ×2, missing R5), A3 at ict (open
// U1), A4 at fct (vout_low, no ref): 5 calls. A3's ict retest adds open U1 and short U2.
const CASES: Case[] = [
  {
    name: "by code, first-pass failures: sorted by calls, ties by key",
    fixtures: SMALL_LINE,
    scope: "first-pass",
    by: "code",
    expected: [
      ["bridge", 2, 1, 2 / 5, 2 / 5],
      ["missing", 1, 1, 1 / 5, 3 / 5],
      ["open", 1, 1, 1 / 5, 4 / 5],
      ["vout_low", 1, 1, 1 / 5, 1],
    ],
  },
  {
    name: "by reference designator, first-pass failures; no ref is '-'",
    fixtures: SMALL_LINE,
    scope: "first-pass",
    by: "ref",
    expected: [
      ["U1", 3, 2, 3 / 5, 3 / 5],
      ["-", 1, 1, 1 / 5, 4 / 5],
      ["R5", 1, 1, 1 / 5, 1],
    ],
  },
  {
    name: "by code, all calls including retests",
    fixtures: SMALL_LINE,
    scope: "all",
    by: "code",
    expected: [
      ["bridge", 2, 1, 2 / 7, 2 / 7],
      ["open", 2, 1, 2 / 7, 4 / 7],
      ["missing", 1, 1, 1 / 7, 5 / 7],
      ["short", 1, 1, 1 / 7, 6 / 7],
      ["vout_low", 1, 1, 1 / 7, 1],
    ],
  },
  {
    name: "by reference designator, all calls",
    fixtures: SMALL_LINE,
    scope: "all",
    by: "ref",
    expected: [
      ["U1", 4, 2, 4 / 7, 4 / 7],
      ["-", 1, 1, 1 / 7, 5 / 7],
      ["R5", 1, 1, 1 / 7, 6 / 7],
      ["U2", 1, 1, 1 / 7, 1],
    ],
  },
  {
    // Defect calls on a passing first result (an AOI call the operator overruled) are no
    // first-pass failure; the defects of the failed retest are not first-pass either.
    name: "first-pass scope ignores calls of passing first results and of retests",
    fixtures: [
      ...tested("F1", "aoi", "pass", at(10, 1), { product: "P1" }),
      { defect: "aoi", station: "aoi", serial: "F1", ts: at(10, 1), code: "skew", ref: "C1" },
      ...tested("F2", "aoi", "fail", at(10, 2), { product: "P1" }),
      { defect: "aoi", station: "aoi", serial: "F2", ts: at(10, 2), code: "tombstone", ref: "C2" },
      { test: "aoi", station: "aoi", serial: "F2", ts: at(10, 3), result: "fail" },
      { defect: "aoi", station: "aoi", serial: "F2", ts: at(10, 3), code: "skew", ref: "C2" },
      ...tested("F3", "aoi", "fail", at(10, 4), { product: "P1" }),
      { defect: "aoi", station: "aoi", serial: "F3", ts: at(10, 4), code: "tombstone", ref: "C9" },
    ],
    scope: "first-pass",
    by: "code",
    expected: [["tombstone", 2, 2, 1, 1]],
  },
];

describe("defectPareto", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const rows = await withWarehouse(c.fixtures, (w) =>
        defectPareto(w, { ...HOUR_ONLY, paretoScopes: [c.scope] }),
      );
      expect(pareto(rows, c.scope, c.by)).toEqual(c.expected);
    });
  }

  it("gives one Pareto per period, line, product, scope and dimension, in order", async () => {
    const fixtures: Fixture[] = [
      ...SMALL_LINE,
      ...tested("G1", "aoi", "fail", at(10, 1), { product: "P2" }),
      { defect: "aoi", station: "aoi", serial: "G1", ts: at(10, 1), code: "bridge", ref: "U7" },
      ...tested("G2", "aoi", "fail", at(10, 2), { product: "P1", line: "L2" }),
      { defect: "aoi", station: "aoi", serial: "G2", ts: at(10, 2), code: "lifted", line: "L2" },
    ];
    const rows = await withWarehouse(fixtures, (w) =>
      defectPareto(w, { paretoScopes: ["first-pass", "all"] }),
    );
    const groups = [
      ...new Set(rows.map((r) => [r.period, r.line, r.product, r.scope, r.by].join(" "))),
    ];
    expect(groups).toEqual([
      "day L1 P1 all code",
      "day L1 P1 all ref",
      "day L1 P1 first-pass code",
      "day L1 P1 first-pass ref",
      "day L1 P2 all code",
      "day L1 P2 all ref",
      "day L1 P2 first-pass code",
      "day L1 P2 first-pass ref",
      "day L2 P1 all code",
      "day L2 P1 all ref",
      "day L2 P1 first-pass code",
      "day L2 P1 first-pass ref",
      "hour L1 P1 all code",
      "hour L1 P1 all ref",
      "hour L1 P1 first-pass code",
      "hour L1 P1 first-pass ref",
      "hour L1 P2 all code",
      "hour L1 P2 all ref",
      "hour L1 P2 first-pass code",
      "hour L1 P2 first-pass ref",
      "hour L2 P1 all code",
      "hour L2 P1 all ref",
      "hour L2 P1 first-pass code",
      "hour L2 P1 first-pass ref",
    ]);
    const l2 = rows.filter((r) => r.line === "L2" && r.period === "hour" && r.scope === "all");
    expect(l2.map((r) => [r.by, r.key, r.count, r.share, r.rank])).toEqual([
      ["code", "lifted", 1, 1, 1],
      ["ref", "-", 1, 1, 1],
    ]);
  });

  it("is empty without scopes or without defects", async () => {
    expect(await withWarehouse(SMALL_LINE, (w) => defectPareto(w, { paretoScopes: [] }))).toEqual(
      [],
    );
    const clean = tested("H1", "aoi", "fail", at(10, 1), { product: "P1" });
    expect(await withWarehouse(clean, (w) => defectPareto(w))).toEqual([]);
  });
});
