import { existsSync } from "node:fs";
import { extname } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { quoteIdentifier, type SqlValue } from "../warehouse/index.ts";
import { columnsFromRows, type UnitColumns } from "./dataset.ts";
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
  /** Time of the unit, epoch ms. Default "ts". */
  time: string;
  /** Outcome column of a test step: failed true, passed false, not yet tested NULL. Default `<kind>_fail`. */
  outcome: (target: PredictTarget) => string;
}

export const DEFAULT_FEATURE_TABLE: Readonly<FeatureTableLayout> = Object.freeze({
  table: "unit_features",
  id: "serial",
  time: "ts",
  outcome: (target: PredictTarget) => `${target}_fail`,
});

/** Outcomes and anything else a test step records happen after the unit's process: never features. */
const TEST_COLUMN = /^(aoi|axi|ict|fct|any)_/;

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
 * (retryable) when the table or the target's outcome column is not there yet. For `any` without an
 * `any_fail` column, a unit failed when any test step failed and passed when every tested step
 * passed.
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
    const outcomes = outcomeColumns.map((c) => columns[names.indexOf(c)] as unknown[]);
    const any = rows.map((_, i) => {
      const verdicts = outcomes.map((o) => o[i]).filter((v) => v !== null && v !== undefined);
      if (verdicts.some((v) => v === true)) return true;
      return verdicts.length > 0 ? false : null;
    });
    tableNames.push(label);
    types.push("BOOLEAN");
    columns.push(any);
  }
  const exclude = names.filter((n) => TEST_COLUMN.test(n) && n !== label);
  return {
    columns: { names: tableNames, types, columns },
    label,
    id: l.id,
    time: names.includes(l.time) ? l.time : undefined,
    exclude,
  };
}
