import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { insertSignal, RECORD_TABLES, SIGNAL_COLUMNS, Warehouse } from "./index.ts";

describe("Warehouse", () => {
  it("creates every table, binds values, and rolls back a failed transaction", async () => {
    const w = await Warehouse.open(":memory:");
    try {
      const tables = (
        await w.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables")
      ).map((t) => t.name);
      for (const t of RECORD_TABLES) expect(tables).toContain(t.table);
      expect(tables).toEqual(
        expect.arrayContaining([
          "signal",
          "signal_series",
          "signal_value",
          "sync_watermark",
          "job_run",
          "archive_partition",
        ]),
      );
      const hostile = "x'); DROP TABLE signal_value; --";
      expect(
        await insertSignal(w, "SELECT $m, 's', 'l', 'st', NULL, 'f', 1.5, 10", { m: hostile }),
      ).toBe(1);
      expect(await w.all("SELECT measurement, value, ts FROM signal")).toEqual([
        { measurement: hostile, value: 1.5, ts: 10 },
      ]);
      await expect(
        w.transaction(async () => {
          await insertSignal(w, "SELECT 'm', 's', 'l', 'st', NULL, 'f', 2, 11");
          throw new Error("interrupted");
        }),
      ).rejects.toThrow("interrupted");
      expect(await w.all("SELECT count(*) AS n FROM signal")).toEqual([{ n: 1 }]);
      expect(await w.all("SELECT count(*) AS n FROM signal_series")).toEqual([{ n: 1 }]);
    } finally {
      w.close();
    }
  });

  it("keeps `signal` as the long view over one row per series and one per value", async () => {
    const w = await Warehouse.open(":memory:");
    try {
      const columns = await w.all<{ name: string; type: string }>(
        "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 'signal' ORDER BY ordinal_position",
      );
      expect(columns.map((c) => c.name)).toEqual([...SIGNAL_COLUMNS]);
      expect(columns.map((c) => c.type)).toEqual([...Array(6).fill("VARCHAR"), "DOUBLE", "BIGINT"]);
      const row = (serial: string | null, value: number, ts: number) => ({
        measurement: "profile",
        site: "S1",
        line: "L1",
        station: null,
        serial,
        field: "tc1_c",
        value,
        ts,
      });
      expect(await insertSignal(w, [row(null, 1, 1), row("U1", 2, 1), row(null, 3, 2)])).toBe(3);
      // A NULL tag is a tag value like any other: the series it names is found again, not added.
      expect(await insertSignal(w, [row(null, 4, 3), row("U1", 5, 3)])).toBe(2);
      expect(
        await w.all("SELECT serial, count(*) AS n FROM signal_series GROUP BY ALL ORDER BY ALL"),
      ).toEqual([
        { serial: "U1", n: 1 },
        { serial: null, n: 1 },
      ]);
      expect(await w.all("SELECT serial, value, ts FROM signal ORDER BY value")).toEqual([
        { serial: null, value: 1, ts: 1 },
        { serial: "U1", value: 2, ts: 1 },
        { serial: null, value: 3, ts: 2 },
        { serial: null, value: 4, ts: 3 },
        { serial: "U1", value: 5, ts: 3 },
      ]);
      await expect(
        w.run("INSERT INTO signal VALUES ('m', 's', 'l', 'st', NULL, 'f', 1, 1)"),
      ).rejects.toThrow();
    } finally {
      w.close();
    }
  });

  it("moves the rows of a file whose `signal` is still a table into series and values", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracebox-warehouse-"));
    const path = join(dir, "warehouse.duckdb");
    try {
      const old = await DuckDBInstance.create(path);
      const connection = await old.connect();
      await connection.run(
        "CREATE TABLE signal (measurement VARCHAR NOT NULL, site VARCHAR, line VARCHAR, station VARCHAR, serial VARCHAR, field VARCHAR NOT NULL, value DOUBLE, ts BIGINT NOT NULL)",
      );
      await connection.run(
        `INSERT INTO signal SELECT 'reflow', 'S1', 'L1', 'oven', CASE WHEN i % 3 = 0 THEN 'U' || i % 2 END,
           'z' || i % 4 || '_top_c', i * 0.5, 1000 + i FROM range(1000) r(i)`,
      );
      const before = (
        await connection.runAndReadAll("SELECT * FROM signal ORDER BY ALL")
      ).getRowObjectsJS();
      connection.closeSync();
      old.closeSync();

      const w = await Warehouse.open(path);
      try {
        expect(
          await w.all(
            "SELECT table_type AS type FROM information_schema.tables WHERE table_name = 'signal'",
          ),
        ).toEqual([{ type: "VIEW" }]);
        const after = (
          await w.connection.runAndReadAll("SELECT * FROM signal ORDER BY ALL")
        ).getRowObjectsJS();
        expect(after).toEqual(before);
        // 4 fields without a serial, and each with the serial of its parity (z0, z2: U0): 8 series.
        expect(await w.all("SELECT count(*) AS n FROM signal_series")).toEqual([{ n: 8 }]);
        await insertSignal(w, "SELECT 'reflow', 'S1', 'L1', 'oven', NULL, 'z0_top_c', 1, 5000");
        expect(await w.all("SELECT count(*) AS n FROM signal_series")).toEqual([{ n: 8 }]);
      } finally {
        w.close();
      }
      // Opening it again finds nothing left to do.
      const again = await Warehouse.open(path);
      try {
        expect(await again.all("SELECT count(*) AS n FROM signal")).toEqual([{ n: 1001 }]);
      } finally {
        again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
