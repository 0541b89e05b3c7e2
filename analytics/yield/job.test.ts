import { describe, expect, it } from "vitest";
import { at, DAY0, type Fixture, HOUR, SMALL_LINE, tested, withWarehouse } from "./fixtures.ts";
import {
  defectPareto,
  firstPassYield,
  paretoLines,
  rolledThroughputYield,
  runYield,
  YieldError,
  yieldLines,
} from "./index.ts";

/** An InfluxDB that keeps every batch written to it. */
function recordingInflux() {
  const batches: string[][] = [];
  return {
    batches,
    lines: () => batches.flat(),
    write: async (lines: readonly string[]) => {
      batches.push([...lines]);
    },
  };
}

const DAY = 24 * HOUR;

describe("runYield", () => {
  it("writes station yields, route yields and Paretos of everything touched in the last 2 days", async () => {
    const influx = recordingInflux();
    const { result, expected } = await withWarehouse(SMALL_LINE, async (w) => {
      const result = await runYield(w, influx, { now: () => at(12) });
      const stations = await firstPassYield(w);
      const routes = await rolledThroughputYield(w);
      const pareto = await defectPareto(w);
      return {
        result,
        expected: [...yieldLines(stations), ...yieldLines(routes), ...paretoLines(pareto)],
      };
    });
    // Result records of the hour rows: aoi 5 + 1 retest, ict 4 + 1, fct 3 + 1.
    expect(result).toEqual({ rowsIn: 15, rowsOut: expected.length, from: DAY0 });
    expect(influx.lines()).toEqual(expected);
    expect(influx.lines().filter((l) => l.startsWith("yield,")).length).toBe(8);
    expect(influx.lines().filter((l) => l.startsWith("defect_pareto,")).length).toBe(14);
  });

  it("writes identical lines for the same input, whatever the order the rows arrived in", async () => {
    const run = async (fixtures: readonly Fixture[]) => {
      const influx = recordingInflux();
      await withWarehouse(fixtures, async (w) => {
        await runYield(w, influx, { now: () => at(12) });
        await runYield(w, influx, { now: () => at(12) });
      });
      return influx.batches;
    };
    const [first, again] = await run(SMALL_LINE);
    expect(first?.length).toBeGreaterThan(0);
    expect(again).toEqual(first);
    const [reversed] = await run([...SMALL_LINE].reverse());
    expect(reversed).toEqual(first);
  });

  it("recomputes only periods touched since `since`, including the first-test period of a late retest", async () => {
    const dayThree = 3 * DAY;
    const later: Fixture[] = [
      ...SMALL_LINE,
      ...tested("C1", "aoi", "pass", at(72 + 9), { product: "P1" }),
    ];
    await withWarehouse(later, async (w) => {
      const quiet = recordingInflux();
      const onlyDayThree = await runYield(w, quiet, { now: () => at(72 + 12) });
      expect(onlyDayThree.from).toBe(DAY0 + dayThree);
      expect(
        quiet.lines().every((l) => l.endsWith(` ${DAY0 + dayThree}`) || l.endsWith(` ${at(81)}`)),
      ).toBe(true);

      // A2 is tested again at aoi on day 3: its row is hour 10 of day 0, which must be rewritten.
      await w.run(
        "INSERT INTO test_result (site, line, station, serial, kind, result, ts) VALUES ('S1', 'L1', 'aoi', 'A2', 'aoi', 'pass', $ts)",
        { ts: BigInt(at(72 + 10)) },
      );
      const touched = recordingInflux();
      const rewrite = await runYield(w, touched, { now: () => at(72 + 12) });
      expect(rewrite.from).toBe(DAY0);
      expect(touched.lines()).toContain(
        "yield,kind=aoi,line=L1,period=hour,product=P1,site=S1,station=aoi final_passed=5i,final_yield=1,first_pass_passed=4i,fpy=0.8,retest_pass_rate=1,retest_passed=1i,retested=1i,retests=2i,scrapped=0i,tested=5i 1740996000000",
      );

      // A5 scrapped at aoi on day 4: a scrap alone touches its cohort too.
      await w.run(
        "INSERT INTO unit_event (site, line, station, serial, event, result, seen, ts) VALUES ('S1', 'L1', 'aoi', 'A5', 'complete', 'scrap', true, $ts)",
        { ts: BigInt(at(96 + 1)) },
      );
      const scrapped = recordingInflux();
      const afterScrap = await runYield(w, scrapped, { now: () => at(96 + 2), lookbackMs: HOUR });
      expect(afterScrap.from).toBe(DAY0);
      expect(scrapped.lines()).toContain(
        "yield,kind=aoi,line=L1,period=day,product=P1,site=S1,station=aoi final_passed=4i,final_yield=0.8,first_pass_passed=4i,fpy=0.8,retest_pass_rate=1,retest_passed=1i,retested=1i,retests=2i,scrapped=1i,tested=5i 1740960000000",
      );
    });
  });

  it("writes nothing when nothing happened since `since`", async () => {
    const influx = recordingInflux();
    const result = await withWarehouse(SMALL_LINE, (w) => runYield(w, influx, { since: at(12) }));
    expect(result).toEqual({ rowsIn: 0, rowsOut: 0, from: null });
    expect(influx.batches).toEqual([]);
  });

  it("writes in batches of batchSize lines", async () => {
    const whole = recordingInflux();
    const batched = recordingInflux();
    await withWarehouse(SMALL_LINE, async (w) => {
      await runYield(w, whole, { now: () => at(12) });
      await runYield(w, batched, { now: () => at(12), batchSize: 5 });
    });
    const total = whole.lines().length;
    expect(batched.batches.map((b) => b.length)).toEqual([
      ...Array<number>(Math.floor(total / 5)).fill(5),
      ...(total % 5 ? [total % 5] : []),
    ]);
    expect(batched.lines()).toEqual(whole.lines());
  });

  it("throws the write's error as is", async () => {
    const refused = new Error("influx down");
    const error = await withWarehouse(SMALL_LINE, (w) =>
      runYield(w, { write: () => Promise.reject(refused) }, { now: () => at(12) }),
    ).catch((e) => e);
    expect(error).toBe(refused);
  });

  it("refuses bad options, naming them", async () => {
    const error = await withWarehouse([], (w) =>
      runYield(w, recordingInflux(), { lookbackMs: 0 }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(YieldError);
    expect(error.message).toBe("lookbackMs must be a positive integer (ms), got 0");
  });
});
