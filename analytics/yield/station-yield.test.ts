import { describe, expect, it } from "vitest";
import { at, DAY0, type Fixture, HOUR, SMALL_LINE, tested, withWarehouse } from "./fixtures.ts";
import {
  firstPassYield,
  type Period,
  type StationYield,
  YieldError,
  type YieldOptions,
} from "./index.ts";

// [tested, firstPassPassed, retested, retests, retestPassed, finalPassed, scrapped]
type Counts = [number, number, number, number, number, number, number];

function row(
  period: Period,
  start: number,
  step: string,
  product: string,
  counts: Counts,
  where: { site?: string; line?: string } = {},
): StationYield {
  const [station, kind = station] = step.split("/") as [string, string?];
  const [tested, firstPassPassed, retested, retests, retestPassed, finalPassed, scrapped] = counts;
  return {
    level: "station",
    period,
    start,
    site: where.site ?? "S1",
    line: where.line ?? "L1",
    station,
    kind,
    product,
    tested,
    firstPassPassed,
    fpy: firstPassPassed / tested,
    retested,
    retests,
    retestPassed,
    retestPassRate: retested === 0 ? null : retestPassed / retested,
    finalPassed,
    finalYield: finalPassed / tested,
    scrapped,
  };
}

const H10 = at(10);
const H11 = at(11);

interface Case {
  name: string;
  fixtures: readonly Fixture[];
  options?: Partial<YieldOptions>;
  expected: StationYield[];
}

