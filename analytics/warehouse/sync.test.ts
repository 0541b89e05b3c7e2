import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csvHeader } from "./csv-load.ts";
import {
  type SyncInflux,
  type SyncOptions,
  type SyncSlice,
  syncFromInflux,
  Warehouse,
  WarehouseError,
} from "./index.ts";
import { FakeInflux, type FakePoint, networkError } from "./test-support/fake-influx.ts";

const T = Date.UTC(2026, 10, 27, 6);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let w: Warehouse;
let influx: FakeInflux;
beforeEach(async () => {
  w = await Warehouse.open(":memory:");
  influx = new FakeInflux();
});
afterEach(() => w.close());

const ORIGIN = { site: "S1", line: "L1" };

function oven(time: number, z1: number, o2 = 500): FakePoint {
  return {
    measurement: "reflow",
    tags: { ...ORIGIN, station: "oven" },
    fields: { z1_top_c: z1, o2_ppm: o2 },
    time,
  };
}

/** A plant's worth of points around T: signals, a profiler, records, and results to skip. */
function plant(): void {
  for (let i = 0; i < 120; i++) influx.write(oven(T - 60 * MINUTE + i * 30_000, 240 + i / 10));
  influx.write(
    {
      measurement: "profile",
      tags: { ...ORIGIN, station: "oven", serial: "U1" },
      fields: { tc1_c: 100, note: "glued" },
      time: T - 30 * MINUTE,
    },
    {
      measurement: "unit",
      tags: { ...ORIGIN, station: "printer", serial: "U1", event: "start", product: "P1" },
      fields: { seen: true },
      time: T - 40 * MINUTE,
    },
    {
      measurement: "unit",
      tags: { ...ORIGIN, station: "printer", serial: "U1", event: "complete" },
      fields: { seen: true, result: "pass" },
      time: T - 39 * MINUTE,
    },
    {
      measurement: "event",
      tags: { ...ORIGIN, station: "oven", kind: "alarm", code: "O2_HIGH" },
      fields: { message: "O2 high", seen: true },
      time: T - 20 * MINUTE,
    },
    {
      measurement: "spi",
      tags: { ...ORIGIN, station: "spi", serial: "U1" },
      fields: { result: "pass", pad_count: 2, volume_pct_mean: 98.5, firmware: "x" },
      time: T - 38 * MINUTE,
    },
    {
      measurement: "spc_point",
      tags: { ...ORIGIN, station: "oven" },
      fields: { value: 1 },
      time: T - 10 * MINUTE,
    },
    { measurement: "yield", tags: ORIGIN, fields: { fpy: 0.98 }, time: T - 10 * MINUTE },
  );
  influx.integers.add("spi.pad_count");
}

function options(now: number, extra: Partial<SyncOptions> = {}): Partial<SyncOptions> {
  return { now: () => now, safetyLagMs: 0, ...extra };
}

async function dump(warehouse: Warehouse): Promise<unknown> {
  return {
    signal: await warehouse.all("SELECT * FROM signal ORDER BY measurement, field, ts"),
    // Each series once, however often its slices were re-read (ids aside: a rolled-back slice may
    // have drawn some).
    series: await warehouse.all(
      "SELECT measurement, site, line, station, serial, field FROM signal_series ORDER BY ALL",
    ),
    unit: await warehouse.all("SELECT * FROM unit_event ORDER BY ts"),
    event: await warehouse.all("SELECT * FROM station_event ORDER BY ts"),
    spi: await warehouse.all("SELECT * FROM spi_board ORDER BY ts"),
    watermarks: await warehouse.all(
      "SELECT measurement, synced_to, rows_total FROM sync_watermark ORDER BY measurement",
    ),
  };
}

