import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createInfluxClient, type InfluxClient } from "../../influx/index.ts";
import { testServices, uniqueDatabase } from "../../test/index.ts";
import { type SyncOptions, syncFromInflux, Warehouse } from "./index.ts";

// Against the run's private InfluxDB 1.x, one database per test; points written as plain line
// protocol over HTTP, shaped as docs/influx-schema.md says the ingestor writes them.
const MINUTE = 60_000;
const BASE = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000;
const RUN = BASE + 60 * MINUTE;

async function database(): Promise<InfluxClient> {
  const influx = createInfluxClient({
    url: testServices().influxUrl,
    database: uniqueDatabase("wh"),
    timeoutMs: 30_000,
  });
  await influx.ensureDatabase();
  return influx;
}

async function write(influx: InfluxClient, lines: string[]): Promise<void> {
  const url = `${testServices().influxUrl}/write?db=${encodeURIComponent(influx.options.database)}&precision=ms`;
  for (let i = 0; i < lines.length; i += 5000) {
    const response = await fetch(url, {
      method: "POST",
      body: lines.slice(i, i + 5000).join("\n"),
    });
    if (response.status !== 204)
      throw new Error(`write: ${response.status} ${await response.text()}`);
  }
}

/** An hour of a line: oven at 1 Hz, hall env every 10 s, one board's records, results to skip. */
function plant(): string[] {
  const lines: string[] = [];
  for (let s = 0; s < 3600; s++) {
    const t = BASE + s * 1000;
    lines.push(
      `reflow,site=S1,line=L1,station=oven z1_top_c=${(240 + (s % 50) / 10).toFixed(1)},z2_top_c=250,o2_ppm=${500 + (s % 7)} ${t}`,
    );
    if (s % 10 === 0) {
      lines.push(`env,site=S1,line=hall,station=env01 humidity_rh=45.5,temperature_c=22.25 ${t}`);
    }
  }
  for (let s = 600; s < 900; s++) {
    lines.push(
      `profile,line=L1,serial=U1,site=S1,station=oven tc1_c=${25 + (s - 600) * 0.7} ${BASE + s * 1000}`,
    );
  }
  const u = (station: string, event: string, s: number, extra = "") =>
    `unit,event=${event},line=L1,product=P1,serial=U1,site=S1,station=${station} seen=true${extra} ${BASE + s * 1000}`;
  lines.push(
    u("printer", "start", 100),
    u("printer", "complete", 120, ',result="pass"'),
    u("oven", "start", 600),
    u("oven", "complete", 900, ',result="pass"'),
    `spi,line=L1,product=P1,serial=U1,site=S1,station=spi pad_count=2i,result="pass",volume_pct_max=101.5,volume_pct_mean=99.25,volume_pct_min=97 ${BASE + 200_000}`,
    `spi_pad,line=L1,ref=U1.1,serial=U1,site=S1,station=spi area_pct=100,height_um=120,offset_x_um=1,offset_y_um=-1,volume_pct=97 ${BASE + 200_000}`,
    `spi_pad,line=L1,ref=U1.2,serial=U1,site=S1,station=spi area_pct=99,height_um=121,offset_x_um=0,offset_y_um=2,volume_pct=101.5 ${BASE + 200_000}`,
    `test,kind=aoi,line=L1,serial=U1,site=S1,station=aoi defect_count=1i,program="aoi-7",result="fail" ${BASE + 1_000_000}`,
    `test_defect,code=insufficient_solder,kind=aoi,line=L1,ref=U1,serial=U1,site=S1,station=aoi count=1i ${BASE + 1_000_000}`,
    `test_measurement,kind=aoi,line=L1,name=vcc,serial=U1,site=S1,station=aoi high=3.4,low=3.2,pass=true,unit="V",value=3.3 ${BASE + 1_000_000}`,
    `event,code=O2_HIGH,kind=alarm,line=L1,site=S1,station=oven message="O2 high",seen=true ${BASE + 1_500_000}`,
    `pack,container=BOX1,kind=box,line=L1,site=S1,station=pack count=1i,serials="[\\"U1\\"]" ${BASE + 2_000_000}`,
    `placement,line=L1,ref=C3,serial=U1,site=S1,station=pnp lot="N2544-9117",part="200-0603-10U" ${BASE + 300_000}`,
    `spc_point,characteristic=z1,line=L1,site=S1,station=oven value=1 ${BASE + 2_000_000}`,
  );
  return lines;
}

const EXPECTED = {
  signal: 3600 * 3 + 360 * 2 + 300,
  unit_event: 4,
  spi_board: 1,
  spi_pad: 2,
  test_result: 1,
  test_defect: 1,
  test_measurement: 1,
  station_event: 1,
  pack: 1,
  placement: 1,
};

function options(now: number, extra: Partial<SyncOptions> = {}): Partial<SyncOptions> {
  return { now: () => now, safetyLagMs: 0, sliceMs: 20 * MINUTE, chunkSize: 1000, ...extra };
}

async function counts(w: Warehouse): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of Object.keys(EXPECTED)) {
    const [row] = await w.all<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    out[table] = row?.n ?? -1;
  }
  return out;
}

