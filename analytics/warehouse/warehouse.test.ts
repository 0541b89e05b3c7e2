import { describe, expect, it } from "vitest";
import { RECORD_TABLES, Warehouse } from "./index.ts";

describe("Warehouse", () => {
  it("creates every table, binds values, and rolls back a failed transaction", async () => {
    const w = await Warehouse.open(":memory:");
    try {
      const tables = (
        await w.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables")
      ).map((t) => t.name);
      for (const t of RECORD_TABLES) expect(tables).toContain(t.table);
      expect(tables).toEqual(
        expect.arrayContaining(["signal", "sync_watermark", "job_run", "archive_partition"]),
      );
      const hostile = "x'); DROP TABLE signal; --";
      await w.run("INSERT INTO signal VALUES ($m, 's', 'l', 'st', NULL, 'f', 1.5, 10)", {
        m: hostile,
      });
      expect(await w.all("SELECT measurement, value, ts FROM signal")).toEqual([
        { measurement: hostile, value: 1.5, ts: 10 },
      ]);
      await expect(
        w.transaction(async () => {
          await w.run("INSERT INTO signal VALUES ('m', 's', 'l', 'st', NULL, 'f', 2, 11)");
          throw new Error("interrupted");
        }),
      ).rejects.toThrow("interrupted");
      expect(await w.all("SELECT count(*) AS n FROM signal")).toEqual([{ n: 1 }]);
    } finally {
      w.close();
    }
  });
});
