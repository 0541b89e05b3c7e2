import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { SCHEMA_DDL } from "./schema.ts";
import { migrateSignalTable } from "./signal-store.ts";

/** A bound value for DuckDB: never spliced into SQL text. */
export type SqlValue = DuckDBValue;

/**
 * The DuckDB warehouse (`<dataDir>/warehouse.duckdb`). Only the jobs process opens it for writing:
 * DuckDB allows one writer process. Others read the Parquet archive or go through that process.
 */
export class Warehouse {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly path: string,
    /** False for a second connection (`connect`): closing it leaves the instance open. */
    private readonly ownsInstance = true,
  ) {}

  /**
   * Another connection to the same warehouse, in this process: its transactions are its own, so
   * work on it runs beside work on this one (DuckDB resolves concurrent transactions; two touching
   * the same rows conflict). Close it before the warehouse it came from.
   */
  async connect(): Promise<Warehouse> {
    return new Warehouse(this.instance, await this.instance.connect(), this.path, false);
  }

  /** Opens (creating when missing) the warehouse at `path`, or in memory for `:memory:`. */
  static async open(path: string): Promise<Warehouse> {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    // Times are epoch milliseconds (BIGINT), so no time zone setting is needed (ICU is not bundled).
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    // A file from before `signal` became a view over series and values is converted first.
    await migrateSignalTable(connection);
    for (const ddl of SCHEMA_DDL) await connection.run(ddl);
    return new Warehouse(instance, connection, path);
  }

  /** Rows as plain objects (BIGINT as number when it is a safe integer). */
  async all<T = Record<string, unknown>>(
    sql: string,
    params: Record<string, SqlValue> | SqlValue[] = [],
  ): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS().map((row) => plainRow(row) as T);
  }

  async run(sql: string, params: Record<string, SqlValue> | SqlValue[] = []): Promise<void> {
    await this.connection.run(sql, params as never);
  }

  /** Runs an INSERT / UPDATE / DELETE and returns how many rows it changed. */
  async changes(sql: string, params: Record<string, SqlValue> | SqlValue[] = []): Promise<number> {
    const result = await this.connection.run(sql, params as never);
    return Number(result.rowsChanged);
  }

  /** Runs `work` in one transaction: all of it or none of it (an interrupted sync leaves nothing half done). */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.connection.run("BEGIN TRANSACTION");
    try {
      const result = await work();
      await this.connection.run("COMMIT");
      return result;
    } catch (error) {
      await this.connection.run("ROLLBACK");
      throw error;
    }
  }

  close(): void {
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }
}

/** Quotes an SQL identifier (table or column name) for DuckDB. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A row with its BIGINT values as numbers where they are safe integers (epoch ms, counts). */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) {
    if (
      typeof v === "bigint" &&
      v <= BigInt(Number.MAX_SAFE_INTEGER) &&
      v >= BigInt(Number.MIN_SAFE_INTEGER)
    )
      row[k] = Number(v);
  }
  return row;
}
