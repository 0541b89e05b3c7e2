import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimulatedRun, simulate, warehouseWith } from "./fixtures.ts";
import {
  EXPORT_FORMATS,
  EXPORT_TABLES,
  exportRecords,
  type Manifest,
  recordJson,
  serialRecord,
  type TraceError,
  TraceStore,
  verifyExport,
} from "./index.ts";

async function sql<T = unknown[]>(query: string): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    // The first row (a COPY answers one too).
    return (await connection.runAndReadAll(query)).getRowsJS()[0] as T;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("exports", { timeout: 60_000 }, () => {
  let dir: string;
  let run: SimulatedRun;
  let store: TraceStore;
  let serial: string;
  let lot: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-export-"));
    run = simulate({ seed: 3, units: 8, signalRateHz: 1, profilerEvery: 2 });
    const path = join(dir, "warehouse.duckdb");
    await warehouseWith(path, run.points);
    store = await TraceStore.open({ warehousePath: path, exportBatchSerials: 3, anchorEvery: 100 });
    serial = run.points.find((p) => p.measurement === "unit")?.tags.serial as string;
    lot = run.points.find((p) => p.measurement === "placement" && p.tags.ref === "U1")?.fields
      .lot as string;
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes one serial in every format, each verifying, with the same rows in each", async () => {
    const record = await store.withSession((s) => serialRecord(s, serial));
    const samples = record.visits.reduce(
      (n, v) =>
        n +
        Object.values(v.signals).reduce(
          (m, list) => m + list.reduce((k, s) => k + Object.keys(s.values).length, 0),
          0,
        ),
      0,
    );
    for (const format of EXPORT_FORMATS) {
      const out = join(dir, `one-${format}`);
      const summary = await exportRecords(store, { serial }, { format, out });
      expect(summary.serials).toBe(1);
      const verification = await verifyExport(out);
      expect(verification.problems, format).toEqual([]);
      expect(verification.ok).toBe(true);
      if (format === "json") {
        const json = JSON.parse(readFileSync(join(out, "record.json"), "utf8"));
        expect(json).toEqual(JSON.parse(JSON.stringify(recordJson(record))));
        expect(json.visits[0].start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        continue;
      }
      expect(readdirSync(out).sort()).toEqual(
        [...EXPORT_TABLES.map((t) => `${t.name}.${format}`), "manifest.json"].sort(),
      );
      const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
      const signals = manifest.files.find((f) => f.table === "signals");
      // One row per field value; the CSV adds its header line.
      expect(signals?.records).toBe(samples + (format === "csv" ? 1 : 0));
      if (format === "parquet") {
        const [count, first] = await sql<[bigint, string]>(
          `SELECT count(*), min(ts)::VARCHAR FROM read_parquet('${join(out, "signals.parquet")}')`,
        );
        expect(Number(count)).toBe(samples);
        expect(first).toContain("+00");
      }
      if (format === "arrow") {
        const table = tableFromIPC(readFileSync(join(out, "visits.arrow")));
        expect(table.numRows).toBe(record.visits.length);
        expect(table.getChild("serial")?.get(0)).toBe(serial);
      }
      if (format === "csv") {
        const visits = readFileSync(join(out, "visits.csv"), "utf8").trim().split("\n");
        expect(visits[0]).toBe(EXPORT_TABLES[0]?.columns.map((c) => c.name).join(","));
        expect(visits[1]).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
      }
    }
  });

  it("a lot exports in batches to the same rows as in one batch, and as NDJSON one record per serial", async () => {
    const batched = join(dir, "lot-batched");
    const whole = join(dir, "lot-whole");
    const serials = [
      ...new Set(
        run.points
          .filter((p) => p.measurement === "placement" && p.fields.lot === lot)
          .map((p) => p.tags.serial),
      ),
    ];
    expect(serials.length).toBeGreaterThan(3);
    await exportRecords(store, { lot }, { format: "parquet", out: batched });
    const big = await TraceStore.open({ ...store.options, exportBatchSerials: 500 });
    try {
      await exportRecords(big, { lot }, { format: "parquet", out: whole });
    } finally {
      await big.close();
    }
    for (const table of EXPORT_TABLES) {
      const [a] = await sql<[string]>(
        `SELECT md5(string_agg(to_json(t)::VARCHAR, '|')) FROM read_parquet('${join(batched, `${table.name}.parquet`)}') t`,
      );
      const [b] = await sql<[string]>(
        `SELECT md5(string_agg(to_json(t)::VARCHAR, '|')) FROM read_parquet('${join(whole, `${table.name}.parquet`)}') t`,
      );
      expect(a, table.name).toBe(b);
    }
    expect((await verifyExport(batched)).ok).toBe(true);

    const ndjson = join(dir, "lot-json");
    const summary = await exportRecords(store, { lot }, { format: "json", out: ndjson });
    expect(summary.serials).toBe(serials.length);
    const lines = readFileSync(join(ndjson, "records.ndjson"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).serial)).toEqual([...serials].sort());
    const one = await store.withSession((s) =>
      serialRecord(s, lines.map((l) => JSON.parse(l).serial)[1]),
    );
    expect(JSON.parse(lines[1] as string)).toEqual(JSON.parse(JSON.stringify(recordJson(one))));
  });

  it("a time range exports the serials with a visit in it, on the line asked", async () => {
    const units = run.points.filter(
      (p) => p.measurement === "unit" && p.tags.station === "printer" && p.tags.event === "start",
    );
    const from = units[2]?.ts as number;
    const to = units[4]?.ts as number;
    const expected = [
      ...new Set(
        run.points
          .filter((p) => p.measurement === "unit" && p.ts >= from && p.ts <= to)
          .map((p) => p.tags.serial),
      ),
    ].sort();
    const out = join(dir, "range");
    const summary = await exportRecords(
      store,
      { from, to, line: "line1" },
      { format: "csv", out, tables: ["visits", "levels"] },
    );
    expect(summary.serials).toBe(expected.length);
    expect(readdirSync(out).sort()).toEqual(["levels.csv", "manifest.json", "visits.csv"]);
    const other = join(dir, "range-other-line");
    expect(
      (await exportRecords(store, { from, to, line: "line9" }, { format: "csv", out: other }))
        .serials,
    ).toBe(0);
  });

  it("verification fails on any change: a value, a row, a file, the manifest, the signature", async () => {
    const fresh = async (
      format: "csv" | "parquet" | "arrow" | "json",
      name: string,
      key?: string,
    ) => {
      const out = join(dir, `tamper-${name}`);
      await exportRecords(store, { serial }, { format, out, signingKey: key });
      expect((await verifyExport(out, { key })).ok).toBe(true);
      return out;
    };
    // One digit of one value in the CSV: the file hash and the chain break, located to a block.
    const csv = await fresh("csv", "csv");
    const signals = join(csv, "signals.csv");
    const text = readFileSync(signals, "utf8").split("\n");
    text[150] = (text[150] as string).replace(
      /,(\d)([^,]*)$/,
      (_m, d: string, rest: string) => `,${(Number(d) + 1) % 10}${rest}`,
    );
    writeFileSync(signals, text.join("\n"));
    let v = await verifyExport(csv);
    expect(v.ok).toBe(false);
    expect(v.problems.join("\n")).toMatch(/signals\.csv: SHA-256/);
    expect(v.problems.join("\n")).toMatch(/signals\.csv: the record chain .* records 101\.\.200/);

    // A Parquet file rewritten with one changed value (a valid file, a different record).
    const parquet = await fresh("parquet", "parquet");
    const file = join(parquet, "materials.parquet");
    await sql(
      `COPY (SELECT * REPLACE (CASE WHEN ref = 'U1' THEN 'FORGED-LOT' ELSE lot END AS lot) FROM read_parquet('${file}')) TO '${file}.new' (FORMAT parquet)`,
    );
    rmSync(file);
    writeFileSync(file, readFileSync(`${file}.new`));
    rmSync(`${file}.new`);
    v = await verifyExport(parquet);
    expect(v.problems.join("\n")).toMatch(/materials\.parquet: the record chain/);

    // Arrow: a byte of the file changed.
    const arrow = await fresh("arrow", "arrow");
    const visits = readFileSync(join(arrow, "visits.arrow"));
    const at = visits.indexOf(Buffer.from(serial)) + 3;
    visits[at] = (visits[at] as number) ^ 1;
    writeFileSync(join(arrow, "visits.arrow"), visits);
    v = await verifyExport(arrow);
    expect(v.problems.join("\n")).toMatch(/visits\.arrow: SHA-256/);

    // JSON: a test verdict changed.
    const json = await fresh("json", "json");
    writeFileSync(
      join(json, "record.json"),
      readFileSync(join(json, "record.json"), "utf8")
        .replace('"result":"fail"', '"result":"pass"')
        .replace('"result":"pass"', '"result":"fail"'),
    );
    expect((await verifyExport(json)).ok).toBe(false);

    // A file removed, a file added, the manifest edited to match a changed file.
    const files = await fresh("csv", "files");
    rmSync(join(files, "events.csv"));
    appendFileSync(join(files, "extra.csv"), "x\n");
    v = await verifyExport(files);
    expect(v.problems).toEqual(
      expect.arrayContaining(["events.csv: missing", "extra.csv: not in the manifest"]),
    );
    const edited = await fresh("csv", "manifest");
    appendFileSync(join(edited, "levels.csv"), "forged,row\n");
    const manifest = JSON.parse(readFileSync(join(edited, "manifest.json"), "utf8")) as Manifest;
    const levels = manifest.files.find((f) => f.table === "levels");
    if (levels) levels.records += 1;
    writeFileSync(join(edited, "manifest.json"), JSON.stringify(manifest));
    v = await verifyExport(edited);
    expect(v.problems.join("\n")).toMatch(/levels\.csv: SHA-256/);
    expect(v.problems.join("\n")).toMatch(/chainHead/);

    // Signed: the right key verifies, another key or none named.
    const signed = await fresh("csv", "signed", "k3y");
    expect((await verifyExport(signed, { key: "other" })).problems.join("\n")).toMatch(
      /signature does not match/,
    );
    expect((await verifyExport(signed)).notes.join("\n")).toMatch(/signed/);
    expect(
      (await verifyExport(join(dir, "tamper-csv", "manifest.json"), { key: "k3y" })).problems.join(
        "\n",
      ),
    ).toMatch(/not signed/);
  });

  it("refuses an unknown serial (and leaves nothing), an output in use, and a bad format or table", async () => {
    const out = join(dir, "unknown");
    const error = await exportRecords(
      store,
      { serial: "NO-SUCH-SERIAL" },
      { format: "parquet", out },
    ).catch((e: unknown) => e);
    expect((error as TraceError).reason).toBe("not-found");
    expect(existsSync(out)).toBe(false);
    const jsonError = await exportRecords(
      store,
      { serial: "x' OR 1=1 --" },
      { format: "json", out },
    ).catch((e: unknown) => e);
    expect((jsonError as TraceError).reason).toBe("not-found");
    const used = join(dir, "used");
    mkdirSync(used);
    writeFileSync(join(used, "keep.txt"), "mine");
    const exists = await exportRecords(store, { serial }, { format: "csv", out: used }).catch(
      (e: unknown) => e,
    );
    expect((exists as TraceError).reason).toBe("output-exists");
    expect(readFileSync(join(used, "keep.txt"), "utf8")).toBe("mine");
    for (const format of ["xlsx", "csv; DROP TABLE x", "../json"]) {
      const bad = await exportRecords(
        store,
        { serial },
        { format: format as "csv", out: join(dir, "bad") },
      ).catch((e: unknown) => e);
      expect((bad as TraceError).reason).toBe("bad-option");
    }
    const table = await exportRecords(
      store,
      { serial },
      { format: "csv", out: join(dir, "bad-table"), tables: ["signals", "x" as "signals"] },
    ).catch((e: unknown) => e);
    expect((table as TraceError).reason).toBe("bad-option");
  });
});
