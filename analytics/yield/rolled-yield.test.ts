import { describe, expect, it } from "vitest";
import { at, DAY0, type Fixture, SMALL_LINE, tested, withWarehouse } from "./fixtures.ts";
import {
  firstPassYield,
  type Period,
  type RouteYield,
  rolledThroughputYield,
  type YieldOptions,
} from "./index.ts";

// [steps, units, unitsPassedAll, unitsPending, unitsScrapped]
type Counts = [number, number, number, number, number];

function route(
  period: Period,
  start: number,
  product: string,
  rty: number,
  rtyUnits: number | null,
  [steps, units, unitsPassedAll, unitsPending, unitsScrapped]: Counts,
): RouteYield {
  return {
    level: "route",
    period,
    start,
    site: "S1",
    line: "L1",
    product,
    steps,
    rty,
    units,
    unitsPassedAll,
    rtyUnits,
    unitsPending,
    unitsScrapped,
  };
}

/** Both stations, each with a pass or a fail first; units first tested at 10:0n. */
function twoStations(outcomes: Record<string, ["pass" | "fail", "pass" | "fail"]>): Fixture[] {
  return Object.entries(outcomes).flatMap(([serial, [aoi, ict]], i) => [
    ...tested(serial, "aoi", aoi, at(10, i), { product: "P1" }),
    ...tested(serial, "ict", ict, at(10, 20 + i), { product: "P1" }),
  ]);
}

interface Case {
  name: string;
  fixtures: readonly Fixture[];
  options?: Partial<YieldOptions>;
  expected: RouteYield[];
}

const HOUR_ONLY: Partial<YieldOptions> = { periods: ["hour"] };

