import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { badOption, WarehouseError } from "./errors.ts";
import { RECORD_TABLES } from "./schema.ts";
import { SIGNAL_RANGE_WHERE } from "./signal-store.ts";
import { DEFAULT_SYNC_OPTIONS, syncWatermarks } from "./sync.ts";
import { plainRow, quoteIdentifier, type Warehouse } from "./warehouse.ts";

/** One UTC day, ms. */
export const DAY_MS = 86_400_000;

/** What the archive job writes; one doc line per field. */
export interface ArchiveOptions {
  /** Rows older than this are archived, ms; only whole UTC days that end at or before now minus this; default 30 days. */
  olderThanMs: number;
  /** Delete a day's rows from the warehouse tables in the transaction that records its file; default false (keep). */
  deleteArchived: boolean;
  /** Only these measurements; default undefined: every record measurement and signal channel. */
  measurements: readonly string[] | undefined;
  /** The clock, epoch ms; default Date.now. */
  now: () => number;
  /**
   * The sync's late-arrival window (default its default, 5 min): a day is archived only once the
   * sync of its measurement has passed the day's end by this much, so a file is never frozen from
   * a day the sync is still filling (a first sync of a long history, a sync that fell behind).
   */
  lateWindowMs: number;
}

export const DEFAULT_ARCHIVE_OPTIONS: Readonly<ArchiveOptions> = Object.freeze({
  olderThanMs: 30 * DAY_MS,
  lateWindowMs: DEFAULT_SYNC_OPTIONS.lateWindowMs,
  deleteArchived: false,
  measurements: undefined,
  now: () => Date.now(),
});

/** One archived (measurement, day): its immutable Parquet file. */
export interface ArchivePartition {
  measurement: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Absolute path of the file. */
  path: string;
  rows: number;
  /** SHA-256 of the file, hex. */
  sha256: string;
  /** Rows deleted from the warehouse (with `deleteArchived`). */
  deleted: number;
  /** true when the file was found on disk from an interrupted run and recorded, not written. */
  adopted: boolean;
}

export interface ArchiveResult {
  /** Rows read from the warehouse into files. */
  rowsIn: number;
  /** Rows in the files recorded by this run. */
  rowsOut: number;
  partitions: ArchivePartition[];
  /** Measurements whose name cannot be a directory of the archive (left in the warehouse). */
  skipped: { measurement: string; reason: string }[];
}

/** A measurement's directory name: what the contract allows for a channel, nothing that walks up. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** The source table of a measurement and the filter that selects its rows. */
interface Source {
  measurement: string;
  table: string;
  /** The signal table holds every channel: rows of this one only. */
  signal: boolean;
}

/** `<dir>/<measurement>/day=YYYY-MM-DD/part-0.parquet`; refuses a name that is not a plain directory name. */
export function partitionPath(dir: string, measurement: string, day: string): string {
  checkName(measurement);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw badOption("day", day, "YYYY-MM-DD");
  return join(resolve(dir), measurement, `day=${day}`, "part-0.parquet");
}

/** The glob over every file of one measurement, for `read_parquet(..., hive_partitioning = true)`. */
export function archiveGlob(dir: string, measurement: string): string {
  checkName(measurement);
  return join(resolve(dir), measurement, "day=*", "*.parquet");
}

/**
 * An SQL table expression over one measurement's archive (columns of its table plus `day`), for
 * a view in any DuckDB: `CREATE VIEW reflow_archive AS SELECT * FROM ${archiveRelationSql(...)}`.
 * The glob is our own validated path, written as an escaped literal (a view cannot bind values).
 */
export function archiveRelationSql(dir: string, measurement: string): string {
  const glob = archiveGlob(dir, measurement).replaceAll("'", "''");
  return `read_parquet('${glob}', hive_partitioning = true, union_by_name = true)`;
}

function checkName(measurement: string): void {
  if (!SAFE_NAME.test(measurement)) {
    throw new WarehouseError(
      "bad-name",
      `measurement ${JSON.stringify(measurement)} cannot name an archive directory: expected ${SAFE_NAME}`,
    );
  }
}

function dayString(epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
}