async function dump(w: Warehouse): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of Object.keys(EXPECTED)) {
    out[table] = await w.all(`SELECT * FROM ${table} ORDER BY ALL`);
  }
  out.watermark = await w.all(
    "SELECT measurement, synced_to, rows_total FROM sync_watermark ORDER BY ALL",
  );
  return out;
}

describe("syncFromInflux against InfluxDB 1.x", () => {
  it("syncs every measurement once, and a second run adds no duplicate", async () => {
    const influx = await database();
    await write(influx, plant());
    const w = await Warehouse.open(":memory:");
    try {
      const first = await syncFromInflux(w, influx, options(RUN));
      expect(first.skipped).toEqual(["spc_point"]);
      expect(await counts(w)).toEqual(EXPECTED);
      expect(first.rowsOut).toBe(Object.values(EXPECTED).reduce((a, b) => a + b, 0));
      // Tags and fields land in their columns, with their types.
      expect(await w.all("SELECT * FROM spi_board")).toEqual([
        {
          site: "S1",
          line: "L1",
          station: "spi",
          serial: "U1",
          product: "P1",
          result: "pass",
          pad_count: 2,
          volume_pct_mean: 99.25,
          volume_pct_min: 97,
          volume_pct_max: 101.5,
          ts: BASE + 200_000,
        },
      ]);
      expect(await w.all("SELECT kind, code, message, seen FROM station_event")).toEqual([
        { kind: "alarm", code: "O2_HIGH", message: "O2 high", seen: true },
      ]);
      expect(await w.all("SELECT serials, count FROM pack")).toEqual([
        { serials: '["U1"]', count: 1 },
      ]);
      expect(await w.all("SELECT name, value, pass, unit FROM test_measurement")).toEqual([
        { name: "vcc", value: 3.3, pass: true, unit: "V" },
      ]);
      expect(
        await w.all(
          "SELECT count(*) AS n FROM signal WHERE measurement = 'profile' AND serial = 'U1' AND field = 'tc1_c'",
        ),
      ).toEqual([{ n: 300 }]);
      expect(await w.all("SELECT visit.status FROM unit_visit visit ORDER BY start")).toEqual([
        { status: "complete" },
        { status: "complete" },
      ]);

      const before = await dump(w);
      const second = await syncFromInflux(w, influx, options(RUN + MINUTE));
      expect(await counts(w)).toEqual(EXPECTED);
      const after = await dump(w);
      expect({ ...after, watermark: [] }).toEqual({ ...before, watermark: [] });
      // Only the late window was read again: the last 5 minutes (300 oven, 30 env points).
      expect(second.rowsIn).toBe(330);
      expect(second.measurements.find((m) => m.measurement === "reflow")).toMatchObject({
        from: RUN - 5 * MINUTE,
        rowsIn: 300,
        rowsReplaced: 900,
      });
      const duplicates = await w.all(
        `SELECT count(*) AS n FROM (SELECT measurement, site, line, station, serial, field, ts FROM signal
         GROUP BY ALL HAVING count(*) > 1)`,
      );
      expect(duplicates).toEqual([{ n: 0 }]);
      // rows_total follows what the warehouse holds.
      expect(
        await w.all("SELECT rows_total FROM sync_watermark WHERE measurement = 'reflow'"),
      ).toEqual([{ rows_total: 3600 * 3 }]);
    } finally {
      w.close();
    }
  });

  it("after an interruption midway and a restart, a rerun gives what an uninterrupted sync gives", async () => {
    const influx = await database();
    await write(influx, plant());
    const dir = mkdtempSync(join(tmpdir(), "tracebox-sync-"));
    const path = join(dir, "warehouse.duckdb");
    const reference = await Warehouse.open(":memory:");
    let w = await Warehouse.open(path);
    try {
      await syncFromInflux(reference, influx, options(RUN));
      let commits = 0;
      const interrupted = syncFromInflux(
        w,
        influx,
        options(RUN, {
          beforeCommit: (slice) => {
            commits++;
            // Midway through the oven's hour, after other measurements and a slice of its own.
            if (slice.measurement === "reflow" && slice.from > BASE) throw new Error("killed");
          },
        }),
      );
      await expect(interrupted).rejects.toThrow("killed");
      expect(commits).toBeGreaterThan(2);
      const partial = await counts(w);
      expect(partial.signal).toBeLessThan(EXPECTED.signal);
      expect(partial.signal).toBeGreaterThan(0);
      // The process goes away; the next one opens the same file.
      w.close();
      w = await Warehouse.open(path);
      await syncFromInflux(w, influx, options(RUN));
      expect(await dump(w)).toEqual(await dump(reference));
    } finally {
      reference.close();
      w.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("picks up late points inside the window and does not duplicate older synced ones", async () => {
    const influx = await database();
    await write(influx, plant());
    const w = await Warehouse.open(":memory:");
    try {
      await syncFromInflux(w, influx, options(RUN));
      const old = () =>
        w.all<{ n: number }>("SELECT count(*) AS n FROM signal WHERE ts < $t", {
          t: BigInt(RUN - 5 * MINUTE),
        });
      const oldBefore = await old();
      // Late: a reading 2 minutes before the watermark (inside the window), a replay of an old
      // reading (same series, time and value: InfluxDB overwrites it), and a new reading 20
      // minutes back, behind the window.
      await write(influx, [
        `reflow,site=S1,line=L1,station=oven z1_top_c=999 ${RUN - 2 * MINUTE + 500}`,
        `reflow,site=S1,line=L1,station=oven z2_top_c=250 ${BASE + 60_000}`,
        `reflow,site=S1,line=L1,station=oven z1_top_c=777 ${RUN - 20 * MINUTE + 500}`,
      ]);
      const second = await syncFromInflux(w, influx, options(RUN + 1000));
      expect(second.rowsIn).toBe(330 + 1);
      expect(await w.all("SELECT value, ts FROM signal WHERE value > 700 ORDER BY value")).toEqual([
        { value: 999, ts: RUN - 2 * MINUTE + 500 },
      ]);
      expect(await old()).toEqual(oldBefore);
      expect((await counts(w)).signal).toBe(EXPECTED.signal + 1);
      // Behind the window it takes a re-read from `since`, which again duplicates nothing.
      await syncFromInflux(w, influx, options(RUN + 2000, { since: RUN - 30 * MINUTE }));
      expect((await counts(w)).signal).toBe(EXPECTED.signal + 2);
      expect(await w.all("SELECT value FROM signal WHERE value > 700 ORDER BY value")).toEqual([
        { value: 777 },
        { value: 999 },
      ]);
    } finally {
      w.close();
    }
  });

  it("reads tag values with commas, spaces, equals signs, quotes and unicode as the JSON path does, and a backslash through JSON", async () => {
    const influx = await database();
    // Line protocol escapes `,` ` ` `=` in tag values; a backslash before anything else stays.
    const lines: string[] = [];
    for (let s = 0; s < 120; s++) {
      const t = BASE + s * 1000;
      lines.push(
        `reflow,site=S1,line=L\\,1\\ a\\=b,station=oven\\ "x",serial=ü\\,"q"\\=1 z1_top_c=${s},o2_ppm=${s % 3}i ${t}`,
        `reflow,site=S1,line=L1,station=ÖFEN_日本 z1_top_c=${s / 8} ${t}`,
        `reflow,site=S1,line=L1 o2_ppm=7i ${t}`,
      );
      // station=0 sorts first: its rows fill the first CSV parts, the backslash comes in a later one.
      if (s >= 60)
        lines.push(
          `env,site=S1,line=hall,station=a\\b humidity_rh=${s} ${t}`,
          `env,site=S1,line=hall,station=0 humidity_rh=${s} ${t}`,
        );
    }
    await write(influx, lines);
    const viaCsv = await Warehouse.open(":memory:");
    const viaParts = await Warehouse.open(":memory:");
    const viaJson = await Warehouse.open(":memory:");
    try {
      const csv = await syncFromInflux(viaCsv, influx, options(RUN));
      // Parts of 7 rows: the slice's first parts go in as CSV, then the backslash makes the whole
      // slice read again as JSON; what the parts put in must not be there twice.
      const parts = await syncFromInflux(viaParts, influx, options(RUN, { csvPartRows: 7 }));
      // Without queryCsv every signal is read as JSON: the reference.
      const jsonOnly = {
        query: influx.query.bind(influx),
        queryChunks: influx.queryChunks.bind(influx),
      };
      const json = await syncFromInflux(viaJson, jsonOnly, options(RUN));
      const rowsOf = (w: Warehouse) => w.all("SELECT * FROM signal ORDER BY ALL");
      expect(await rowsOf(viaCsv)).toEqual(await rowsOf(viaJson));
      expect(await rowsOf(viaParts)).toEqual(await rowsOf(viaJson));
      expect(csv.rowsIn).toBe(json.rowsIn);
      expect(parts.rowsIn).toBe(json.rowsIn);
      expect(csv.rowsOut).toBe(json.rowsOut);
      expect(parts.rowsOut).toBe(json.rowsOut);
      expect(csv.rowsOut).toBe(120 * 2 + 120 + 120 + 60 + 60);
      expect(
        await viaCsv.all("SELECT DISTINCT site, line, station, serial FROM signal ORDER BY ALL"),
      ).toEqual([
        { site: "S1", line: "L,1 a=b", station: 'oven "x"', serial: 'ü,"q"=1' },
        { site: "S1", line: "L1", station: "ÖFEN_日本", serial: null },
        { site: "S1", line: "L1", station: null, serial: null },
        { site: "S1", line: "hall", station: "0", serial: null },
        { site: "S1", line: "hall", station: "a\\b", serial: null },
      ]);
      expect(
        await viaCsv.all(
          "SELECT value, ts FROM signal WHERE field = 'o2_ppm' AND station IS NULL LIMIT 1",
        ),
      ).toEqual([{ value: 7, ts: BASE }]);
    } finally {
      viaCsv.close();
      viaParts.close();
      viaJson.close();
    }
  });
});
