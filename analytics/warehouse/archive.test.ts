import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  archiveOlderThan,
  archiveRelationSql,
  DAY_MS,
  insertSignal,
  partitionPath,
  readArchive,
  sha256File,
  verifyArchive,
  Warehouse,
} from "./index.ts";

// Three UTC days: D1 and D2 end before now − 12 h, D3 does not.
const D1 = Date.UTC(2026, 0, 10);
const D2 = D1 + DAY_MS;
const D3 = D2 + DAY_MS;
const NOW = D3 + 18 * 3_600_000;
const OPTIONS = { olderThanMs: 12 * 3_600_000, now: () => NOW };

let w: Warehouse;
let dir: string;
beforeEach(async () => {
  w = await Warehouse.open(":memory:");
  dir = mkdtempSync(join(tmpdir(), "tracebox-archive-"));
  await fill(w);
});
afterEach(() => {
  w.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every 10 min of each day: `reflow` z1 and z2, `env` humidity; plus unit events on D1. */
async function fill(warehouse: Warehouse): Promise<void> {
  for (const day of [D1, D2, D3]) {
    await insertSignal(
      warehouse,
      `SELECT m, 'S1', 'L1', st, NULL, f, i * 0.5, CAST($day AS BIGINT) + i * 600000
       FROM range(144) r(i),
         (VALUES ('reflow', 'oven', 'z1_top_c'), ('reflow', 'oven', 'z2_top_c'), ('env', 'env01', 'humidity_rh')) c(m, st, f)`,
      { day: BigInt(day) },
    );
  }
  await warehouse.run(
    `INSERT INTO unit_event (site, line, station, serial, event, product, seen, ts)
     VALUES ('S1', 'L1', 'printer', 'U1', 'start', 'P1', true, $a), ('S1', 'L1', 'printer', 'U1', 'complete', 'P1', true, $b)`,
    { a: BigInt(D1 + 1000), b: BigInt(D1 + 2000) },
  );
}

describe("archiveOlderThan", () => {
  it("writes one Parquet file per measurement and whole old day, recorded with rows and hash", async () => {
    const result = await archiveOlderThan(w, dir, OPTIONS);
    const written = result.partitions.map((p) => `${p.measurement}/${p.day}:${p.rows}`).sort();
    expect(written).toEqual([
      "env/2026-01-10:144",
      "env/2026-01-11:144",
      "reflow/2026-01-10:288",
      "reflow/2026-01-11:288",
      "unit/2026-01-10:2",
    ]);
    expect(result.rowsOut).toBe(144 * 2 + 288 * 2 + 2);
    expect(result.rowsIn).toBe(result.rowsOut);
    for (const p of result.partitions) {
      expect(p.path).toBe(join(dir, p.measurement, `day=${p.day}`, "part-0.parquet"));
      expect(p.sha256).toBe(await sha256File(p.path));
      expect(p.deleted).toBe(0);
    }
    const recorded = await w.all(
      "SELECT measurement, strftime(day, '%Y-%m-%d') AS day, rows, sha256 FROM archive_partition ORDER BY measurement, day",
    );
    expect(recorded).toEqual(
      result.partitions
        .map(({ measurement, day, rows, sha256 }) => ({ measurement, day, rows, sha256 }))
        .sort((a, b) => `${a.measurement}${a.day}`.localeCompare(`${b.measurement}${b.day}`)),
    );
    // The hot tables are kept by default; the day still open is not archived.
    expect(await w.all("SELECT count(*) AS n FROM signal")).toEqual([{ n: 3 * 3 * 144 }]);
    expect(existsSync(join(dir, "reflow", "day=2026-01-12"))).toBe(false);
  });

  it("waits for the sync to pass a day (and its late window) before freezing it", async () => {
    // A first sync of a long history, half way: `reflow` is synced to 10:00 of D2, `env` to the
    // first minutes of D3, less than its late window past D2's end.
    const sync = (m: string, to: number) =>
      w.run(
        "INSERT INTO sync_watermark (measurement, synced_to, rows_total, updated_at) VALUES ($m, $to, 0, 0)",
        { m, to: BigInt(to) },
      );
    await sync("reflow", D2 + 10 * 3_600_000);
    await sync("env", D3 + 60_000);
    const first = await archiveOlderThan(w, dir, { ...OPTIONS, lateWindowMs: 5 * 60_000 });
    expect(first.partitions.map((p) => `${p.measurement}/${p.day}`).sort()).toEqual([
      "env/2026-01-10",
      "reflow/2026-01-10",
      "unit/2026-01-10",
    ]);
    // The sync catches up: D2 is settled for both and archived now, with every row it got since.
    await insertSignal(w, "SELECT 'reflow', 'S1', 'L1', 'oven', NULL, 'z1_top_c', 7, $ts", {
      ts: BigInt(D2 + 20 * 3_600_000 + 1),
    });
    await w.run("UPDATE sync_watermark SET synced_to = $to", { to: BigInt(D3 + 3_600_000) });
    const then = await archiveOlderThan(w, dir, { ...OPTIONS, lateWindowMs: 5 * 60_000 });
    expect(then.partitions.map((p) => `${p.measurement}/${p.day}:${p.rows}`).sort()).toEqual([
      "env/2026-01-11:144",
      "reflow/2026-01-11:289",
    ]);
  });

  it("never rewrites a file once present", async () => {
    await archiveOlderThan(w, dir, OPTIONS);
    const path = partitionPath(dir, "reflow", "2026-01-10");
    const before = { hash: await sha256File(path), mtime: statSync(path).mtimeMs };
    await insertSignal(w, "SELECT 'reflow', 'S1', 'L1', 'oven', NULL, 'z1_top_c', 1, $ts", {
      ts: BigInt(D1 + 5),
    });
    const again = await archiveOlderThan(w, dir, { ...OPTIONS, now: () => NOW + DAY_MS });
    // Only the day that has since become old enough is written.
    expect(again.partitions.map((p) => `${p.measurement}/${p.day}`).sort()).toEqual([
      "env/2026-01-12",
      "reflow/2026-01-12",
    ]);
    expect(await sha256File(path)).toBe(before.hash);
    expect(statSync(path).mtimeMs).toBe(before.mtime);
    expect(await verifyArchive(w)).toEqual([]);
  });

  it("reads back exactly the warehouse's rows, by time range, without the warehouse", async () => {
    await archiveOlderThan(w, dir, OPTIONS);
    const from = D1 + 23 * 3_600_000;
    const to = D2 + 3_600_000;
    const expected = await w.all(
      "SELECT * FROM signal WHERE measurement = 'reflow' AND ts >= $from AND ts < $to ORDER BY ts, field",
      { from: BigInt(from), to: BigInt(to) },
    );
    const rows = await readArchive(dir, "reflow", from, to);
    expect(expected).toHaveLength(2 * 6 + 2 * 6);
    expect(
      rows.sort(
        (a, b) => Number(a.ts) - Number(b.ts) || String(a.field).localeCompare(String(b.field)),
      ),
    ).toEqual(expected);
    const units = await readArchive(dir, "unit", D1, D2);
    expect(units.map((u) => [u.serial, u.event, u.ts])).toEqual([
      ["U1", "start", D1 + 1000],
      ["U1", "complete", D1 + 2000],
    ]);
    expect(await readArchive(dir, "nothing_here", D1, D3)).toEqual([]);
    // Any DuckDB can make a view of it.
    await w.run(`CREATE VIEW env_archive AS SELECT * FROM ${archiveRelationSql(dir, "env")}`);
    expect(
      await w.all("SELECT count(*) AS n, count(DISTINCT day) AS days FROM env_archive"),
    ).toEqual([{ n: 288, days: 2 }]);
  });

  it("deletes archived rows from the warehouse only when asked", async () => {
    const result = await archiveOlderThan(w, dir, { ...OPTIONS, deleteArchived: true });
    expect(result.partitions.reduce((n, p) => n + p.deleted, 0)).toBe(result.rowsOut);
    expect(await w.all("SELECT count(*) AS n, min(ts) AS first FROM signal")).toEqual([
      { n: 3 * 144, first: D3 },
    ]);
    expect(await w.all("SELECT count(*) AS n FROM unit_event")).toEqual([{ n: 0 }]);
    expect((await readArchive(dir, "env", D1, D3)).length).toBe(288);
  });

  it("records a file left by a run stopped after its rename, without rewriting it", async () => {
    await archiveOlderThan(w, dir, OPTIONS);
    const path = partitionPath(dir, "env", "2026-01-10");
    const hash = await sha256File(path);
    const other = await Warehouse.open(":memory:");
    try {
      await fill(other);
      const result = await archiveOlderThan(other, dir, OPTIONS);
      const env = result.partitions.find((p) => p.path === path);
      expect(env).toMatchObject({ adopted: true, rows: 144, sha256: hash });
      expect(result.rowsIn).toBe(0);
    } finally {
      other.close();
    }
  });

  it("finds a file that is missing or changed", async () => {
    await archiveOlderThan(w, dir, OPTIONS);
    const changed = partitionPath(dir, "env", "2026-01-10");
    writeFileSync(changed, Buffer.concat([readFileSync(changed), Buffer.from("x")]));
    rmSync(partitionPath(dir, "unit", "2026-01-10"));
    expect(await verifyArchive(w)).toEqual([
      { measurement: "env", day: "2026-01-10", path: changed, problem: "hash" },
      {
        measurement: "unit",
        day: "2026-01-10",
        path: partitionPath(dir, "unit", "2026-01-10"),
        problem: "missing",
      },
    ]);
  });

  it("leaves a measurement whose name cannot be a directory in the warehouse", async () => {
    await insertSignal(w, "SELECT '../up', 'S1', 'L1', 'x', NULL, 'f', 1, $ts", {
      ts: BigInt(D1),
    });
    const result = await archiveOlderThan(w, dir, { ...OPTIONS, measurements: ["../up", "env"] });
    expect(result.skipped.map((s) => s.measurement)).toEqual(["../up"]);
    expect(result.partitions.map((p) => p.measurement)).toEqual(["env", "env"]);
    expect(existsSync(join(dir, "..", "up"))).toBe(false);
    expect(() => partitionPath(dir, "..", "2026-01-10")).toThrow(
      /cannot name an archive directory/,
    );
    await expect(readArchive(dir, "a/b", D1, D2)).rejects.toMatchObject({ reason: "bad-name" });
  });
});