const CASES: Case[] = [
  {
    // aoi: A1-A5, A2 fails then passes the retest. ict: A1-A4, A3 fails twice and is scrapped.
    // fct: A1, A2, A4; A4 fails at 10:55 and passes at 11:05, still in hour 10's row.
    name: "small line with retests and a scrap, per hour and per day",
    fixtures: SMALL_LINE,
    expected: [
      row("day", DAY0, "aoi", "P1", [5, 4, 1, 1, 1, 5, 0]),
      row("day", DAY0, "fct", "P1", [3, 2, 1, 1, 1, 3, 0]),
      row("day", DAY0, "ict", "P1", [4, 3, 1, 1, 0, 3, 1]),
      row("hour", H10, "aoi", "P1", [5, 4, 1, 1, 1, 5, 0]),
      row("hour", H10, "fct", "P1", [3, 2, 1, 1, 1, 3, 0]),
      row("hour", H10, "ict", "P1", [4, 3, 1, 1, 0, 3, 1]),
    ],
  },
  {
    name: "a serial retested in the next hour counts in the hour of its first test",
    fixtures: [
      ...tested("X1", "aoi", "fail", at(10, 59), { product: "P1" }),
      { test: "aoi", station: "aoi", serial: "X1", ts: at(11, 1), result: "pass" },
      ...tested("X2", "aoi", "pass", at(11, 2), { product: "P1" }),
    ],
    options: { periods: ["hour"] },
    expected: [
      row("hour", H10, "aoi", "P1", [1, 0, 1, 1, 1, 1, 0]),
      row("hour", H11, "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
    ],
  },
  {
    name: "a unit that visits a test station without a test record counts nowhere",
    fixtures: [
      { unit: "start", station: "aoi", serial: "N1", ts: at(10, 1), product: "P1" },
      { unit: "complete", station: "aoi", serial: "N1", ts: at(10, 2), result: "fail" },
      ...tested("N2", "aoi", "pass", at(10, 3), { product: "P1" }),
    ],
    options: { periods: ["hour"] },
    expected: [row("hour", H10, "aoi", "P1", [1, 1, 0, 0, 0, 1, 0])],
  },
  {
    // K1 passes ICT, then is scrapped there (dropped): first pass counts, final does not.
    // K2 is scrapped at ICT before any ICT test: not tested there, so not in the ICT row.
    // K3 fails, is retested and scrapped: retested, not retest-passed.
    name: "scrapped units fail the final yield and are counted",
    fixtures: [
      ...tested("K1", "ict", "pass", at(10, 1), { product: "P1" }),
      { unit: "complete", station: "ict", serial: "K1", ts: at(10, 2), result: "scrap" },
      { unit: "start", station: "ict", serial: "K2", ts: at(10, 3), product: "P1" },
      { unit: "complete", station: "ict", serial: "K2", ts: at(10, 4), result: "scrap" },
      ...tested("K3", "ict", "fail", at(10, 5), { product: "P1" }),
      { test: "ict", station: "ict", serial: "K3", ts: at(10, 6), result: "pass" },
      { unit: "complete", station: "ict", serial: "K3", ts: at(10, 7), result: "scrap" },
      ...tested("K4", "ict", "pass", at(10, 8), { product: "P1" }),
    ],
    options: { periods: ["hour"] },
    expected: [row("hour", H10, "ict", "P1", [3, 2, 1, 1, 0, 1, 2])],
  },
  {
    name: "products and lines are separate rows; a serial without product is '-'",
    fixtures: [
      ...tested("M1", "aoi", "pass", at(10, 1), { product: "P1" }),
      ...tested("M2", "aoi", "fail", at(10, 2), { product: "P2" }),
      ...tested("M3", "aoi", "pass", at(10, 3), { product: "P2" }),
      ...tested("M4", "aoi", "fail", at(10, 4), { product: "P1", line: "L2" }),
      ...tested("M5", "aoi", "pass", at(10, 5), { line: "L2" }),
      // The product named at another station of the site is the serial's product.
      ...tested("M6", "aoi", "pass", at(10, 6), { line: "L2" }),
      { unit: "start", station: "load", serial: "M6", ts: at(9, 0), product: "P2", line: "L2" },
    ],
    options: { periods: ["hour"] },
    expected: [
      row("hour", H10, "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
      row("hour", H10, "aoi", "P2", [2, 1, 0, 0, 0, 1, 0]),
      row("hour", H10, "aoi", "-", [1, 1, 0, 0, 0, 1, 0], { line: "L2" }),
      row("hour", H10, "aoi", "P1", [1, 0, 0, 0, 0, 0, 0], { line: "L2" }),
      row("hour", H10, "aoi", "P2", [1, 1, 0, 0, 0, 1, 0], { line: "L2" }),
    ],
  },
  {
    // press has no test record: its unit verdicts are results of kind "visit" (scrap = fail).
    // aoi has test records: its unit verdicts are not results (R1's complete fail is ignored).
    name: "unit verdicts of stations without test records count as kind visit",
    fixtures: [
      { unit: "complete", station: "press", serial: "D1", ts: at(10, 1), result: "pass" },
      { unit: "complete", station: "press", serial: "D2", ts: at(10, 2), result: "fail" },
      { unit: "complete", station: "press", serial: "D2", ts: at(10, 3), result: "pass" },
      { unit: "complete", station: "press", serial: "D3", ts: at(10, 4), result: "scrap" },
      { unit: "start", station: "press", serial: "D4", ts: at(10, 5) },
      ...tested("R1", "aoi", "pass", at(10, 6)),
      { unit: "complete", station: "aoi", serial: "R1", ts: at(10, 7), result: "fail" },
    ],
    options: { periods: ["hour"] },
    expected: [
      row("hour", H10, "aoi", "-", [1, 1, 0, 0, 0, 1, 0]),
      row("hour", H10, "press/visit", "-", [3, 1, 1, 1, 1, 2, 1]),
    ],
  },
  {
    name: "visit verdicts off: only test records count",
    fixtures: [
      { unit: "complete", station: "press", serial: "D1", ts: at(10, 1), result: "pass" },
      ...tested("R1", "aoi", "pass", at(10, 6)),
    ],
    options: { periods: ["hour"], visitVerdicts: false },
    expected: [row("hour", H10, "aoi", "-", [1, 1, 0, 0, 0, 1, 0])],
  },
  {
    name: "one station testing two kinds gives one row per kind",
    fixtures: [
      ...tested("T1", "ict", "pass", at(10, 1), { product: "P1" }),
      { test: "fct", station: "ict", serial: "T1", ts: at(10, 2), result: "fail" },
    ],
    options: { periods: ["hour"] },
    expected: [
      row("hour", H10, "ict/fct", "P1", [1, 0, 0, 0, 0, 0, 0]),
      row("hour", H10, "ict/ict", "P1", [1, 1, 0, 0, 0, 1, 0]),
    ],
  },
  {
    // A replayed sync that duplicated rows must not invent retests.
    name: "rows repeated in the warehouse count once",
    fixtures: [
      ...tested("Z1", "aoi", "fail", at(10, 1), { product: "P1" }),
      { test: "aoi", station: "aoi", serial: "Z1", ts: at(10, 1), result: "fail" },
      { test: "aoi", station: "aoi", serial: "Z1", ts: at(10, 2), result: "pass" },
      { test: "aoi", station: "aoi", serial: "Z1", ts: at(10, 2), result: "pass" },
    ],
    options: { periods: ["hour"] },
    expected: [row("hour", H10, "aoi", "P1", [1, 0, 1, 1, 1, 1, 0])],
  },
  {
    // Two verdicts in one millisecond cannot be ordered: the fail is both first and last.
    name: "conflicting verdicts in one millisecond count as a fail",
    fixtures: [
      ...tested("Q1", "aoi", "pass", at(10, 1), { product: "P1" }),
      { test: "aoi", station: "aoi", serial: "Q1", ts: at(10, 1), result: "fail" },
    ],
    options: { periods: ["hour"] },
    expected: [row("hour", H10, "aoi", "P1", [1, 0, 1, 1, 0, 0, 0])],
  },
  {
    // from = 10:30 on day 1 widens to 00:00 of day 1; day 0's cohorts are out, day 1's in whole.
    name: "from and to widen to whole periods",
    fixtures: [
      ...tested("E1", "aoi", "pass", at(10, 1), { product: "P1" }),
      ...tested("E2", "aoi", "pass", at(24 + 9, 0), { product: "P1" }),
      ...tested("E3", "aoi", "fail", at(24 + 11, 0), { product: "P1" }),
      ...tested("E4", "aoi", "pass", at(48 + 1, 0), { product: "P1" }),
    ],
    options: { from: at(24 + 10, 30), to: at(24 + 12, 0) },
    expected: [
      row("day", DAY0 + 24 * HOUR, "aoi", "P1", [2, 1, 0, 0, 0, 1, 0]),
      row("hour", at(24 + 9), "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
      row("hour", at(24 + 11), "aoi", "P1", [1, 0, 0, 0, 0, 0, 0]),
    ],
  },
  {
    // 23:30 UTC is 00:30 on the next local day at UTC+1; at UTC+05:30, 10:05 UTC is 15:35 local.
    name: "periods begin at local midnight and local hours",
    fixtures: [...tested("U1", "aoi", "pass", at(23, 30), { product: "P1" })],
    options: { utcOffsetMinutes: 60 },
    expected: [
      row("day", at(23), "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
      row("hour", at(23), "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
    ],
  },
  {
    name: "half-hour zones shift hours too",
    fixtures: [...tested("U2", "aoi", "pass", at(10, 5), { product: "P1" })],
    options: { utcOffsetMinutes: 330 },
    expected: [
      row("day", DAY0 - 5.5 * HOUR, "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
      row("hour", at(9, 30), "aoi", "P1", [1, 1, 0, 0, 0, 1, 0]),
    ],
  },
  { name: "an empty warehouse gives no rows", fixtures: [], expected: [] },
];

describe("firstPassYield", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const rows = await withWarehouse(c.fixtures, (w) => firstPassYield(w, c.options));
      expect(rows).toEqual(c.expected);
    });
  }

  it("gives the hand-computed ratios of the small line", async () => {
    const rows = await withWarehouse(SMALL_LINE, (w) => firstPassYield(w, { periods: ["hour"] }));
    const ratios = rows.map((r) => [r.station, r.fpy, r.finalYield, r.retestPassRate]);
    expect(ratios).toEqual([
      ["aoi", 0.8, 1, 1],
      ["fct", 2 / 3, 1, 1],
      ["ict", 0.75, 0.75, 0],
    ]);
  });

  const BAD: [Partial<YieldOptions>, RegExp][] = [
    [{ periods: [] }, /^periods must be/],
    [{ periods: ["week" as Period] }, /^periods must be .* got \["week"\]/],
    [{ periods: ["hour", "hour"] }, /^periods must be/],
    [{ utcOffsetMinutes: 12.5 }, /^utcOffsetMinutes must be an integer in \[-720, 840\], got 12.5/],
    [{ utcOffsetMinutes: 900 }, /^utcOffsetMinutes/],
    [{ from: 1.5 }, /^from must be an integer epoch ms/],
    [{ from: 10, to: 10 }, /^to must be later than from \(10\), got 10/],
    [{ paretoScopes: ["some" as "all"] }, /^paretoScopes must be/],
  ];
  for (const [options, message] of BAD) {
    it(`refuses ${JSON.stringify(options)}`, async () => {
      const error = await withWarehouse([], (w) => firstPassYield(w, options)).catch((e) => e);
      expect(error).toBeInstanceOf(YieldError);
      expect(error.reason).toBe("bad-option");
      expect(error.message).toMatch(message);
    });
  }
});
