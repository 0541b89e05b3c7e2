import { describe, expect, it } from "vitest";
import { SeriesIds } from "./series-ids.ts";
import type { SignalKey } from "./signal-stage.ts";
import { insertSignal } from "./signal-store.ts";
import { Warehouse } from "./warehouse.ts";

const key = (serial: string | null, field = "t_c"): SignalKey => ({
  measurement: "profile",
  site: "S1",
  line: "L1",
  station: "reflow",
  serial,
  field,
});

const count = async (w: Warehouse) =>
  Number((await w.all<{ n: number }>("SELECT count(*) AS n FROM signal_series"))[0]?.n);

describe("SeriesIds", () => {
  it("adds a series once, finds it again without adding, and tells a NULL tag from 'null'", async () => {
    const w = await Warehouse.open(":memory:");
    try {
      await insertSignal(w, [{ ...key("A"), value: 1, ts: 1 }]);
      const ids = SeriesIds.create(w);
      expect(await ids.hasMeasurement("profile")).toBe(true);
      expect(await ids.hasMeasurement("reflow")).toBe(false);
      await w.run("BEGIN TRANSACTION");
      const first = await ids.ids([key("A"), key(null), key("null"), key(null)]);
      expect(first.added).toBe(2);
      expect(new Set(first.ids).size).toBe(3);
      expect(first.ids[1]).toBe(first.ids[3]);
      const again = await ids.ids([key(null), key("null")]);
      expect(again).toEqual({ ids: [first.ids[1], first.ids[2]], added: 0 });
      await w.run("COMMIT");
      ids.committed();
      expect(await count(w)).toBe(3);
      const rows = await w.all<{ id: number; serial: string | null }>(
        "SELECT id, serial FROM signal_series ORDER BY id",
      );
      expect(rows.map((r) => [r.id, r.serial])).toEqual([
        [first.ids[0], "A"],
        [first.ids[1], null],
        [first.ids[2], "null"],
      ]);
    } finally {
      w.close();
    }
  });

  it("forgets what a rolled-back transaction added, and reads again when marked stale", async () => {
    const w = await Warehouse.open(":memory:");
    try {
      const ids = SeriesIds.create(w);
      await w.run("BEGIN TRANSACTION");
      const lost = await ids.ids([key("B")]);
      expect(lost.added).toBe(1);
      await w.run("ROLLBACK");
      ids.rolledBack();
      expect(await ids.hasMeasurement("profile")).toBe(false);
      await w.run("BEGIN TRANSACTION");
      expect((await ids.ids([key("B")])).added).toBe(1);
      await w.run("COMMIT");
      ids.committed();
      // Added past the cache, as the JSON path's stage does.
      await insertSignal(w, [{ ...key("C"), value: 1, ts: 1 }]);
      ids.stale();
      expect((await ids.ids([key("B"), key("C")])).added).toBe(0);
      expect(await count(w)).toBe(2);
    } finally {
      w.close();
    }
  });
});
