import { randomUUID } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { QueryParam } from "../../influx/index.ts";
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
  /** The distinct `tags` column texts, unquoted as a CSV reader reads them ("" for a series without tags), in order of appearance. */
  tags: string[];
}

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

const NEWLINE = 10;
const SPOOL_WRITE_BYTES = 1 << 20;
const COMMA = 44;
const QUOTE = 34;

/**
 * Counts the rows of a CSV answer and finds its distinct `tags` texts as the bytes pass, so that
 * DuckDB reads the spool once. InfluxDB sends a series' rows one after another: a row that starts
 * with the same bytes as the row before, up to the comma after `tags`, is of the same series (a CSV
 * field's text is fixed by its bytes up to the delimiter), and only the first row of each run is
 * parsed. A row never holds a newline (line protocol has none in names or tags; values are numbers).
 */
export class CsvSeriesScanner {
  readonly tags = new Set<string>();
  /** Lines seen, the header included. */
  lines = 0;
  private prefix = new Uint8Array(0);
  private tail: Buffer | undefined;

  scan(piece: Uint8Array): void {
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let start = 0;
    let newline = bytes.indexOf(NEWLINE);
    if (this.tail !== undefined) {
      if (newline < 0) {
        this.tail = Buffer.concat([this.tail, bytes]);
        return;
      }
      const line = Buffer.concat([this.tail, bytes.subarray(0, newline)]);
      this.tail = undefined;
      this.line(line, 0, line.length);
      start = newline + 1;
      newline = bytes.indexOf(NEWLINE, start);
    }
    while (newline >= 0) {
      this.line(bytes, start, newline);
      start = newline + 1;
      newline = bytes.indexOf(NEWLINE, start);
    }
    // Copied: the piece's memory may be reused once it has been written.
    if (start < bytes.length) this.tail = Buffer.from(bytes.subarray(start));
  }

  /** The answer ended; a last row without a newline counts. */
  end(): void {
    if (this.tail === undefined) return;
    const line = this.tail;
    this.tail = undefined;
    this.line(line, 0, line.length);
  }

