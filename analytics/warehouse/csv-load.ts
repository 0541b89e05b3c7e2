import { randomUUID } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { QueryParam } from "../../influx/index.ts";
import { insertNewSeries, seriesMatch } from "./signal-store.ts";
import type { Warehouse } from "./warehouse.ts";

/** What a CSV answer of InfluxDB costs the sync: a query streamed to a file, bytes as they come. */
export type CsvQuery = (
  influxql: string,
  params: Record<string, QueryParam>,
  opts: { chunkSize: number },
) => AsyncIterable<Uint8Array>;

/** One slice's CSV answer, spooled to disk for DuckDB to read. */
export interface CsvSpool {
  path: string;
  /** Data rows (points), header not counted. */
  points: number;
}

const CSV_TABLE = "sync_signal_csv";
const CSV_KEYS = "sync_signal_csv_key";

/** A field name InfluxDB's CSV header writes as it is (no quoting) and that names no CSV column of its own. */
const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const CSV_OWN_COLUMNS = new Set(["name", "tags", "time"]);

/** Whether a signal's fields can come as CSV: header text known in advance, one value column each. */
export function csvFieldsSupported(fields: readonly string[]): boolean {
  return fields.length > 0 && fields.every((f) => PLAIN_FIELD.test(f) && !CSV_OWN_COLUMNS.has(f));
}

/** The header InfluxDB writes for `SELECT <fields> … GROUP BY *`. */
export function csvHeader(fields: readonly string[]): string {
  return ["name", "tags", "time", ...fields].join(",");
}

/** Where spools go: next to the warehouse file (same disk), or the temp dir for an in-memory one. */
export function spoolDirectory(warehouse: Warehouse): string {
  return warehouse.path === ":memory:" ? tmpdir() : dirname(warehouse.path);
}

/**
 * Streams a CSV answer to a new file in `directory`, checking its header, counting its rows.
 * `check` runs between network pieces (abort). The file is removed when anything fails; an empty
 * answer leaves no file (`path` is "" and `points` 0).
 */
export async function spoolCsv(
  pieces: AsyncIterable<Uint8Array>,
  directory: string,
  header: string,
  check: () => void,
): Promise<CsvSpool> {
  const path = join(directory, `.sync-${process.pid}-${randomUUID()}.csv`);
  const expected = new TextEncoder().encode(`${header}\n`);
  let file: Awaited<ReturnType<typeof open>> | undefined;
  let newlines = 0;
  let checked = 0;
  let last = 10;
  try {
    for await (const bytes of pieces) {
      check();
      if (bytes.length === 0) continue;
      if (checked < expected.length) {
        const n = Math.min(bytes.length, expected.length - checked);
        for (let i = 0; i < n; i++) {
          if (bytes[i] !== expected[checked + i]) throw badHeader(header, bytes);
        }
        checked += n;
      }
      file ??= await open(path, "wx");
      await file.write(bytes);
      for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) newlines++;
      last = bytes[bytes.length - 1] as number;
    }
    if (file === undefined) return { path: "", points: 0 };
    if (checked < expected.length) throw new Error(`InfluxDB's CSV answer ended inside its header`);
    await file.close();
    file = undefined;
    return { path, points: newlines - 1 + (last === 10 ? 0 : 1) };
  } catch (error) {
    await file?.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}

function badHeader(header: string, bytes: Uint8Array): Error {
  const seen = new TextDecoder().decode(bytes.subarray(0, 200)).split("\n")[0];
  return new Error(`InfluxDB's CSV answer starts with "${seen}", expected "${header}"`);
}

/** A series' tags parsed from the CSV `tags` column; undefined when the text is ambiguous. */
export type SeriesTags = Record<string, string>;

/**
 * Parses InfluxDB's `tags` column (`k=v,k=v`, `,` ` ` `=` escaped with a backslash, a backslash
 * itself not escaped). Without a backslash in any key or value the text reads one way only; a
 * backslash left after unescaping (or a pair without exactly one `=`) means a key or value held
 * one, and then `a\,b=c` could be two tags or one: undefined, and the caller reads that slice as
 * JSON. The contract refuses backslashes in tag values, so that is for points written by others.
 */