export function resolveArchiveOptions(options: Partial<ArchiveOptions> = {}): ArchiveOptions {
  const o: ArchiveOptions = { ...DEFAULT_ARCHIVE_OPTIONS, ...options };
  if (!Number.isFinite(o.olderThanMs) || o.olderThanMs < 0)
    throw badOption("olderThanMs", o.olderThanMs, "a number of ms, 0 or more");
  if (!Number.isFinite(o.lateWindowMs) || o.lateWindowMs < 0)
    throw badOption("lateWindowMs", o.lateWindowMs, "a number of ms, 0 or more");
  if (typeof o.deleteArchived !== "boolean")
    throw badOption("deleteArchived", o.deleteArchived, "a boolean");
  return o;
}

/**
 * Writes every whole UTC day older than `olderThanMs` that has no archive file yet to
 * `<dir>/<measurement>/day=YYYY-MM-DD/part-0.parquet` (ZSTD, rows in time order), through a
 * temporary file fsynced and renamed, and records it in `archive_partition` with its row count and
 * SHA-256. A file once recorded is never rewritten; one found on disk but not recorded (a run
 * stopped between rename and record) is recorded as it is.
 */
export async function archiveOlderThan(
  warehouse: Warehouse,
  dir: string,
  options: Partial<ArchiveOptions> = {},
): Promise<ArchiveResult> {
  const o = resolveArchiveOptions(options);
  const cutoff = Math.floor((o.now() - o.olderThanMs) / DAY_MS) * DAY_MS;
  const result: ArchiveResult = { rowsIn: 0, rowsOut: 0, partitions: [], skipped: [] };
  const wanted = (m: string) => !o.measurements || o.measurements.includes(m);

  const sources: Source[] = RECORD_TABLES.filter((t) => wanted(t.measurement)).map((t) => ({
    measurement: t.measurement,
    table: t.table,
    signal: false,
  }));
  const channels = await warehouse.all<{ measurement: string }>(
    "SELECT DISTINCT measurement FROM signal WHERE ts < $cutoff ORDER BY measurement",
    { cutoff: BigInt(cutoff) },
  );
  for (const { measurement } of channels) {
    if (wanted(measurement)) sources.push({ measurement, table: "signal", signal: true });
  }

  const synced = await syncWatermarks(warehouse);
  for (const source of sources) {
    // Rows that did not come through the sync (an import) have no watermark to wait for.
    const syncedTo = synced.get(source.measurement);
    const settled =
      syncedTo === undefined ? cutoff : Math.floor((syncedTo - o.lateWindowMs) / DAY_MS) * DAY_MS;
    const sourceCutoff = Math.min(cutoff, settled);
    if (!SAFE_NAME.test(source.measurement)) {
      result.skipped.push({
        measurement: source.measurement,
        reason: `name not usable as a directory (expected ${SAFE_NAME})`,
      });
      continue;
    }
    const days = await warehouse.all<{ day: number }>(
      `SELECT DISTINCT CAST(floor(ts / ${DAY_MS}) AS BIGINT) AS day FROM ${quoteIdentifier(source.table)}
       WHERE ts < $cutoff ${source.signal ? "AND measurement = $measurement" : ""}
         AND CAST(floor(ts / ${DAY_MS}) AS BIGINT) NOT IN (
           SELECT CAST(floor(epoch(day) / 86400) AS BIGINT) FROM archive_partition WHERE measurement = $measurement)
       ORDER BY day`,
      { cutoff: BigInt(sourceCutoff), measurement: source.measurement },
    );
    for (const { day } of days) {
      const partition = await archiveDay(warehouse, dir, source, Number(day), o);
      result.partitions.push(partition);
      if (!partition.adopted) result.rowsIn += partition.rows;
      result.rowsOut += partition.rows;
    }
  }
  return result;
}

