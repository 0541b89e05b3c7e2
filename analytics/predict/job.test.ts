import { describe, expect, it } from "vitest";
import { Warehouse } from "../warehouse/index.ts";
import { type Driver, driverLines, PredictError, riskLines, runPredict } from "./index.ts";
import { syntheticUnits } from "./synthetic.ts";

const NOW = 1_800_000_000_000;

describe("risk and driver points", () => {
  it("serialize risk scores with serial as a tag, at the unit's time", () => {
    const lines = riskLines(
      [
        {
          id: "SN1",
          score: 0.25,
          time: 1_795_759_200_000,
          site: "plant1",
          line: "line1",
          product: "PCB-A",
        },
        { id: "SN 2", score: 0.5 },
      ],
      { target: "ict", at: NOW },
    );
    expect(lines).toEqual([
      "risk,line=line1,product=PCB-A,serial=SN1,site=plant1,target=ict score=0.25 1795759200000",
      `risk,line=unknown,serial=SN\\ 2,site=unknown,target=ict score=0.5 ${NOW}`,
    ]);
  });

  it("serialize drivers with their rank, effect, interval, p, q and sentence", () => {
    const driver: Driver = {
      feature: "lot_C3",
      kind: "categorical",
      effect: 34,
      ciLow: 19,
      ciHigh: 61,
      p: 1e-40,
      q: 2e-39,
      summary: 'boards with lot_C3 = N2544-9117 failed ICT 34× as often ("bad lot")',
      test: "chi-square",
      units: 1475,
      failed: 46,
      group: "N2544-9117",
      groupUnits: 434,
      groupRate: 0.39,
      otherRate: 0.012,
      levels: 3,
    };
    const [line] = driverLines([{ ...driver, ciLow: null, ciHigh: null }, driver], {
      target: "ict",
      at: NOW,
      site: "plant1",
      line: "line1",
    });
    expect(line).toBe(
      `defect_driver,feature=lot_C3,line=line1,rank=1,site=plant1,target=ict effect=34,failed=46i,group="N2544-9117",kind="categorical",p=1e-40,q=2e-39,summary="boards with lot_C3 = N2544-9117 failed ICT 34× as often (\\"bad lot\\")",test="chi-square",units=1475i ${NOW}`,
    );
  });
});

async function warehouseWithFeatures(): Promise<Warehouse> {
  const warehouse = await Warehouse.open(":memory:");
  await warehouse.run(
    "CREATE TABLE unit_features (serial VARCHAR, site VARCHAR, line VARCHAR, product VARCHAR, first_seen BIGINT, last_seen BIGINT, lot_c3 VARCHAR, reflow_peak_c DOUBLE, spi_volume_u1 DOUBLE, aoi_first_result VARCHAR, ict_first_result VARCHAR, ict_defect_count BIGINT)",
  );
  const units = syntheticUnits({
    units: 900,
    continuous: 2,
    categorical: { lot: ["K2629-4425", "N2544-9117", "N2631-5333"] },
    logOdds: (u) => -3.5 + (u.lot === "N2544-9117" ? 2.5 : 0),
    seed: 29,
  });
  for (const [i, u] of units.entries()) {
    const tested = i < 860;
    await warehouse.run(
      "INSERT INTO unit_features VALUES ($serial, 'plant1', 'line1', 'PCB-A', $ts, $last, $lot, $peak, $volume, $aoi, $ict, $defects)",
      {
        serial: u.serial as string,
        ts: BigInt(u.ts as number),
        // The last record of a unit is its last test: known only after the outcome.
        last: BigInt((u.ts as number) + (u.failed === 1 ? 900_000 : 600_000)),
        lot: u.lot as string,
        peak: 245 + (u.x1 as number),
        volume: 95 + 5 * (u.x2 as number),
        aoi: i % 17 === 0 ? "fail" : "pass",
        ict: tested ? (u.failed === 1 ? "fail" : "pass") : null,
        defects: tested ? (u.failed as number) : null,
      },
    );
  }
  return warehouse;
}

describe("runPredict", () => {
  it("trains every target with an outcome column and writes drivers and risk scores", async () => {
    const warehouse = await warehouseWithFeatures();
    const written: string[] = [];
    try {
      const result = await runPredict({
        warehouse,
        influx: { write: async (lines) => void written.push(...lines) },
        options: {
          targets: ["aoi", "ict", "fct"],
          folds: 3,
          cGrid: [0.01, 0.1, 1],
          now: () => NOW,
          batchSize: 100,
        },
      });
      expect(result.skipped).toEqual([
        {
          target: "fct",
          reason: expect.stringContaining("unit_features has no outcome column fct_first_result"),
        },
      ]);
      expect(result.targets.map((t) => t.target)).toEqual(["aoi", "ict"]);
      const ict = result.targets[1];
      expect(ict).toMatchObject({ target: "ict", units: 860, untested: 40 });
      expect(ict?.cvAuc as number).toBeGreaterThan(0.7);
      expect(result.rowsIn).toBe(1800);
      expect(result.rowsOut).toBe(written.length);
      const ictDrivers = written.filter(
        (l) => l.startsWith("defect_driver,") && l.includes("target=ict"),
      );
      // What is known only after the test is never a feature.
      for (const leak of ["ict_defect_count", "aoi_first_result", "last_seen"]) {
        expect(ictDrivers.some((l) => l.includes(`feature=${leak},`))).toBe(false);
      }
      expect(ictDrivers[0]).toMatch(
        /^defect_driver,feature=lot_c3,line=line1,rank=1,site=plant1,target=ict ci_high=[\d.]+,ci_low=[\d.]+,effect=[\d.]+,.*group="N2544-9117".* 1800000000000$/,
      );
      const risk = written.filter((l) => l.startsWith("risk,") && l.includes("target=ict"));
      expect(risk).toHaveLength(40);
      expect(risk[0]).toMatch(
        /^risk,line=line1,product=PCB-A,serial=SN\d{6},site=plant1,target=ict score=0\.\d+ 17957\d{8}$/,
      );
      // Units over the threshold, for the caller to raise alerts.
      expect(result.atRisk.every((u) => u.score >= 0.1 && u.target === "ict")).toBe(true);
      expect(result.atRisk.length).toBeGreaterThan(0);
    } finally {
      warehouse.close();
    }
  });

  it("refuses with a retryable error while the feature table does not exist", async () => {
    const warehouse = await Warehouse.open(":memory:");
    try {
      const run = runPredict({ warehouse, influx: { write: async () => {} } });
      await expect(run).rejects.toThrow(PredictError);
      await expect(run).rejects.toMatchObject({ reason: "features-unavailable", retryable: true });
    } finally {
      warehouse.close();
    }
  });
});