  private line(bytes: Buffer, start: number, end: number): void {
    // Blank lines (InfluxDB writes one between statements) are neither the header nor a point.
    if (end === start) return;
    if (this.lines++ === 0) return;
    const prefix = this.prefix;
    const n = prefix.length;
    if (n > 0 && end - start > n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (bytes[start + i] !== prefix[i]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    const fields = leadingFields(bytes, start, end, 2);
    if (fields === undefined)
      throw new Error(
        `InfluxDB's CSV row "${bytes.toString("utf8", start, Math.min(end, start + 200))}" has no name and tags`,
      );
    this.tags.add(fields.texts[1] as string);
    this.prefix = Uint8Array.prototype.slice.call(bytes, start, fields.end);
  }
}

/** The first `count` fields of a CSV row (RFC 4180 quoting) and where the next begins. */
function leadingFields(
  bytes: Buffer,
  start: number,
  end: number,
  count: number,
): { texts: string[]; end: number } | undefined {
  const texts: string[] = [];
  let at = start;
  while (texts.length < count) {
    if (bytes[at] === QUOTE) {
      let text = "";
      let from = at + 1;
      for (;;) {
        const quote = bytes.indexOf(QUOTE, from);
        if (quote < 0 || quote >= end) return undefined;
        text += bytes.toString("utf8", from, quote);
        if (bytes[quote + 1] === QUOTE) {
          text += '"';
          from = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      if (bytes[at] !== COMMA) return undefined;
      texts.push(text);
      at++;
    } else {
      const comma = bytes.indexOf(COMMA, at);
      if (comma < 0 || comma >= end) return undefined;
      texts.push(bytes.toString("utf8", at, comma));
      at = comma + 1;
    }
  }
  return { texts, end: at };
}

/** Where the `count`-th newline of `bytes` ends (the index after it), or -1 when it has fewer. */
function afterNewlines(bytes: Uint8Array, count: number): number {
  let at = 0;
  for (let seen = 0; seen < Math.max(1, count); seen++) {
    const newline = bytes.indexOf(NEWLINE, at);
    if (newline < 0) return -1;
    at = newline + 1;
  }
  return at;
}

/** One spool file being written: its bytes not yet written, its rows and tags. */
class SpoolPart {
  readonly path: string;
  readonly scanner = new CsvSeriesScanner();
  private file: Awaited<ReturnType<typeof open>> | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  /** `continued`: the part begins where an earlier part of the same answer was cut. */
  constructor(
    directory: string,
    readonly continued: boolean,
  ) {
    this.path = join(directory, `.sync-${process.pid}-${randomUUID()}.csv`);
  }

  /** Rows so far, the header not counted. */
  get points(): number {
    return Math.max(0, this.scanner.lines - 1);
  }

  async add(bytes: Uint8Array): Promise<void> {
    this.scanner.scan(bytes);
    await this.keep(bytes);
  }

  /** Bytes for the file, already scanned. */
  async keep(bytes: Uint8Array): Promise<void> {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    // InfluxDB's answer comes in pieces of a few KB: one write per piece cost more CPU than the
    // rest of the spooling, so pieces are written a MiB at a time.
    if (this.pendingBytes >= SPOOL_WRITE_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    this.file ??= await open(this.path, "wx");
    const writing = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.file.writev(writing);
  }

  /** Writes what is pending and closes the file: the spool, ready for DuckDB. */
  async finish(): Promise<CsvSpool> {
    await this.flush();
    await this.file?.close();
    this.file = undefined;
    this.scanner.end();
    return { path: this.path, points: this.points, tags: [...this.scanner.tags] };
  }

  async discard(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await rm(this.path, { force: true });
  }
}

/**
 * Streams a CSV answer to new files in `directory`, checking its header, counting its rows and
 * finding its series' tags (`CsvSeriesScanner`); `check` runs between network pieces (abort). In
 * parts of `partRows` rows (the last may hold fewer; one part when unbounded), each a file with
 * the header of its own, yielded as soon as it is complete: DuckDB loads one part while InfluxDB sends the next,
 * instead of waiting for the whole answer. A part not yet yielded is removed when anything fails or
 * the consumer stops; yielded ones are the consumer's.
 */
export async function* spoolCsvParts(
  pieces: AsyncIterable<Uint8Array>,
  directory: string,
  header: string,
  check: () => void,
  partRows: number,
): AsyncGenerator<CsvSpool> {
  const expected = new TextEncoder().encode(`${header}\n`);
  let checked = 0;
  let part: SpoolPart | undefined;
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
      let rest = bytes;
      for (;;) {
        part ??= new SpoolPart(directory, false);
        // Until the header is whole no part ends; the first part's header line is not a row.
        const cut =
          checked === expected.length && Number.isFinite(partRows)
            ? afterNewlines(rest, partRows - part.points + (part.scanner.lines === 0 ? 1 : 0))
            : -1;
        if (cut < 0) {
          await part.add(rest);
          break;
        }
        await part.add(rest.subarray(0, cut));
        const done = await part.finish();
        part = new SpoolPart(directory, true);
        await part.add(expected);
        yield done;
        rest = rest.subarray(cut);
        if (rest.length === 0) break;
      }
    }
    if (checked === 0) return;
    if (checked < expected.length) throw new Error(`InfluxDB's CSV answer ended inside its header`);
    if (part) {
      const last = part;
      const done = await last.finish();
      part = undefined;
      // A part cut at the answer's very end holds the header only: nothing to load.
      if (done.points > 0 || !last.continued) yield done;
      else await rm(done.path, { force: true });
    }
  } finally {
    await part?.discard();
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

/** One series of a spool: its `tags` text and, per field of the slice, its series id. */
export interface CsvSeries {
  text: string;
  ids: readonly number[];
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
 * Moves a spool into `signal_value`: one row per non-NULL field value; returns the rows inserted.
 * The series ids are known (`SeriesIds`): one UNPIVOT turns each point into (series, value) pairs,
 * keeping a point's values together and its time repeated (RLE). With one series in the spool the
 * ids are constants; with several, each row joins an inline table of the series' ids on its tags
 * text (one join per point, not per value; the texts bound). Unpivoting field names and joining them
 * to ids by name cost twice the CPU; copying the CSV into a temp table first, about as much again.
 */
export async function insertCsv(
  warehouse: Warehouse,
  spool: CsvSpool,
  fields: readonly string[],
  series: readonly CsvSeries[],
): Promise<number> {
  if (series.length === 0) return 0;
  for (const { ids } of series) {
    if (ids.length !== fields.length || !ids.every(Number.isSafeInteger))
      throw new Error("insertCsv: one integer series id per field");
  }
  // Field names are plain identifiers (csvFieldsSupported): safe as column names; the id columns
  // are named `#<index>`, which no plain identifier is. Ids are integers (checked above).
  const params: Record<string, string> = { path: spool.path };
  let from: string;
  let idColumns: string;
  const [only] = series;
  if (series.length === 1 && only) {
    from = `${readCsvSql(fields)} c`;
    idColumns = only.ids.map((id, i) => `${id}::INTEGER AS "#${i}"`).join(", ");
  } else {
    const rows = series.map(({ text, ids }, r) => {
      params[`tags${r}`] = text;
      return `($tags${r}::VARCHAR, ${ids.map((id) => `${id}::INTEGER`).join(", ")})`;
    });
    const names = fields.map((_, i) => `"#${i}"`).join(", ");
    // LEFT: a row whose tags the scan missed would have no series, and NOT NULL fails the slice.
    from = `${readCsvSql(fields)} c LEFT JOIN (VALUES ${rows.join(", ")}) k(tags, ${names})
         ON coalesce(c.tags, '') = k.tags`;
    idColumns = fields.map((_, i) => `k."#${i}"`).join(", ");
  }
  const values = fields.map((f) => `c."${f}"`).join(", ");
  const on = fields.map((f, i) => `("#${i}", "${f}") AS "${f}"`).join(", ");
  return warehouse.changes(
    `INSERT INTO signal_value (series, value, ts)
     SELECT series, value, ts FROM (
       UNPIVOT (SELECT c."time" AS ts, ${idColumns}, ${values} FROM ${from})
       ON ${on} INTO NAME field VALUE series, value
     ) WHERE value IS NOT NULL`,
    params,
  );
}
