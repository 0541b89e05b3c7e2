import { describe, expect, it } from "vitest";
import { at, DAY0, type Fixture, SMALL_LINE, tested, withWarehouse } from "./fixtures.ts";
import {
  defectPareto,
  firstPassYield,
  type ParetoRow,
  paretoLines,
  type RouteYield,
  rolledThroughputYield,
  type StationYield,
  yieldLines,
} from "./index.ts";

const H10 = at(10); // 1740996000000

const STATION: StationYield = {
  level: "station",
  period: "hour",
  start: H10,
  site: "S1",
  line: "L1",
  station: "aoi",
  kind: "aoi",
  product: "P1",
  tested: 5,
  firstPassPassed: 4,
  fpy: 0.8,
  retested: 1,
  retests: 1,
  retestPassed: 1,
  retestPassRate: 1,
  finalPassed: 5,
  finalYield: 1,
  scrapped: 0,
};

const ROUTE: RouteYield = {
  level: "route",
  period: "hour",
  start: H10,
  site: "S1",
  line: "L1",
  product: "P1",
  steps: 3,
  rty: 0.4,
  units: 4,
  unitsPassedAll: 1,
  rtyUnits: 0.25,
  unitsPending: 1,
  unitsScrapped: 1,
};

const BAR: ParetoRow = {
  period: "hour",
  start: H10,
  site: "S1",
  line: "L1",
  product: "P1",
  scope: "first-pass",
  by: "code",
  key: "bridge",
  count: 2,
  units: 1,
  share: 0.4,
  cumulativeShare: 0.4,
  rank: 1,
};

describe("yieldLines", () => {
  const CASES: [string, StationYield | RouteYield, string][] = [
    [
      "a station row",
      STATION,
      "yield,kind=aoi,line=L1,period=hour,product=P1,site=S1,station=aoi final_passed=5i,final_yield=1,first_pass_passed=4i,fpy=0.8,retest_pass_rate=1,retest_passed=1i,retested=1i,retests=1i,scrapped=0i,tested=5i 1740996000000",
    ],
    [
      "a station row without retests (no retest_pass_rate) and a product needing escapes",
      {
        ...STATION,
        period: "day",
        start: DAY0,
        station: "ict",
        kind: "ict",
        product: "Board A,v2",
        tested: 3,
        firstPassPassed: 2,
        fpy: 2 / 3,
        retested: 0,
        retests: 0,
        retestPassed: 0,
        retestPassRate: null,
        finalPassed: 2,
        finalYield: 2 / 3,
        scrapped: 1,
      },
      "yield,kind=ict,line=L1,period=day,product=Board\\ A\\,v2,site=S1,station=ict final_passed=2i,final_yield=0.6666666666666666,first_pass_passed=2i,fpy=0.6666666666666666,retest_passed=0i,retested=0i,retests=0i,scrapped=1i,tested=3i 1740960000000",
    ],
    [
      "a route row",
      ROUTE,
      "yield,line=L1,period=hour,product=P1,site=S1 rty=0.4,rty_units=0.25,steps=3i,units=4i,units_passed_all=1i,units_pending=1i,units_scrapped=1i 1740996000000",
    ],
    [
      "a route row without decided units (no rty_units)",
      { ...ROUTE, units: 0, unitsPassedAll: 0, rtyUnits: null, unitsPending: 2, unitsScrapped: 0 },
      "yield,line=L1,period=hour,product=P1,site=S1 rty=0.4,steps=3i,units=0i,units_passed_all=0i,units_pending=2i,units_scrapped=0i 1740996000000",
    ],
  ];
  for (const [name, row, line] of CASES) {
    it(`serializes ${name}`, () => {
      expect(yieldLines([row])).toEqual([line]);
    });
  }
});

describe("paretoLines", () => {
  it("serializes a bar", () => {
    expect(
      paretoLines([BAR, { ...BAR, by: "ref", key: "-", rank: 2, cumulativeShare: 0.8 }]),
    ).toEqual([
      "defect_pareto,by=code,key=bridge,line=L1,period=hour,product=P1,scope=first-pass,site=S1 count=2i,cumulative_share=0.4,rank=1i,share=0.4,units=1i 1740996000000",
      "defect_pareto,by=ref,key=-,line=L1,period=hour,product=P1,scope=first-pass,site=S1 count=2i,cumulative_share=0.8,rank=2i,share=0.4,units=1i 1740996000000",
    ]);
  });
});

describe("line protocol of the small line", () => {
  it("is exactly these lines, hour by hour", async () => {
    const lines = await withWarehouse(SMALL_LINE, async (w) => {
      const options = { periods: ["hour"] as const };
      const stations = await firstPassYield(w, options);
      const routes = await rolledThroughputYield(w, options);
      return [...yieldLines(stations), ...yieldLines(routes)];
    });
    expect(lines).toEqual([
      "yield,kind=aoi,line=L1,period=hour,product=P1,site=S1,station=aoi final_passed=5i,final_yield=1,first_pass_passed=4i,fpy=0.8,retest_pass_rate=1,retest_passed=1i,retested=1i,retests=1i,scrapped=0i,tested=5i 1740996000000",
      "yield,kind=fct,line=L1,period=hour,product=P1,site=S1,station=fct final_passed=3i,final_yield=1,first_pass_passed=2i,fpy=0.6666666666666666,retest_pass_rate=1,retest_passed=1i,retested=1i,retests=1i,scrapped=0i,tested=3i 1740996000000",
      "yield,kind=ict,line=L1,period=hour,product=P1,site=S1,station=ict final_passed=3i,final_yield=0.75,first_pass_passed=3i,fpy=0.75,retest_pass_rate=0,retest_passed=0i,retested=1i,retests=1i,scrapped=1i,tested=4i 1740996000000",
      "yield,line=L1,period=hour,product=P1,site=S1 rty=0.4,rty_units=0.25,steps=3i,units=4i,units_passed_all=1i,units_pending=1i,units_scrapped=1i 1740996000000",
    ]);
  });

  it("never gives two rows the same series and timestamp", async () => {
    // Same station name on two lines, same code and ref names, a day and an hour both at 00:00.
    const fixtures: Fixture[] = [
      ...SMALL_LINE,
      ...tested("B1", "aoi", "fail", at(0, 5), { product: "P1" }),
      { defect: "aoi", station: "aoi", serial: "B1", ts: at(0, 5), code: "U1", ref: "U1" },
      ...tested("B2", "aoi", "fail", at(10, 5), { product: "P1", line: "L2" }),
      { defect: "aoi", station: "aoi", serial: "B2", ts: at(10, 5), code: "bridge", line: "L2" },
      { unit: "complete", station: "press", serial: "B3", ts: at(10, 9), result: "pass" },
    ];
    const lines = await withWarehouse(fixtures, async (w) => {
      const options = { paretoScopes: ["first-pass", "all"] as const };
      const stations = await firstPassYield(w, options);
      const routes = await rolledThroughputYield(w, options);
      const pareto = await defectPareto(w, options);
      return [...yieldLines(stations), ...yieldLines(routes), ...paretoLines(pareto)];
    });
    // The series key is everything before the first unescaped space; the timestamp is last.
    const keys = lines.map((l) => {
      const series = l.match(/^(?:[^ \\]|\\.)*/)?.[0];
      return `${series} ${l.slice(l.lastIndexOf(" ") + 1)}`;
    });
    expect(lines.length).toBeGreaterThan(40);
    expect(new Set(keys).size).toBe(lines.length);
  });
});
