import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Warehouse } from "../warehouse/index.ts";
import {
  archiveFrom,
  counted,
  expectedFor,
  fakeInflux,
  holdWriter,
  type SimulatedRun,
  simulate,
  warehouseWith,
} from "./fixtures.ts";
import { serialRecord, TraceError, TraceStore } from "./index.ts";

describe("the per-serial record", { timeout: 60_000 }, () => {
  let dir: string;
  let run: SimulatedRun;
  let warehousePath: string;
  let serials: string[];
  let archived: string[];
  const midnight = Date.UTC(2026, 10, 27);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-record-"));
    // Starts before midnight, so that the run spans two archive days.
    run = simulate({
      seed: 7,
      units: 30,
      start: Date.UTC(2026, 10, 26, 23, 42),
      signalRateHz: 2,
      profilerEvery: 3,
      scenarios: ["bad-lot"],
    });
    warehousePath = join(dir, "warehouse.duckdb");
    await warehouseWith(warehousePath, run.points);
    serials = [
      ...new Set(
        run.points.filter((p) => p.measurement === "unit").map((p) => p.tags.serial as string),
      ),
    ];
    // The first day archived by the warehouse's archive writer (the warehouse keeps its rows).
    archived = await archiveFrom(warehousePath, join(dir, "archive"), midnight);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("holds every point the simulator published for a serial, measurement by measurement", async () => {
    const store = await TraceStore.open({ warehousePath });
    try {
      const checked = serials.slice(0, 4);
      for (const serial of checked) {
        const record = await store.withSession((s) => serialRecord(s, serial));
        const expected = expectedFor(run.points, serial);
        const got = counted(record);
        expect(record.visits.map((v) => [v.station, v.start, v.complete])).toEqual(
          expected.visits.map((v) => [v.station, v.start, v.complete]),
        );
        expect(Object.fromEntries(got.signals)).toEqual(Object.fromEntries(expected.signals));
        expect(Object.fromEntries(got.environment)).toEqual(
          Object.fromEntries(expected.environment),
        );
        expect(Object.fromEntries(got.byMeasurement)).toEqual(
          Object.fromEntries(expected.byMeasurement),
        );
        expect(got.events).toBe(expected.events);
      }
      // Profiled boards carry their profile; the reflow oven's own signal is there for every board.
      const profiled = await store.withSession((s) => serialRecord(s, serials[0] as string));
      expect(
        profiled.visits.find((v) => v.station === "reflow")?.signals.reflow?.length,
      ).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("reads the archive and the warehouse without counting a day twice, and the archive alone for archived days", async () => {
    const archive = join(dir, "archive");
    expect(archived.length).toBeGreaterThan(5);
    const both = await TraceStore.open({ warehousePath, archiveDir: archive });
    const warehouseOnly = await TraceStore.open({ warehousePath });
    const archiveOnly = await TraceStore.open({ archiveDir: archive });
    try {
      const straddling = serials.find((serial) => {
        const ts = run.points.filter((p) => p.tags.serial === serial).map((p) => p.ts);
        return Math.min(...ts) < midnight && Math.max(...ts) >= midnight;
      });
      expect(straddling).toBeDefined();
      const a = await both.withSession((s) => serialRecord(s, straddling as string));
      const b = await warehouseOnly.withSession((s) => serialRecord(s, straddling as string));
      expect(counted(a)).toEqual(counted(b));
      expect(a.visits).toEqual(b.visits);

      const early = serials.find(
        (serial) =>
          Math.max(...run.points.filter((p) => p.tags.serial === serial).map((p) => p.ts)) <
          midnight,
      );
      expect(early).toBeDefined();
      const c = await archiveOnly.withSession((s) => serialRecord(s, early as string));
      const d = await warehouseOnly.withSession((s) => serialRecord(s, early as string));
      expect(counted(c)).toEqual(counted(d));
      expect(c.materials).toEqual(d.materials);
    } finally {
      await both.close();
      await warehouseOnly.close();
      await archiveOnly.close();
    }
  });

  it("takes what the archive and warehouse lack from InfluxDB, without reading anything twice", async () => {
    // The warehouse has been synced up to a point; InfluxDB holds everything (its retention covers it).
    const serial = serials[6] as string;
    const visits = expectedFor(run.points, serial).visits;
    const cut = (visits[3] as { start: number }).start;
    const partial = join(dir, "partial.duckdb");
    await warehouseWith(
      partial,
      run.points.filter((p) => p.ts < cut),
      { to: cut, measurements: [...new Set(run.points.map((p) => p.measurement))] },
    );
    const influx = fakeInflux(run.points);
    const store = await TraceStore.open({ warehousePath: partial }, influx);
    const full = await TraceStore.open({ warehousePath });
    try {
      const a = await store.withSession((s) => serialRecord(s, serial));
      const b = await full.withSession((s) => serialRecord(s, serial));
      expect(counted(a)).toEqual(counted(b));
      expect(a.containers).toEqual(b.containers);
      expect(influx.queries.length).toBeGreaterThan(0);
      // Every InfluxDB query starts at or after where the warehouse stops (but for the ingestor's
      // self-metrics, which the warehouse never had).
      for (const q of influx.queries.filter((q) => !q.query.includes("tracebox_ingest"))) {
        const from = q.params.from;
        if (from instanceof Date) expect(from.getTime(), q.query).toBeGreaterThanOrEqual(cut);
      }
    } finally {
      await store.close();
      await full.close();
    }
  });

  it("with the writer holding the warehouse, reads the archive and InfluxDB, and says when only the warehouse could answer", async () => {
    const archive = join(dir, "archive");
    const late = serials.at(-1) as string;
    const early = serials[0] as string;
    const writer = await holdWriter(warehousePath);
    // InfluxDB keeps one hour, and "now" is a day after the run: the run's second day is only in the warehouse.
    const now = () => midnight + 86_400_000;
    const store = await TraceStore.open(
      { warehousePath, archiveDir: archive, now },
      fakeInflux(
        run.points.filter((p) => p.ts >= now() - 3_600_000),
        { retention: "1h0m0s" },
      ),
    );
    const keeps = await TraceStore.open(
      { warehousePath, archiveDir: archive, now },
      fakeInflux(run.points),
    );
    try {
      const record = await store.withSession((s) => serialRecord(s, early));
      expect(record.visits.length).toBeGreaterThan(0);
      // A unit made across midnight: its first day from the archive, the rest only in the warehouse.
      const partial = await store.withSession((s) => serialRecord(s, late));
      expect(partial.completeness.gaps.map((g) => g.kind)).toContain("warehouse-only");
      expect(partial.completeness.processLevel).toBeLessThan(3);
      // Not found here may be there: not a 404.
      const error = await store
        .withSession((s) => serialRecord(s, "TBX2611270999ZZ"))
        .catch((e: unknown) => e);
      expect((error as TraceError).reason).toBe("source-unavailable");
      expect((error as TraceError).message).toMatch(/only in the warehouse/);
      // With InfluxDB keeping everything, the tail answers for the second day.
      const tail = await keeps.withSession((s) => serialRecord(s, late));
      expect(tail.visits.length).toBeGreaterThan(partial.visits.length);
      expect(tail.completeness.gaps.map((g) => `${g.kind} ${g.detail}`).join("\n")).not.toContain(
        "warehouse-only",
      );
    } finally {
      await store.close();
      await keeps.close();
      await writer.release();
    }
  });

  it("an unknown serial is not-found, and one InfluxDB may hold while it is down is source-unavailable", async () => {
    const store = await TraceStore.open({ warehousePath });
    const down = await TraceStore.open({ warehousePath }, fakeInflux([], { down: true }));
    try {
      for (const serial of [
        "NOPE0001",
        "x' OR '1'='1",
        "'; DROP TABLE unit_event; --",
        'a"b\\c',
        "TBX%",
        "*",
      ]) {
        const error = await store
          .withSession((s) => serialRecord(s, serial))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TraceError);
        expect((error as TraceError).reason).toBe("not-found");
      }
      const error = await down
        .withSession((s) => serialRecord(s, "NOPE0001"))
        .catch((e: unknown) => e);
      expect((error as TraceError).reason).toBe("source-unavailable");
      // What the cold sources hold still answers, with the gap named.
      const record = await down.withSession((s) => serialRecord(s, serials[0] as string));
      expect(record.visits.length).toBeGreaterThan(0);
    } finally {
      await store.close();
      await down.close();
    }
    const warehouse = await Warehouse.open(warehousePath);
    try {
      const [row] = await warehouse.all<{ n: number }>("SELECT count(*) AS n FROM unit_event");
      expect(row?.n).toBe(run.points.filter((p) => p.measurement === "unit").length);
    } finally {
      warehouse.close();
    }
  });
});
