import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { TraceOptions } from "./options.ts";
import { type TableSources, tableSources, unionSql, type Window } from "./sources.ts";
import type { SourcePlan, TailInflux } from "./store.ts";
import { InfluxTail, type TailState } from "./tail.ts";

/** A bound value: never spliced into SQL text. */
export type SqlParams = Record<string, DuckDBValue> | DuckDBValue[];

/**
 * One reader connection with its own slice of InfluxDB's tail. A session sees
 * the sources as they were when it opened; close it to release the warehouse.
 */
export class TraceSession {
  readonly tail: InfluxTail;

  constructor(
    readonly connection: DuckDBConnection,
    readonly plan: SourcePlan,
    private readonly sources: ReadonlyMap<string, TableSources>,
    readonly options: TraceOptions,
    influx: TailInflux | undefined,
    private readonly release: () => Promise<void>,
    private readonly cache: <T>(key: string, compute: () => Promise<T>) => Promise<T>,
  ) {
    this.tail = new InfluxTail(this, influx);
  }

  /**
   * A result the store keeps for a short while for every session over the same sources (the
   * product's route and bill of materials around an hour, for instance).
   */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    return this.cache(key, compute);
  }

  /**
   * A table's rows for a query, SQL text to put after FROM: the union of its sources (archive
   * files, warehouse, the InfluxDB tail this session loaded), with a window only those that can
   * hold rows of it, and only its rows (`ts` within, both ends included). Built per query rather
   * than kept as a view: a view over every archive file costs its planning on every query.
   */
  from(table: string, window?: Window): string {
    const union = unionSql(tableSources(table, this.sources), window, this.tail.loaded.has(table));
    if (window === undefined) return union;
    return `(SELECT * FROM ${union} WHERE ts BETWEEN ${Math.floor(window.from)} AND ${Math.ceil(window.to)})`;
  }

  /** Rows as plain objects; BIGINT as number when it is a safe integer, DATE as `YYYY-MM-DD`. */
  async all<T = Record<string, unknown>>(sql: string, params: SqlParams = []): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS().map((row) => plain(row) as T);
  }

  async run(sql: string, params: SqlParams = []): Promise<void> {
    await this.connection.run(sql, params as never);
  }

  /** Rows in chunks as they are produced: for results too large to hold at once. */
  async *chunks<T = Record<string, unknown>>(
    sql: string,
    params: SqlParams = [],
  ): AsyncGenerator<T[]> {
    const result = await this.connection.stream(sql, params as never);
    for await (const rows of result.yieldRowObjectJs()) {
      yield rows.map((row) => keepDates(row) as T);
    }
  }

  /** What the sources said about the tail: loaded, not configured, or unreachable (and why). */
  get tailState(): TailState {
    return this.tail.state;
  }

  async close(): Promise<void> {
    await this.release();
  }
}

function plain(row: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    if (
      typeof value === "bigint" &&
      value <= BigInt(Number.MAX_SAFE_INTEGER) &&
      value >= BigInt(Number.MIN_SAFE_INTEGER)
    )
      row[key] = Number(value);
    else if (value instanceof Date) row[key] = value.toISOString().slice(0, 10);
  }
  return row;
}

/** BIGINT as number when safe; dates and timestamps stay Date (the Arrow writer wants them). */
function keepDates(row: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    if (
      typeof value === "bigint" &&
      value <= BigInt(Number.MAX_SAFE_INTEGER) &&
      value >= BigInt(Number.MIN_SAFE_INTEGER)
    )
      row[key] = Number(value);
  }
  return row;
}
