import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateLine } from "../../simulator/index.ts";
import { buildUnitFeatures, Warehouse } from "../warehouse/index.ts";
import { type PredictRunResult, runPredict } from "./index.ts";
import { loadSimulatedLine } from "./simulated-warehouse.ts";

// The simulator's humidity scenario through the warehouse: the hall's humidity climbs to 70 %RH
// for a quarter of the run and paste printed then wets worse (insufficient solder at AOI).
// 3,000 boards, not 1,500: the planted effect adds about a dozen AOI fails per 1,500 boards to
// ~35 (AOI fails ~7 % of exposed boards against ~1.6 %), which a rank test over ~70 candidate
// features does not single out (q ≈ 0.1 at 1,500; README.md, "Known answers"). Lots whose reels
// ran through the excursion fail as often; among boards alike in humidity they fail no more often,
// so they ride along and rank after it. Seed 3 is the hardest of the four measured: there four lots
// ranked above the humidity before that check.

const NOW = 1_800_000_000_000;

describe.each([23, 3])(
  "the predict job on a simulated line with a humidity excursion (seed %i)",
  (seed) => {
    let warehouse: Warehouse;
    let written: string[];
    let result: PredictRunResult;

    beforeAll(async () => {
      warehouse = await Warehouse.open(":memory:");
      await loadSimulatedLine(
        warehouse,
        simulateLine({
          seed,
          units: 3000,
          // The hall sensors publish at min(rate, 1 Hz): a sample every 20 s still gives each
          // ~10 min stay on the line some 30 readings per sensor.
          signalRateHz: 0.05,
          profilerEvery: 100_000,
          scenarios: ["humidity"],
        }),
      );
      await buildUnitFeatures(warehouse);
      written = [];
      result = await runPredict({
        warehouse,
        influx: { write: async (lines) => void written.push(...lines) },
        options: { targets: ["aoi"], driversOnly: true, minDesignatorDefects: 0, now: () => NOW },
      });
    }, 120_000);
    afterAll(() => warehouse.close());

    it("ranks the hall humidity during the board's stay first for AOI, lots riding along after it", () => {
      const drivers = written.filter((l) => l.startsWith("defect_driver,"));
      const top = drivers.map((l) => /feature=([^,]+)/.exec(l)?.[1]);
      expect(["env_humidity_mean_rh", "env_humidity_max_rh"]).toContain(top[0]);
      expect(top.slice(0, 2).sort()).toEqual(["env_humidity_max_rh", "env_humidity_mean_rh"]);
      expect(drivers[0]).toMatch(
        /summary="boards with env_humidity_m(ean|ax)_rh above [\d.]+ \(the upper quartile\) failed AOI/,
      );
      const ciLow = Number(/ci_low=([\d.e+-]+)/.exec(drivers[0] as string)?.[1]);
      expect(ciLow).toBeGreaterThan(2);
      expect(result.targets[0]?.units).toBeGreaterThan(2900);
      // Every lot ranked above the humidity before the check now says what it rides along with.
      const riders = drivers.filter((l) => /it rides along with that/.test(l));
      expect(riders.length).toBeGreaterThan(0);
      for (const line of riders) expect(line).toMatch(/boards alike in env_humidity_m(ean|ax)_rh/);
    });
  },
);