export function parseSeriesTags(text: string | null): SeriesTags | undefined {
  const tags: SeriesTags = {};
  if (text === null || text === "") return tags;
  let key: string | undefined;
  let current = "";
  const finish = (): boolean => {
    if (key === undefined || key === "" || current.includes("\\") || key.includes("\\"))
      return false;
    tags[key] = current;
    key = undefined;
    current = "";
    return true;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    const next = text[i + 1];
    if (char === "\\" && (next === "," || next === " " || next === "=")) {
      current += next;
      i++;
    } else if (char === "=") {
      if (key !== undefined) return undefined;
      key = current;
      current = "";
    } else if (char === ",") {
      if (!finish()) return undefined;
    } else {
      current += char;
    }
  }
  return finish() ? tags : undefined;
}

const SIGNAL_TAGS = ["site", "line", "station", "serial"] as const;

/** One series of a loaded CSV: its `tags` text and what it says. */
export interface CsvSeries {
  text: string | null;
  tags: SeriesTags;
}

/** A CSV spool loaded into DuckDB, not yet in `signal`. */
export interface LoadedCsv {
  points: number;
  /** The slice's series; undefined when the tags of one could not be read unambiguously. */
  series: CsvSeries[] | undefined;
}

/**
 * Reads a spool with DuckDB's CSV reader (path bound, columns and types given: no sniffing) into a
 * temp table, and the distinct series tags of it. Runs inside the slice's transaction.
 */
export async function loadCsv(
  warehouse: Warehouse,
  spool: CsvSpool,
  fields: readonly string[],
): Promise<LoadedCsv> {
  const columns = [
    "'name': 'VARCHAR'",
    "'tags': 'VARCHAR'",
    "'time': 'BIGINT'",
    ...fields.map((f) => `'${f}': 'DOUBLE'`),
  ].join(", ");
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE ${CSV_TABLE} AS SELECT * FROM read_csv($path, header = true,
       auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}})`,
    { path: spool.path },
  );
  const [count] = await warehouse.all<{ points: number }>(
    `SELECT count(*) AS points FROM ${CSV_TABLE}`,
  );
  const distinct = await warehouse.all<{ tags: string | null }>(
    `SELECT DISTINCT tags FROM ${CSV_TABLE}`,
  );
  const points = Number(count?.points ?? 0);
  const series: CsvSeries[] = [];
  for (const { tags: text } of distinct) {
    const tags = parseSeriesTags(text);
    if (tags === undefined) return { points, series: undefined };
    series.push({ text, tags });
  }
  return { points, series };
}

/**
 * Moves the loaded CSV into `signal`: one value row per non-NULL field value (UNPIVOT leaves NULLs
 * out: a point without that field); returns the rows inserted. The series' tags join through a small
 * key table (the `tags` text of each series and its site, line, station, serial); each (tags,
 * field) is a series, added to `signal_series` when new, and its id is what the values carry.
 */
export async function insertCsv(
  warehouse: Warehouse,
  measurement: string,
  fields: readonly string[],
  series: readonly CsvSeries[],
): Promise<number> {
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE ${CSV_KEYS} (tags VARCHAR NOT NULL, site VARCHAR, line VARCHAR, station VARCHAR, serial VARCHAR)`,
  );
  const appender = await warehouse.connection.createAppender(CSV_KEYS, "main", "temp");
  try {
    for (const { text, tags } of series) {
      appender.appendVarchar(text ?? "");
      for (const tag of SIGNAL_TAGS) {
        const value = tags[tag];
        if (value === undefined || value === "") appender.appendNull();
        else appender.appendVarchar(value);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  // Field names are plain identifiers (csvFieldsSupported): safe as literals.
  const names = fields.map((f) => `('${f}')`).join(", ");
  const keys = `(SELECT k.tags, $measurement AS measurement, k.site, k.line, k.station, k.serial, f.field
    FROM temp.${CSV_KEYS} k CROSS JOIN (VALUES ${names}) f(field))`;
  await insertNewSeries(warehouse, keys, { measurement });
  // One UNPIVOT keeps a point's values together and its time repeated (RLE); the series id comes
  // from a join with the few (tags, field) pairs. Sorting by series and time cost 50 % more CPU.
  const list = fields.map((f) => `"${f}"`).join(", ");
  return warehouse.changes(
    `INSERT INTO signal_value (series, value, ts)
     SELECT m.id, u.value, u.ts FROM (
       UNPIVOT (SELECT coalesce(tags, '') AS tags, "time" AS ts, ${list} FROM temp.${CSV_TABLE})
       ON ${list} INTO NAME field VALUE value
     ) u JOIN (
       SELECT n.tags, n.field, s.id FROM ${keys} n JOIN signal_series s ON ${seriesMatch("s", "n")}
     ) m ON m.tags = u.tags AND m.field = u.field`,
    { measurement },
  );
}