describe("syncFromInflux", () => {
  it("puts record measurements in their tables and every numeric signal value in `signal`", async () => {
    plant();
    const result = await syncFromInflux(w, influx, options(T));
    expect(result.skipped.sort()).toEqual(["spc_point", "yield"]);
    const by = Object.fromEntries(result.measurements.map((m) => [m.measurement, m]));
    expect(by.reflow).toMatchObject({ kind: "signal", table: "signal", rowsIn: 120, rowsOut: 240 });
    expect(by.profile).toMatchObject({ rowsIn: 1, rowsOut: 1, ignoredFields: ["note"] });
    expect(by.unit).toMatchObject({ kind: "record", table: "unit_event", rowsIn: 2, rowsOut: 2 });
    expect(by.spi).toMatchObject({ rowsOut: 1, ignoredFields: ["firmware"] });
    expect(result.rowsIn).toBe(120 + 1 + 2 + 1 + 1);
    expect(result.rowsOut).toBe(240 + 1 + 2 + 1 + 1);

    expect(await w.all("SELECT * FROM signal WHERE measurement = 'profile'")).toEqual([
      {
        measurement: "profile",
        site: "S1",
        line: "L1",
        station: "oven",
        serial: "U1",
        field: "tc1_c",
        value: 100,
        ts: T - 30 * MINUTE,
      },
    ]);
    expect(
      await w.all(
        "SELECT count(*) AS n, count(serial) AS with_serial FROM signal WHERE measurement = 'reflow'",
      ),
    ).toEqual([{ n: 240, with_serial: 0 }]);
    expect(
      await w.all("SELECT serial, event, product, result, seen, ts FROM unit_event ORDER BY ts"),
    ).toEqual([
      {
        serial: "U1",
        event: "start",
        product: "P1",
        result: null,
        seen: true,
        ts: T - 40 * MINUTE,
      },
      {
        serial: "U1",
        event: "complete",
        product: null,
        result: "pass",
        seen: true,
        ts: T - 39 * MINUTE,
      },
    ]);
    // `code` is a tag in InfluxDB; it lands in its column all the same.
    expect(await w.all("SELECT kind, code, message, seen FROM station_event")).toEqual([
      { kind: "alarm", code: "O2_HIGH", message: "O2 high", seen: true },
    ]);
    expect(await w.all("SELECT result, pad_count, volume_pct_mean FROM spi_board")).toEqual([
      { result: "pass", pad_count: 2, volume_pct_mean: 98.5 },
    ]);
    expect(
      await w.all("SELECT count(*) AS n FROM signal WHERE measurement IN ('spc_point', 'yield')"),
    ).toEqual([{ n: 0 }]);
  });

  it("gives the same rows when run again, re-reading only the late window", async () => {
    plant();
    await syncFromInflux(w, influx, options(T));
    const first = await dump(w);
    const again = await syncFromInflux(w, influx, options(T + MINUTE));
    expect(await dump(w)).toEqual({
      ...(first as object),
      watermarks: expect.anything(),
    });
    const reflow = again.measurements.find((m) => m.measurement === "reflow");
    // [T − 5 min, T + 1 min): the 10 oven points of the last 5 minutes come back.
    expect(reflow).toMatchObject({
      from: T - 5 * MINUTE,
      to: T + MINUTE,
      rowsIn: 10,
      rowsReplaced: 20,
    });
    expect(
      await w.all(
        "SELECT measurement, synced_to, rows_total FROM sync_watermark WHERE measurement = 'reflow'",
      ),
    ).toEqual([{ measurement: "reflow", synced_to: T + MINUTE, rows_total: 240 }]);
  });

  it("picks up late points inside the window and leaves older ones to `since`", async () => {
    plant();
    await syncFromInflux(w, influx, options(T));
    influx.write(oven(T - 2 * MINUTE - 1, 999), oven(T - 20 * MINUTE - 1, 777));
    await syncFromInflux(w, influx, options(T + 1000));
    const late = () =>
      w.all<{ value: number }>(
        "SELECT value FROM signal WHERE field = 'z1_top_c' AND value > 700 ORDER BY value",
      );
    expect(await late()).toEqual([{ value: 999 }]);
    await syncFromInflux(w, influx, options(T + 2000, { since: T - HOUR }));
    expect(await late()).toEqual([{ value: 777 }, { value: 999 }]);
    expect(await w.all("SELECT count(*) AS n FROM signal WHERE measurement = 'reflow'")).toEqual([
      { n: 244 },
    ]);
  });

  it("commits slice by slice and jumps over stretches without points", async () => {
    influx.write(oven(T - 30 * 24 * HOUR, 200), oven(T - 30 * 24 * HOUR + 90 * MINUTE, 201));
    influx.write(oven(T - HOUR, 202));
    const slices: [number, number][] = [];
    const result = await syncFromInflux(
      w,
      influx,
      // sliceValues 1: every slice holds more, so none grows (growth has a test of its own).
      options(T, { sliceValues: 1, onProgress: (s) => slices.push([s.from, s.to]) }),
    );
    const start = T - 30 * 24 * HOUR;
    // After a slice with points the next follows on; after an empty one, the next point is looked up.
    expect(slices).toEqual([
      [start, start + HOUR],
      [start + HOUR, start + 2 * HOUR],
      [start + 2 * HOUR, start + 3 * HOUR],
      [start + 3 * HOUR, T],
    ]);
    expect(result.measurements[0]).toMatchObject({ slices: 4, rowsOut: 6, from: start });
  });

  it("lets slices of sparse data grow to about sliceValues values, up to 24 × sliceMs", async () => {
    // One oven reading of two fields every 10 minutes for two days: 12 values an hour.
    for (let i = 0; i < 288; i++) influx.write(oven(T - 48 * HOUR + i * 10 * MINUTE, i));
    const start = T - 48 * HOUR;
    const run = async (sliceValues: number) => {
      const into = await Warehouse.open(":memory:");
      const slices: [number, number, number][] = [];
      try {
        await syncFromInflux(
          into,
          influx,
          options(T, {
            sliceValues,
            onProgress: (s) => slices.push([s.from - start, s.to - start, s.rowsIn]),
          }),
        );
        expect(await into.all("SELECT count(*) AS n FROM signal")).toEqual([{ n: 576 }]);
      } finally {
        into.close();
      }
      return slices;
    };
    // 60 values: after the first hour (12 values), slices of 5 h (30 points, 60 values).
    const five = await run(60);
    expect(five[0]).toEqual([0, HOUR, 6]);
    expect(five.slice(1, -1)).toEqual(
      Array.from({ length: 9 }, (_, k) => [HOUR + k * 5 * HOUR, HOUR + (k + 1) * 5 * HOUR, 30]),
    );
    expect(five.at(-1)).toEqual([46 * HOUR, 48 * HOUR, 12]);
    // A billion: capped at 24 slices of sliceMs.
    expect(await run(1e9)).toEqual([
      [0, HOUR, 6],
      [HOUR, 25 * HOUR, 144],
      [25 * HOUR, 48 * HOUR, 138],
    ]);
    // Dense data keeps slices of sliceMs: 12 values an hour is dense for sliceValues 12.
    expect((await run(12)).length).toBe(48);
  });

  it("rolls back the slice in flight when interrupted, and a rerun gives what one run gives", async () => {
    plant();
    for (let i = 1; i <= 3; i++) influx.write(oven(T - (10 + i) * HOUR, 100 + i));
    const reference = await Warehouse.open(":memory:");
    try {
      await syncFromInflux(reference, influx, options(T));
      let commits = 0;
      let cut: SyncSlice | undefined;
      await expect(
        syncFromInflux(
          w,
          influx,
          options(T, {
            beforeCommit: (slice) => {
              commits++;
              if (commits === 3) {
                cut = slice;
                throw new Error("power cut");
              }
            },
          }),
        ),
      ).rejects.toThrow("power cut");
      // Reflow's two slices are in (the widest measurement goes first; its sparse older hours
      // make the second slice reach T); nothing of the third commit, the next measurement's first.
      expect(
        await w.all("SELECT measurement, synced_to FROM sync_watermark ORDER BY measurement"),
      ).toEqual([{ measurement: "reflow", synced_to: T }]);
      expect(cut?.measurement).toBeDefined();
      expect(cut?.measurement).not.toBe("reflow");
      const table = cut?.table ?? "";
      expect(
        await w.all(
          table === "signal"
            ? "SELECT count(*) AS n FROM signal WHERE measurement = $m"
            : `SELECT count(*) AS n FROM "${table}" WHERE $m IS NOT NULL`,
          { m: cut?.measurement ?? "" },
        ),
      ).toEqual([{ n: 0 }]);
      await syncFromInflux(w, influx, options(T));
      expect(await dump(w)).toEqual(await dump(reference));
    } finally {
      reference.close();
    }
  });

  it("turns a broken InfluxDB answer into a retryable error and keeps nothing of that slice", async () => {
    plant();
    influx.failChunk = { at: 2, error: networkError() };
    const error = await syncFromInflux(w, influx, options(T)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect(error).toMatchObject({ reason: "influx" });
    expect((error as WarehouseError).canRetry()).toBe(true);
    const partial = await dump(w);
    await syncFromInflux(w, influx, options(T));
    const full = await dump(w);
    expect(partial).not.toEqual(full);
    expect((full as { signal: unknown[] }).signal).toHaveLength(241);
  });

  it("stops between chunks when aborted", async () => {
    plant();
    const controller = new AbortController();
    const error = await syncFromInflux(
      w,
      influx,
      options(T, {
        signal: controller.signal,
        chunkSize: 10,
        onProgress: () => controller.abort(),
      }),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "aborted" });
    expect((error as WarehouseError).canRetry()).toBe(true);
    expect(await w.all("SELECT count(*) AS n FROM sync_watermark")).toEqual([{ n: 1 }]);
  });

  it("stores a value that does not fit its column as NULL and says so", async () => {
    influx.write({
      measurement: "spi",
      tags: { ...ORIGIN, station: "spi", serial: "U9" },
      fields: { result: "pass", volume_pct_mean: "high" },
      time: T - MINUTE,
    });
    const result = await syncFromInflux(w, influx, options(T));
    expect(result.measurements[0]).toMatchObject({ mistypedValues: 1, rowsOut: 1 });
    expect(await w.all("SELECT serial, volume_pct_mean FROM spi_board")).toEqual([
      { serial: "U9", volume_pct_mean: null },
    ]);
  });

  it("leaves the watermark alone when the clock went back", async () => {
    plant();
    await syncFromInflux(w, influx, options(T));
    const result = await syncFromInflux(w, influx, options(T - HOUR));
    expect(result.rowsIn).toBe(0);
    expect(result.measurements.every((m) => m.slices === 0 && m.to === T)).toBe(true);
    expect(await w.all("SELECT DISTINCT synced_to FROM sync_watermark")).toEqual([
      { synced_to: T },
    ]);
  });

  it("refuses options out of range, naming them", async () => {
    await expect(syncFromInflux(w, influx, { sliceMs: 0 })).rejects.toThrow(/sliceMs=0/);
    await expect(syncFromInflux(w, influx, { lateWindowMs: -1 })).rejects.toMatchObject({
      reason: "bad-option",
    });
    await expect(syncFromInflux(w, influx, { chunkSize: 1.5 })).rejects.toThrow(/chunkSize/);
    await expect(syncFromInflux(w, influx, { duckdbThreads: 0 })).rejects.toThrow(/duckdbThreads/);
  });

  it("runs DuckDB on duckdbThreads and gives the instance its own setting back, after a failure too", async () => {
    const threads = async () =>
      Number((await w.all<{ t: string }>("SELECT current_setting('threads')::VARCHAR AS t"))[0]?.t);
    await w.run("SET threads = 3");
    plant();
    let seen: number[] = [];
    const during = async () => {
      seen.push(await threads());
    };
    await syncFromInflux(w, influx, options(T, { beforeCommit: during }));
    expect(new Set(seen)).toEqual(new Set([1]));
    expect(await threads()).toBe(3);
    seen = [];
    await expect(
      syncFromInflux(
        w,
        influx,
        options(T, {
          duckdbThreads: 2,
          beforeCommit: async () => {
            await during();
            throw new Error("power cut");
          },
        }),
      ),
    ).rejects.toThrow("power cut");
    expect(seen).toEqual([2]);
    expect(await threads()).toBe(3);
  });

  it("closes InfluxDB's CSV answer and leaves no spool when an insert fails midway through it", async () => {
    for (let i = 0; i < 10; i++) influx.write(oven(T - 10 * MINUTE + i * 1000, 240));
    let closed = false;
    const spoolDir = mkdtempSync(join(tmpdir(), "tracebox-sync-csv-"));
    const file = await Warehouse.open(join(spoolDir, "w.duckdb"));
    // A fake InfluxDB CSV answer (the fake has no CSV path) whose second row a DOUBLE cannot hold.
    const csvInflux: SyncInflux = {
      query: influx.query.bind(influx),
      queryChunks: influx.queryChunks.bind(influx),
      async *queryCsv(influxql: string) {
        const fields = (/^SELECT (.*) FROM /.exec(influxql)?.[1] ?? "")
          .split(", ")
          .map((f) => f.replaceAll('"', ""));
        const values = fields.map(() => "1").join(",");
        try {
          yield new TextEncoder().encode(
            `${csvHeader(fields)}\nreflow,"line=L1,site=S1,station=oven",${T - MINUTE},${values}\n`,
          );
          yield new TextEncoder().encode(
            `reflow,"line=L1,site=S1,station=oven",${T - MINUTE + 1},${fields.map(() => "hot").join(",")}\n`,
          );
          for (let i = 0; i < 5; i++)
            yield new TextEncoder().encode(
              `reflow,"line=L1,site=S1,station=oven",${T - MINUTE + 2 + i},${values}\n`,
            );
        } finally {
          closed = true;
        }
      },
    };
    try {
      await expect(
        syncFromInflux(
          file,
          csvInflux,
          options(T, { measurements: ["reflow"], csvPartRows: 1, readAheadRows: 1 }),
        ),
      ).rejects.toThrow(/"hot"/);
      expect(closed).toBe(true);
      expect(readdirSync(spoolDir).filter((name) => name.endsWith(".csv"))).toEqual([]);
      expect(await file.all("SELECT count(*) AS n FROM signal")).toEqual([{ n: 0 }]);
    } finally {
      await file.close();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
