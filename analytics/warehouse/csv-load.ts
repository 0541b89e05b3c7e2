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

const CSV_KEYS = "sync_signal_csv_key";
const CSV_IDS = "sync_signal_csv_series";

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

/** What a CSV spool holds, as DuckDB read it; not yet in `signal`. */
export interface LoadedCsv {
  points: number;
  /** The slice's series; undefined when the tags of one could not be read unambiguously. */
  series: CsvSeries[] | undefined;
}

/** DuckDB's reader of a spool (path bound as `$path`; columns and types given: no sniffing). */
function readCsvSql(fields: readonly string[]): string {
  const columns = [
    "'name': 'VARCHAR'",
    "'tags': 'VARCHAR'",
    "'time': 'BIGINT'",
    ...fields.map((f) => `'${f}': 'DOUBLE'`),
  ].join(", ");
  return `read_csv($path, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
    columns = {${columns}})`;
}

/**
 * The distinct series tags of a spool and its points, read by DuckDB (only the tags column is
 * converted). The spool is read again by `insertCsv`: reading it twice cost less than one copy into
 * a temp table (CSV parsing is the cheap part). Runs inside the slice's transaction.
 */
export async function loadCsv(
  warehouse: Warehouse,
  spool: CsvSpool,
  fields: readonly string[],
): Promise<LoadedCsv> {
  const distinct = await warehouse.all<{ tags: string | null; points: number }>(
    `SELECT tags, count(*) AS points FROM ${readCsvSql(fields)} GROUP BY tags`,
    { path: spool.path },
  );
  const points = distinct.reduce((n, d) => n + Number(d.points), 0);
  const series: CsvSeries[] = [];
  for (const { tags: text } of distinct) {
    const tags = parseSeriesTags(text);
    if (tags === undefined) return { points, series: undefined };
    series.push({ text, tags });
  }
  return { points, series };
}

/**
 * Moves a spool into `signal`: one value row per non-NULL field value; returns the rows inserted.
 * Each (series tags, field) is a series, added to `signal_series` when new. A small table holds,
 * per `tags` text, the series id of every field; the CSV rows join it on their tags text (one join
 * per point, not per value) and one UNPIVOT turns each point into (series, value) pairs, keeping a
 * point's values together and its time repeated (RLE). Unpivoting field names and joining them to
 * series ids cost twice the CPU; copying the CSV into a temp table first, about as much again.
 */
export async function insertCsv(
  warehouse: Warehouse,
  spool: CsvSpool,
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
  // Field names are plain identifiers (csvFieldsSupported): safe as literals and as column names;
  // the id columns are named `#<index>`, which no plain identifier is.
  const names = fields.map((f) => `('${f}')`).join(", ");
  const keys = `(SELECT k.tags, $measurement AS measurement, k.site, k.line, k.station, k.serial, f.field
    FROM temp.${CSV_KEYS} k CROSS JOIN (VALUES ${names}) f(field))`;
  await insertNewSeries(warehouse, keys, { measurement });
  const ids = fields.map((f, i) => `max(s.id) FILTER (WHERE n.field = '${f}') AS "#${i}"`);
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE ${CSV_IDS} AS
     SELECT n.tags, ${ids.join(", ")} FROM ${keys} n JOIN signal_series s ON ${seriesMatch("s", "n")}
     GROUP BY n.tags`,
    { measurement },
  );
  const pairs = fields.map((f, i) => `k."#${i}", c."${f}"`).join(", ");
  const on = fields.map((f, i) => `("#${i}", "${f}") AS "${f}"`).join(", ");
  return warehouse.changes(
    `INSERT INTO signal_value (series, value, ts)
     SELECT series, value, ts FROM (
       UNPIVOT (
         SELECT c."time" AS ts, ${pairs}
         FROM ${readCsvSql(fields)} c JOIN temp.${CSV_IDS} k ON coalesce(c.tags, '') = k.tags
       ) ON ${on} INTO NAME field VALUE series, value
     ) WHERE value IS NOT NULL`,
    { path: spool.path },
  );
}
