import { existsSync } from "node:fs";
import { extname } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { quoteIdentifier, type SqlValue } from "../warehouse/index.ts";
import { columnsFromRows, toCategory, type UnitColumns } from "./dataset.ts";
import type { DesignatorRecord } from "./designators.ts";
import { PredictError } from "./errors.ts";
import { PREDICT_TARGETS, type PredictTarget } from "./options.ts";

/**
 * Reads a CSV or Parquet file of units with DuckDB (`read_csv_auto` sniffs the dialect and the
 * column types; the path is bound, never spliced into the SQL).
 */
export async function readUnitFile(path: string): Promise<UnitColumns> {
  const extension = extname(path.replace(/\.(gz|zst)$/i, "")).toLowerCase();
  const reader =
    extension === ".parquet"
      ? "read_parquet"
      : extension === ".csv" || extension === ".tsv" || extension === ".txt"
        ? "read_csv_auto"
        : undefined;
  if (reader === undefined) {
    throw new PredictError("bad-input", `${path}: expected a .csv or .parquet file`);
  }
  if (!existsSync(path)) throw new PredictError("bad-input", `${path}: no such file`);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const result = await connection.runAndReadAll(`SELECT * FROM ${reader}($path)`, { path });
    return {
      names: result.columnNames(),
      types: result.columnTypes().map(String),
      columns: result.getColumnsJS() as unknown[][],
    };
  } catch (error) {
    throw new PredictError("bad-input", `${path}: ${(error as Error).message.split("\n")[0]}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Reads rows of the warehouse (the jobs process's `Warehouse`, or a read-only connection). */
export interface WarehouseReader {
  all<T = Record<string, unknown>>(sql: string, params?: Record<string, SqlValue>): Promise<T[]>;
}

/** Where the warehouse keeps one row per unit with its features and outcomes. */
export interface FeatureTableLayout {
  /** Table (or view) name. Default "unit_features". */
  table: string;
  /** Unit identifier. Default "serial". */
  id: string;
  /** Time of the unit, epoch ms, ordering the time split. Default "first_seen". */
  time: string;
  /**
   * Outcome column of a target: "fail"/"pass" or true/false, NULL when not yet tested. Default
   * `<kind>_first_result` (the first verdict, so a passed retest does not hide a first failure),
   * and `test_first_fail` for any.
   */
  outcome: (target: PredictTarget) => string;
  /**
   * Columns that are never features: times a model cannot extrapolate from, and what is known only
   * after the tests. Default last_seen, reflow_start, reflow_complete (and every outcome column).
   */
  exclude: readonly string[];
  /** Table of lineage by reference designator (serial, ref, lot, supplier, `<kind>_defect`...). Default "unit_designator". */
  designatorTable: string;
}

export const DEFAULT_FEATURE_TABLE: Readonly<FeatureTableLayout> = Object.freeze({
  table: "unit_features",
  id: "serial",
  time: "first_seen",
  outcome: (target: PredictTarget) =>
    target === "any" ? "test_first_fail" : `${target}_first_result`,
  exclude: Object.freeze(["last_seen", "reflow_start", "reflow_complete"]),
  designatorTable: "unit_designator",
});

/** What a test step records happens after the unit's process: never a feature. */
const TEST_COLUMN = /^(aoi|axi|ict|fct|test)_/;

/** The warehouse's feature table, ready for `buildDataset` with the returned spec. */
export interface WarehouseFeatures {
  columns: UnitColumns;
  label: string;
  id: string;
  time: string | undefined;
  exclude: string[];
}

/**
 * Reads the warehouse's per-unit feature table for `target`. Refuses with `features-unavailable`
 * (retryable) when the table is not there yet, and with `no-outcome` when the target's outcome
 * column is missing. For `any` without its column, a unit failed when any test step failed and
 * passed when every tested step passed.
 */
export async function readWarehouseFeatures(
  warehouse: WarehouseReader,
  target: PredictTarget,
  layout: Partial<FeatureTableLayout> = {},
): Promise<WarehouseFeatures> {
  const l: FeatureTableLayout = { ...DEFAULT_FEATURE_TABLE, ...layout };
  const described = await warehouse.all<{ name: string; type: string }>(
    "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = $table ORDER BY ordinal_position",
    { table: l.table },
  );
  if (described.length === 0) {
    throw new PredictError(
      "features-unavailable",
      `the warehouse has no ${l.table} table yet (one row per ${l.id} with its features and an outcome column per test step, e.g. ${l.outcome("aoi")}); pass --input FILE to analyse a file instead`,
    );
  }
  const names = described.map((d) => d.name);
  if (!names.includes(l.id)) {
    throw new PredictError("features-unavailable", `${l.table} has no ${l.id} column`);
  }
  const outcomeColumns = PREDICT_TARGETS.map((t) => l.outcome(t)).filter((c) => names.includes(c));
  let label = l.outcome(target);
  const derivedAny = target === "any" && !names.includes(label) && outcomeColumns.length > 0;
  if (!names.includes(label) && !derivedAny) {
    throw new PredictError(
      "no-outcome",
      `${l.table} has no outcome column ${label} for target ${target} (outcome columns: ${outcomeColumns.join(", ") || "none"})`,
    );
  }
  const rows = await warehouse.all(`SELECT * FROM ${quoteIdentifier(l.table)}`);
  const byName = columnsFromRows(rows);
  const tableNames = [...names];
  const types = described.map((d) => d.type);
  const columns: unknown[][] = names.map((name) => {
    const index = byName.names.indexOf(name);
    return index >= 0 ? (byName.columns[index] as unknown[]) : rows.map(() => null);
  });
  if (derivedAny) {
    label = "any_fail";
    const failed = (v: unknown) =>
      v === true || (typeof v === "string" && v.toLowerCase() === "fail");
    const outcomes = outcomeColumns.map((c) => columns[names.indexOf(c)] as unknown[]);
    const any = rows.map((_, i) => {
      const verdicts = outcomes.map((o) => o[i]).filter((v) => v !== null && v !== undefined);
      if (verdicts.some(failed)) return true;
      return verdicts.length > 0 ? false : null;
    });
    tableNames.push(label);
    types.push("BOOLEAN");
    columns.push(any);
  }
  const exclude = names.filter(
    (n) =>
      n !== label &&
      n !== l.time &&
      (TEST_COLUMN.test(n) || outcomeColumns.includes(n) || l.exclude.includes(n)),
  );
  return {
    columns: { names: tableNames, types, columns },
    label,
    id: l.id,
    time: names.includes(l.time) ? l.time : undefined,
    exclude,
  };
}

/**
 * Per serial and reference designator, from the warehouse's `unit_designator` (lineage by
 * designator): lot, supplier, the designator's SPI pads and whether the first test of `target`
 * called a defect there — for the designators with at least `minDefects` such defects. Empty
 * for `any` (a defect belongs to one test step) and when the table is not there.
 */
export async function readDesignatorRecords(
  warehouse: WarehouseReader,
  target: PredictTarget,
  minDefects: number,
  table = DEFAULT_FEATURE_TABLE.designatorTable,
): Promise<DesignatorRecord[]> {
  if (target === "any") return [];
  const defect = `${target}_defect`;
  const described = await warehouse.all<{ name: string }>(
    "SELECT column_name AS name FROM information_schema.columns WHERE table_name = $table",
    { table },
  );
  const names = new Set(described.map((d) => d.name));
  const needed = ["serial", "ref", "lot", "supplier", defect];
  if (!needed.every((n) => names.has(n))) return [];
  const optional = (column: string) => (names.has(column) ? quoteIdentifier(column) : "NULL");
  const t = quoteIdentifier(table);
  const rows = await warehouse.all<Record<string, unknown>>(
    `SELECT serial, ref, lot, supplier, ${optional("spi_volume_mean_pct")} AS volume,
       ${optional("spi_outside_share")} AS outside, ${quoteIdentifier(defect)} AS defect
     FROM ${t}
     WHERE ref IN (SELECT ref FROM ${t} WHERE ${quoteIdentifier(defect)} GROUP BY ref HAVING count(*) >= $min)
     ORDER BY ref, serial`,
    { min: minDefects },
  );
  return rows.map((r) => ({
    serial: String(r.serial),
    ref: String(r.ref),
    lot: toCategory(r.lot),
    supplier: toCategory(r.supplier),
    spiVolumeMeanPct: r.volume === null || r.volume === undefined ? null : Number(r.volume),
    spiOutsideShare: r.outside === null || r.outside === undefined ? null : Number(r.outside),
    defect: r.defect === null || r.defect === undefined ? null : Boolean(r.defect),
  }));
}