async function archiveDay(
  warehouse: Warehouse,
  dir: string,
  source: Source,
  epochDay: number,
  o: ArchiveOptions,
): Promise<ArchivePartition> {
  const day = dayString(epochDay);
  const path = partitionPath(dir, source.measurement, day);
  const range = {
    from: BigInt(epochDay * DAY_MS),
    to: BigInt((epochDay + 1) * DAY_MS),
    ...(source.signal ? { measurement: source.measurement } : {}),
  };
  const where = `ts >= $from AND ts < $to${source.signal ? " AND measurement = $measurement" : ""}`;
  let rows: number;
  const adopted = existsSync(path);
  if (adopted) {
    rows = await countParquetRows(warehouse, path);
  } else {
    mkdirSync(join(path, ".."), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    rmSync(temporary, { force: true });
    const columns = await warehouse.all<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns
       WHERE table_name = $table AND table_schema = 'main' ORDER BY ordinal_position`,
      { table: source.table },
    );
    const names = columns.map((c) => quoteIdentifier(c.name)).join(", ");
    // Ordered by time, then every column: the same rows give the same file, byte for byte.
    rows = await warehouse.changes(
      `COPY (SELECT ${names} FROM ${quoteIdentifier(source.table)} WHERE ${where} ORDER BY ts, ${names})
       TO $path (FORMAT PARQUET, COMPRESSION ZSTD)`,
      { ...range, path: temporary },
    );
    syncFile(temporary);
    renameSync(temporary, path);
    syncFile(join(path, ".."));
  }
  const sha256 = await sha256File(path);
  const deleted = await warehouse.transaction(async () => {
    await warehouse.run(
      `INSERT INTO archive_partition (measurement, day, path, rows, sha256, written_at)
       VALUES ($measurement, CAST($day AS DATE), $path, $rows, $sha256, $now)`,
      {
        measurement: source.measurement,
        day,
        path,
        rows: BigInt(rows),
        sha256,
        now: BigInt(Math.floor(o.now())),
      },
    );
    if (!o.deleteArchived) return 0;
    // `signal` is a view: its values are deleted where they are stored (the series stay).
    const deletion = source.signal
      ? `DELETE FROM signal_value WHERE ${SIGNAL_RANGE_WHERE}`
      : `DELETE FROM ${quoteIdentifier(source.table)} WHERE ${where}`;
    return warehouse.changes(deletion, range);
  });
  return { measurement: source.measurement, day, path, rows, sha256, deleted, adopted };
}

async function countParquetRows(warehouse: Warehouse, path: string): Promise<number> {
  const [row] = await warehouse.all<{ n: number }>(
    "SELECT count(*) AS n FROM read_parquet($path)",
    { path },
  );
  return Number(row?.n ?? 0);
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const bytes of createReadStream(path)) hash.update(bytes as Buffer);
  return hash.digest("hex");
}

/** A recorded partition whose file is missing or no longer has the recorded hash. */
export interface ArchiveMismatch {
  measurement: string;
  day: string;
  path: string;
  problem: "missing" | "hash";
}

/** Checks every recorded archive file against its SHA-256; returns what does not match. */
export async function verifyArchive(warehouse: Warehouse): Promise<ArchiveMismatch[]> {
  const recorded = await warehouse.all<{
    measurement: string;
    day: string;
    path: string;
    sha256: string;
  }>(
    "SELECT measurement, strftime(day, '%Y-%m-%d') AS day, path, sha256 FROM archive_partition ORDER BY measurement, day",
  );
  const mismatches: ArchiveMismatch[] = [];
  for (const p of recorded) {
    if (!existsSync(p.path)) {
      mismatches.push({ measurement: p.measurement, day: p.day, path: p.path, problem: "missing" });
    } else if ((await sha256File(p.path)) !== p.sha256) {
      mismatches.push({ measurement: p.measurement, day: p.day, path: p.path, problem: "hash" });
    }
  }
  return mismatches;
}

/**
 * Rows of one measurement's archive with `fromMs <= ts < toMs`, in time order, read with DuckDB's
 * `read_parquet` in an in-memory database: for processes that must not open the warehouse file
 * (DuckDB allows one writer). Only the days of the range are opened (hive partition pruning).
 * BIGINT values come back as numbers when they are safe integers.
 */
export async function readArchive(
  dir: string,
  measurement: string,
  fromMs: number,
  toMs: number,
): Promise<Record<string, unknown>[]> {
  const glob = archiveGlob(dir, measurement);
  if (!existsSync(join(resolve(dir), measurement))) return [];
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    try {
      const reader = await connection
        .runAndReadAll(
          `SELECT * EXCLUDE (day) FROM read_parquet($glob, hive_partitioning = true, union_by_name = true)
         WHERE day >= CAST($fromDay AS DATE) AND day <= CAST($toDay AS DATE) AND ts >= $from AND ts < $to
         ORDER BY ts`,
          {
            glob,
            fromDay: dayString(Math.floor(fromMs / DAY_MS)),
            toDay: dayString(Math.floor(toMs / DAY_MS)),
            from: BigInt(Math.ceil(fromMs)),
            to: BigInt(Math.ceil(toMs)),
          },
        )
        // A measurement directory without files yet (a write stopped before its rename).
        .catch((error: unknown) => {
          if (/No files found/.test(String(error))) return undefined;
          throw error;
        });
      if (!reader) return [];
      return reader.getRowObjectsJS().map((row) => plainRow(row));
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
