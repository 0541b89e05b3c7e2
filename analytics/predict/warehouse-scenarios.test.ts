import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateLine } from "../../simulator/index.ts";
import { buildUnitFeatures, Warehouse } from "../warehouse/index.ts";
import { type PredictRunResult, runPredict } from "./index.ts";
import { loadSimulatedLine } from "./simulated-warehouse.ts";

// The whole path of the daily job on a simulated line with two planted faults: the messages go
// through the ingest codec into the warehouse, the warehouse builds unit_features, and runPredict
// trains on them. stencil-clog starves U1's fine-pitch pads of paste (AOI), o2-rise lets the
// oven's O2 climb while the nitrogen pressure drops (FCT); their windows do not overlap.

const NOW = 1_800_000_000_000;
let warehouse: Warehouse;
let written: string[];
let result: PredictRunResult;

beforeAll(async () => {
  warehouse = await Warehouse.open(":memory:");
  await loadSimulatedLine(
    warehouse,
    simulateLine({
      seed: 23,
      units: 1500,
      signalRateHz: 0.2,
      profilerEvery: 100_000,
      scenarios: ["stencil-clog", "o2-rise"],
    }),
  );
  await buildUnitFeatures(warehouse);
  written = [];
  result = await runPredict({
    warehouse,
    influx: { write: async (lines) => void written.push(...lines) },
    options: { targets: ["aoi", "fct"], driversOnly: true, now: () => NOW },
  });
});
afterAll(() => warehouse.close());

function drivers(target: string): string[] {
  return written
    .filter((l) => l.startsWith("defect_driver,") && l.includes(`target=${target} `))
    .map((l) => /feature=([^,]+)/.exec(l)?.[1] as string);
}

describe("the predict job on unit_features of a simulated line", () => {
  it("ranks the oven's atmosphere first for FCT", () => {
    const top = drivers("fct");
    expect(["o2_mean_ppm", "o2_max_ppm", "n2_min_bar", "n2_mean_bar"]).toContain(top[0]);
    expect(top.slice(0, 4).sort()).toEqual([
      "n2_mean_bar",
      "n2_min_bar",
      "o2_max_ppm",
      "o2_mean_ppm",
    ]);
    const o2 = written.find((l) => l.includes("target=fct ") && l.includes("feature=o2_mean_ppm,"));
    expect(o2).toMatch(
      /summary="boards with o2_mean_ppm above [\d.]+ \(the upper quartile\) failed FCT/,
    );
  });

  it("ranks the paste on U1's pads first for AOI", () => {
    const top = drivers("aoi");
    // The share of pads outside the SPI window is U1's alone: the line's total equals it.
    expect(top.slice(0, 2).sort()).toEqual(["spi_U1_outside_share", "spi_outside_share"]);
    expect(top.slice(0, 6)).toContain("spi_U1_volume_mean_pct");
  });

  it("never trains on what is known only after the tests", () => {
    const features = [...drivers("aoi"), ...drivers("fct")];
    expect(
      features.filter((f) =>
        /^(aoi|axi|ict|fct|test)_|^last_seen$|^reflow_(start|complete)$/.test(f),
      ),
    ).toEqual([]);
    expect(result.targets.map((t) => [t.target, t.units > 1400])).toEqual([
      ["aoi", true],
      ["fct", true],
    ]);
    expect(result.rowsOut).toBe(written.length);
  });
});