const CASES: Case[] = [
  {
    // Product: aoi 4/5 × fct 2/3 × ict 3/4 = 0.4. Per unit: A1 passed all; A2, A3 (scrapped), A4
    // failed a first result; A5 has not reached ict and fct yet: 1 of 4 decided units.
    name: "small line: product of FPYs 0.4, per unit 1 of 4, one pending",
    fixtures: SMALL_LINE,
    expected: [
      route("day", DAY0, "P1", 0.8 * (2 / 3) * 0.75, 0.25, [3, 4, 1, 1, 1]),
      route("hour", at(10), "P1", 0.8 * (2 / 3) * 0.75, 0.25, [3, 4, 1, 1, 1]),
    ],
  },
  {
    // The same unit fails both stations: the product counts it twice (0.75 × 0.75), per unit once.
    name: "failures on the same unit: per-unit RTY above the product",
    fixtures: twoStations({
      U1: ["fail", "fail"],
      U2: ["pass", "pass"],
      U3: ["pass", "pass"],
      U4: ["pass", "pass"],
    }),
    options: HOUR_ONLY,
    expected: [route("hour", at(10), "P1", 0.5625, 0.75, [2, 4, 3, 0, 0])],
  },
  {
    name: "failures on different units: per-unit RTY below the product",
    fixtures: twoStations({
      U1: ["fail", "pass"],
      U2: ["pass", "fail"],
      U3: ["pass", "pass"],
      U4: ["pass", "pass"],
    }),
    options: HOUR_ONLY,
    expected: [route("hour", at(10), "P1", 0.5625, 0.5, [2, 4, 2, 0, 0])],
  },
  {
    // U1 is scrapped at ict before its ict test: no FPY sees it, the unit count does.
    name: "a unit scrapped before its test: invisible to the product, a failed unit per unit",
    fixtures: [
      ...tested("U1", "aoi", "pass", at(10, 1), { product: "P1" }),
      { unit: "complete", station: "ict", serial: "U1", ts: at(10, 15), result: "scrap" },
      ...tested("U2", "aoi", "pass", at(10, 2), { product: "P1" }),
      ...tested("U2", "ict", "pass", at(10, 22), { product: "P1" }),
    ],
    options: HOUR_ONLY,
    expected: [route("hour", at(10), "P1", 1, 0.5, [2, 2, 1, 0, 1])],
  },
  {
    // Hour 10's route is aoi alone (ict tested nobody first in hour 10); V1 still fails there
    // because its ict first result (11:10) failed. Hour 11's route is aoi and ict.
    name: "the route of a period is the steps with a cohort in it; a unit fails on any step",
    fixtures: [
      ...tested("V1", "aoi", "pass", at(10, 50), { product: "P1" }),
      ...tested("V1", "ict", "fail", at(11, 10), { product: "P1" }),
      ...tested("V2", "aoi", "pass", at(11, 0), { product: "P1" }),
      ...tested("V2", "ict", "pass", at(11, 20), { product: "P1" }),
    ],
    options: HOUR_ONLY,
    expected: [
      route("hour", at(10), "P1", 1, 0, [1, 1, 0, 0, 0]),
      route("hour", at(11), "P1", 0.5, 1, [2, 1, 1, 0, 0]),
    ],
  },
  {
    // W1's ict test falls in hour 11: it still completes hour 10's route, and puts ict on hour
    // 11's route, where no unit had its first test.
    name: "a period with steps but no decided unit has no per-unit RTY",
    fixtures: [
      ...tested("W1", "aoi", "pass", at(10, 50), { product: "P1" }),
      ...tested("W2", "aoi", "pass", at(10, 51), { product: "P1" }),
      ...tested("W2", "ict", "pass", at(10, 55), { product: "P1" }),
      ...tested("W1", "ict", "pass", at(11, 5), { product: "P1" }),
    ],
    options: HOUR_ONLY,
    expected: [
      route("hour", at(10), "P1", 1, 1, [2, 2, 2, 0, 0]),
      route("hour", at(11), "P1", 1, null, [1, 0, 0, 0, 0]),
    ],
  },
  {
    name: "visit steps are on the route; products have their own routes",
    fixtures: [
      { unit: "start", station: "press", serial: "Y1", ts: at(10, 1), product: "P1" },
      { unit: "complete", station: "press", serial: "Y1", ts: at(10, 2), result: "fail" },
      ...tested("Y1", "aoi", "pass", at(10, 3), { product: "P1" }),
      { unit: "start", station: "press", serial: "Y2", ts: at(10, 4), product: "P2" },
      { unit: "complete", station: "press", serial: "Y2", ts: at(10, 5), result: "pass" },
    ],
    options: HOUR_ONLY,
    expected: [
      route("hour", at(10), "P1", 0, 0, [2, 1, 0, 0, 0]),
      route("hour", at(10), "P2", 1, 1, [1, 1, 1, 0, 0]),
    ],
  },
];

describe("rolledThroughputYield", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const rows = await withWarehouse(c.fixtures, (w) => rolledThroughputYield(w, c.options));
      expect(rows).toEqual(c.expected);
    });
  }

  it("equals the hand product 0.4 of the small line", async () => {
    const [day] = await withWarehouse(SMALL_LINE, (w) => rolledThroughputYield(w));
    expect(day?.rty).toBeCloseTo(0.4, 15);
  });

  it("multiplies the first-pass yields of the station rows of the same options", async () => {
    const fixtures = [
      ...SMALL_LINE,
      ...twoStations({ U1: ["fail", "pass"], U2: ["pass", "fail"], U3: ["pass", "pass"] }).map(
        (f) => ({ ...f, line: "L2" }),
      ),
    ];
    await withWarehouse(fixtures, async (w) => {
      const stations = await firstPassYield(w);
      const routes = await rolledThroughputYield(w);
      expect(routes).toHaveLength(4);
      for (const r of routes) {
        const fpys = stations
          .filter((s) => s.period === r.period && s.start === r.start && s.line === r.line)
          .map((s) => s.fpy);
        expect(fpys).toHaveLength(r.steps);
        expect(r.rty).toBe(fpys.reduce((product, fpy) => product * fpy, 1));
      }
    });
  });
});
