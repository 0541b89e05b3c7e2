import type { DuckDBConnection } from "@duckdb/node-api";
import type { SqlValue, Warehouse } from "./warehouse.ts";

/**
 * How `signal` is stored. A series (measurement, site, line, station, serial, field) is one row of
 * `signal_series` with a stable integer id; each value is one row of `signal_value` (series, value,
 * ts); `signal` is a view joining the two, with the columns the long table had. Why: DuckDB wrote
 * the eight-column long table at about 8× the CPU of the three numbers, and the six text columns
 * repeat per series anyway. Readers (features, SPC, trace, archive) read the view and did not change;
 * writers go through `insertSignal` or, in the sync, the same two steps (new series, then values).
 */
export const SIGNAL_SERIES_TABLE = "signal_series";
export const SIGNAL_VALUE_TABLE = "signal_value";

/** The columns of `signal`, in their order. */
export const SIGNAL_COLUMNS = [
  "measurement",
  "site",
  "line",
  "station",
  "serial",
  "field",
  "value",
  "ts",
] as const;

/** What identifies a series: every column of `signal` but value and time. */
export const SERIES_KEYS = ["measurement", "site", "line", "station", "serial", "field"] as const;

const SIGNAL_VIEW = `CREATE VIEW IF NOT EXISTS signal AS
SELECT s.measurement, s.site, s.line, s.station, s.serial, s.field, v.value, v.ts
FROM signal_value v JOIN signal_series s ON s.id = v.series`;

/**
 * No index on `signal_value`: an ART index costs on every insert and delete, and what reads it
 * filters on time (zone maps) and series (a join with the small series table). The series table
 * has no unique constraint (it treats NULL tags as distinct); the one writer process adds only the
 * series it does not have, in the transaction of the values: `insertNewSeries` looks them up in
 * the table, the sync's `SeriesIds` in its cache of it (forgotten on a rollback, and marked stale
 * whenever another path may have added series). A path that adds series otherwise must do the same.
 */
export const SIGNAL_DDL: readonly string[] = [
  "CREATE SEQUENCE IF NOT EXISTS signal_series_id",
  `CREATE TABLE IF NOT EXISTS signal_series (id INTEGER PRIMARY KEY DEFAULT nextval('signal_series_id'), measurement VARCHAR NOT NULL, site VARCHAR, line VARCHAR, station VARCHAR, serial VARCHAR, field VARCHAR NOT NULL)`,
  "CREATE TABLE IF NOT EXISTS signal_value (series INTEGER NOT NULL, value DOUBLE, ts BIGINT NOT NULL)",
  SIGNAL_VIEW,
];

/** The join condition of a series row `a` and a key row `b` (NULL tags match NULL tags). */
export function seriesMatch(a: string, b: string): string {
  return SERIES_KEYS.map((k) => `${a}.${k} IS NOT DISTINCT FROM ${b}.${k}`).join(" AND ");
}

/**
 * Adds to `signal_series` every series of `relation` (an SQL table expression with the columns of
 * SERIES_KEYS) that it does not hold yet; returns how many were added.
 */
export async function insertNewSeries(
  warehouse: Warehouse,
  relation: string,
  params: Record<string, SqlValue> = {},
): Promise<number> {
  const keys = SERIES_KEYS.join(", ");
  return warehouse.changes(
    `INSERT INTO signal_series (${keys})
     SELECT DISTINCT ${SERIES_KEYS.map((k) => `n.${k}`).join(", ")} FROM ${relation} n
     WHERE NOT EXISTS (SELECT 1 FROM signal_series s WHERE ${seriesMatch("s", "n")})`,
    params,
  );
}

/** The `WHERE` of a measurement's values in `[from, to)` on `signal_value`, with `$measurement`, `$from`, `$to`. */
export const SIGNAL_RANGE_WHERE = `series IN (SELECT id FROM signal_series WHERE measurement = $measurement) AND ts >= $from AND ts < $to`;

/** One row of `signal`, as `insertSignal` takes it from JS. */
export interface SignalRow {
  measurement: string;
  site: string | null;
  line: string | null;
  station: string | null;
  serial: string | null;
  field: string;
  value: number | null;
  /** Epoch ms. */
  ts: number;
}

