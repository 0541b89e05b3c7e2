import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Warehouse } from "../warehouse/index.ts";
import { DEFAULT_SPC_JOB_OPTIONS, type SignalSource } from "./config.ts";
import {
  type ReadingRange,
  type Readings,
  readReadings,
  readReadingsTogether,
  sharedScanKey,
  sourceTable,
} from "./source.ts";
import { insertRows, T0 } from "./testing.ts";

let warehouse: Warehouse;
beforeEach(async () => {
  warehouse = await Warehouse.open(":memory:");
});
afterEach(() => {
  warehouse.close();
});

const oven = { site: "S1", line: "L1", station: "oven" };
const signal = (field: string, where: SignalSource["where"] = oven): SignalSource => ({
  kind: "signal",
  measurement: "reflow",
  field,
  where,
});
const tableOf = (source: SignalSource) =>
  sourceTable(warehouse, source, DEFAULT_SPC_JOB_OPTIONS.features);
const plain = (readings: Readings | null) =>
  readings && { ts: Array.from(readings.ts), values: Array.from(readings.values) };

/**
 * Zone temperatures of one oven in time order, interleaved as the sync appends them; z1 has two
 * readings at T0 + 3000 and a NaN, and another station reads a z1 too.
 */
async function insertZones(): Promise<void> {
  const rows = [];
  for (let i = 0; i < 40; i++) {
    for (const field of ["z1", "z2", "z3"]) {
      const value = 200 + ((i * 7) % 11);
      rows.push({ ...oven, measurement: "reflow", field, value, ts: T0 + i * 1000 });
    }
    if (i === 3)
      rows.push({ ...oven, measurement: "reflow", field: "z1", value: 250, ts: T0 + 3000 });
    if (i === 5)
      rows.push({ ...oven, measurement: "reflow", field: "z1", value: Number.NaN, ts: T0 + 5000 });
  }
  rows.push({ ...oven, station: "other", measurement: "reflow", field: "z1", value: 1, ts: T0 });
  await insertRows(warehouse, "signal", rows);
}

describe("several fields of one source in one scan", () => {
  it("gives every field the readings it would read alone, from its own cursor", async () => {
    await insertZones();
    const ranges: ReadingRange[] = [
      { from: null, skip: 0, before: T0 + 30_000 },
      { from: T0 + 3000, skip: 1, before: T0 + 30_000 },
      { from: T0 + 10_000, skip: 0, before: T0 + 30_000 },
      { from: T0 + 3000, skip: 2, before: T0 + 30_000 },
    ];
    const tables = await Promise.all(["z1", "z1", "z2", "z1"].map((f) => tableOf(signal(f))));
    const together = await readReadingsTogether(
      warehouse,
      tables.map((table, i) => ({ table, range: ranges[i] as ReadingRange })),
    );
    for (const [i, table] of tables.entries()) {
      const alone = await readReadings(warehouse, table, ranges[i] as ReadingRange);
      expect(plain(together[i] ?? null)).toEqual(plain(alone));
    }
    expect(together[0]?.ts).toHaveLength(31);
    expect(together[1]?.values[0]).toBe(250);
    expect(together[3]?.ts[0]).toBe(T0 + 4000);
  });

  it("leaves a field whose readings the scan gave out of time order to be read alone", async () => {
    const reading = (field: string, value: number, ts: number) => ({
      ...oven,
      measurement: "reflow",
      field,
      value,
      ts,
    });
    // A plain long table scans in the order it was appended; `signal`, a join, in the join's order.
    await warehouse.run("CREATE TABLE signal_scan AS SELECT * FROM signal LIMIT 0");
    await insertRows(warehouse, "signal_scan", [
      reading("z1", 2, T0),
      reading("z1", 1, T0),
      reading("z2", 1, T0),
      reading("z2", 2, T0),
      reading("z3", 1, T0 + 1000),
      reading("z3", 1, T0), // arrived late
    ]);
    const range = { from: null, skip: 0, before: T0 + 2000 };
    const [z1, z2, z3] = await readReadingsTogether(
      warehouse,
      await Promise.all(
        ["z1", "z2", "z3"].map(async (f) => ({
          table: { ...(await tableOf(signal(f))), table: "signal_scan" },
          range,
        })),
      ),
    );
    expect(z1).toBeNull();
    expect(plain(z2 ?? null)).toEqual({ ts: [T0, T0], values: [1, 2] });
    expect(z3).toBeNull();
  });

  it("merges a field's runs in time order that the scan gave one after another", async () => {
    // As a parallel insert lays its row groups: one thread's blocks, then the other's.
    const block = (field: string, from: number) =>
      Array.from({ length: 300 }, (_, i) => ({
        ...oven,
        measurement: "reflow",
        field,
        value: 200 + ((i * 7) % 11),
        ts: T0 + (from + i) * 1000,
      }));
    await insertRows(warehouse, "signal", [...block("z1", 300), ...block("z1", 900)]);
    await insertRows(warehouse, "signal", [...block("z1", 0), ...block("z2", 0)]);
    await insertRows(warehouse, "signal", [...block("z1", 600), ...block("z2", 300)]);
    const range = { from: T0 + 5000, skip: 0, before: T0 + 1_100_000 };
    const tables = await Promise.all(["z1", "z2"].map((f) => tableOf(signal(f))));
    const together = await readReadingsTogether(
      warehouse,
      tables.map((table) => ({ table, range })),
    );
    for (const [i, table] of tables.entries()) {
      const alone = await readReadings(warehouse, table, range);
      expect(alone.ts).toHaveLength([1095, 595][i] as number);
      expect(plain(together[i] ?? null)).toEqual(plain(alone));
    }
  });

  it("shares a scan only between fields of the same measurement and station filter", async () => {
    const key = async (source: SignalSource) => sharedScanKey(await tableOf(source));
    expect(await key(signal("z1"))).toBe(await key(signal("z2")));
    expect(await key(signal("z1"))).not.toBe(await key(signal("z2", { site: "S1" })));
    const record = await sourceTable(
      warehouse,
      {
        kind: "record",
        measurement: "spi",
        table: "spi_board",
        field: "volume_pct_mean",
        where: {},
        match: {},
      },
      DEFAULT_SPC_JOB_OPTIONS.features,
    );
    expect(sharedScanKey(record)).toBeNull();
  });
});
