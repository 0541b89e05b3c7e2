import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Warehouse } from "../warehouse/index.ts";
import { type SimulatedRun, simulate, warehouseWith } from "./fixtures.ts";
import { TraceError, TraceStore, traceBackward, traceForward } from "./index.ts";

describe("genealogy", { timeout: 60_000 }, () => {
  let dir: string;
  let run: SimulatedRun;
  let store: TraceStore;
  let serials: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-genealogy-"));
    run = simulate({ seed: 11, units: 45, signalRateHz: 1, scenarios: ["bad-lot"] });
    const path = join(dir, "warehouse.duckdb");
    await warehouseWith(path, run.points);
    const warehouse = await Warehouse.open(path);
    try {
      // An SPC violation as the alert sink stores it: the units to hold, by id.
      await warehouse.run(
        `INSERT INTO alert (site, line, station, rule, state, source, id, characteristic, value, "limit", serial_count, serials, ts)
         VALUES ('plant1', 'line1', 'reflow', 'we1', 'raised', 'spc', 'spc/z7/location/we1/above/1', 'z7_top_c', 263.1, 262.5, 2, $serials, 1)`,
        { serials: JSON.stringify(["TBX261127000101", "TBX2611270002YN"]) },
      );
    } finally {
      warehouse.close();
    }
    store = await TraceStore.open({ warehousePath: path });
    serials = [
      ...new Set(
        run.points.filter((p) => p.measurement === "unit").map((p) => p.tags.serial as string),
      ),
    ].sort();
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("forward and backward agree: a lot reaches exactly the serials whose genealogy names it", async () => {
    const lotsOf = new Map<string, Set<string>>();
    for (const serial of serials) {
      const back = await store.withSession((s) => traceBackward(s, serial));
      expect(back.serial).toBe(serial);
      lotsOf.set(serial, new Set(back.lots.map((l) => l.lot as string)));
      // Every placement of the simulator for this serial, by ref, lot, supplier and date code.
      const sent = run.points
        .filter((p) => p.measurement === "placement" && p.tags.serial === serial)
        .map((p) => [p.tags.ref, p.fields.lot, p.fields.supplier, p.fields.date_code])
        .sort();
      expect(back.placements.map((p) => [p.ref, p.lot, p.supplier, p.date_code]).sort()).toEqual(
        sent,
      );
    }
    const lots = new Set([...lotsOf.values()].flatMap((set) => [...set]));
    expect(lots.size).toBeGreaterThan(20);
    for (const lot of lots) {
      const forward = await store.withSession((s) => traceForward(s, { lot }));
      const expected = serials.filter((serial) => lotsOf.get(serial)?.has(lot));
      expect(
        forward.units.map((u) => u.serial),
        lot,
      ).toEqual(expected);
      expect(forward.counts.units).toBe(expected.length);
    }
  }, 120_000);

  it("names where each affected unit is: box, pallet, shipment, or its last station", async () => {
    const badLot = run.points.find(
      (p) => p.measurement === "placement" && p.fields.lot === "N2544-9117",
    );
    expect(badLot).toBeDefined();
    const forward = await store.withSession((s) => traceForward(s, { lot: "N2544-9117" }));
    expect(forward.units.length).toBeGreaterThan(0);
    for (const unit of forward.units) {
      expect(unit.refs.every((ref) => ref === "C3" || ref === "C4")).toBe(true);
      const back = await store.withSession((s) => traceBackward(s, unit.serial));
      const box = back.containers.find((c) => c.level === 1)?.container ?? null;
      expect(unit.box).toBe(box);
      if (unit.location === "shipped") expect(unit.shipment).not.toBeNull();
      if (unit.location === "left-line") expect(["fail", "scrap"]).toContain(unit.latest?.result);
      const lastComplete = back.process
        .filter((v) => v.complete !== null)
        .sort((a, b) => (a.complete as number) - (b.complete as number))
        .at(-1);
      expect(unit.latest?.result).toBe(lastComplete?.result ?? undefined);
    }
    expect(Object.values(forward.counts.byLocation).reduce((a, b) => a + b, 0)).toBe(
      forward.units.length,
    );
  });

  it("a part from a supplier reaches the union of that part's lots from that supplier", async () => {
    const placements = run.points.filter(
      (p) => p.measurement === "placement" && p.fields.part === "200-0603-10U",
    );
    const supplier = placements[0]?.fields.supplier as string;
    const expected = [
      ...new Set(
        placements
          .filter((p) => p.fields.supplier === supplier)
          .map((p) => p.tags.serial as string),
      ),
    ].sort();
    const forward = await store.withSession((s) =>
      traceForward(s, { part: "200-0603-10U", supplier }),
    );
    expect(forward.units.map((u) => u.serial)).toEqual(expected);
  });

  it("an SPC violation's scope is the units it named; an unknown one is not-found", async () => {
    const forward = await store.withSession((s) =>
      traceForward(s, { spcViolation: "spc/z7/location/we1/above/1" }),
    );
    expect(forward.units.map((u) => u.serial)).toEqual(["TBX261127000101", "TBX2611270002YN"]);
    const error = await store
      .withSession((s) => traceForward(s, { spcViolation: "nope" }))
      .catch((e: unknown) => e);
    expect((error as TraceError).reason).toBe("not-found");
  });

  it("hostile lots, parts and serials are values, not SQL", async () => {
    for (const lot of ["x' OR '1'='1", "'; DROP TABLE placement; --", "%", "N2544-9117' --"]) {
      const forward = await store.withSession((s) => traceForward(s, { lot }));
      expect(forward.units).toEqual([]);
    }
    const error = await store
      .withSession((s) => traceBackward(s, "x' OR serial IS NOT NULL --"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).reason).toBe("not-found");
    const still = await store.withSession((s) => traceForward(s, { lot: "N2544-9117" }));
    expect(still.units.length).toBeGreaterThan(0);
  });
});