const INSERT_STAGE = "signal_insert";

/**
 * Inserts long rows into `signal` (the view cannot be inserted into): new series first, then the
 * values, in one statement each; returns the rows inserted. `rows` is either an SQL SELECT whose
 * eight columns are those of `signal` in their order (names do not matter; `params` bound), or rows
 * from JS. The values are stored in the order of the rows given (a reader that scans `signal` sees
 * them so, as it sees what the sync wrote in the order InfluxDB sent it). Runs inside the caller's
 * transaction, if there is one.
 */
export async function insertSignal(
  warehouse: Warehouse,
  rows: string | readonly SignalRow[],
  params: Record<string, SqlValue> | SqlValue[] = {},
): Promise<number> {
  // Staged once: a SELECT with random() or now() must give the series and the values the same rows.
  const columns =
    "measurement VARCHAR, site VARCHAR, line VARCHAR, station VARCHAR, serial VARCHAR, field VARCHAR, value DOUBLE, ts BIGINT";
  await warehouse.run(`CREATE OR REPLACE TEMP TABLE ${INSERT_STAGE} (${columns})`);
  try {
    if (typeof rows === "string") {
      await warehouse.run(
        `INSERT INTO temp.${INSERT_STAGE} SELECT * FROM (${rows}) r(${SIGNAL_COLUMNS.join(", ")})`,
        params,
      );
    } else {
      await appendRows(warehouse.connection, rows);
    }
    await insertNewSeries(warehouse, `temp.${INSERT_STAGE}`);
    return await warehouse.changes(
      `INSERT INTO signal_value (series, value, ts)
       SELECT s.id, r.value, r.ts FROM temp.${INSERT_STAGE} r JOIN signal_series s ON ${seriesMatch("s", "r")}
       ORDER BY r.rowid`,
    );
  } finally {
    await warehouse.run(`DROP TABLE IF EXISTS temp.${INSERT_STAGE}`);
  }
}

async function appendRows(connection: DuckDBConnection, rows: readonly SignalRow[]): Promise<void> {
  const appender = await connection.createAppender(INSERT_STAGE, "main", "temp");
  try {
    for (const row of rows) {
      appender.appendVarchar(row.measurement);
      for (const tag of [row.site, row.line, row.station, row.serial]) {
        if (tag === null) appender.appendNull();
        else appender.appendVarchar(tag);
      }
      appender.appendVarchar(row.field);
      if (row.value === null) appender.appendNull();
      else appender.appendDouble(row.value);
      appender.appendBigInt(BigInt(row.ts));
      appender.endRow();
    }
    appender.flushSync();
  } catch (error) {
    appender.clear();
    throw error;
  } finally {
    appender.closeSync();
  }
}

/**
 * A warehouse file from before the split holds `signal` as a table: its rows move to the two tables
 * and the table becomes the view, in one transaction (all of it or none of it). A no-op otherwise.
 * Returns the rows moved (undefined when there was nothing to migrate).
 */
export async function migrateSignalTable(
  connection: DuckDBConnection,
): Promise<number | undefined> {
  const reader = await connection.runAndReadAll(
    "SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'signal'",
  );
  const type = reader.getRowObjectsJS()[0]?.table_type;
  if (type !== "BASE TABLE") return undefined;
  await connection.run("BEGIN TRANSACTION");
  try {
    for (const ddl of SIGNAL_DDL.slice(0, -1)) await connection.run(ddl);
    const keys = SERIES_KEYS.join(", ");
    await connection.run(
      `INSERT INTO signal_series (${keys}) SELECT DISTINCT ${keys} FROM signal ORDER BY ALL`,
    );
    const moved = await connection.run(
      `INSERT INTO signal_value (series, value, ts)
       SELECT s.id, o.value, o.ts FROM signal o JOIN signal_series s ON ${seriesMatch("s", "o")}
       ORDER BY o.ts, s.id`,
    );
    await connection.run("DROP TABLE signal");
    await connection.run(SIGNAL_VIEW);
    await connection.run("COMMIT");
    return Number(moved.rowsChanged);
  } catch (error) {
    await connection.run("ROLLBACK");
    throw error;
  }
}
