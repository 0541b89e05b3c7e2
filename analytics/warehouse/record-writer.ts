import type { DuckDBAppender } from "@duckdb/node-api";
import type { Series } from "../../influx/index.ts";
import type { RecordTable } from "./schema.ts";
import type { Warehouse } from "./warehouse.ts";

export interface Column {
  name: string;
  type: string;
}

type Append = (appender: DuckDBAppender, value: unknown) => boolean;

/**
 * Appends the points of a record measurement to its table, column by name: a column takes the
 * series' tag of that name, else the point's field of that name, else NULL. Name-based, so that a
 * key that is a tag in InfluxDB and a field in the table (or the reverse) still lands, and the
 * physical column order of an older warehouse file does not matter.
 */
export class RecordWriter {
  /** Fields the table has no column for, seen in this run. */
  readonly ignoredFields = new Set<string>();
  /** Tags the table has no column for, seen in this run. */
  readonly ignoredTags = new Set<string>();
  /** Values whose type did not fit their column (stored as NULL). */
  mistyped = 0;
  rows = 0;

  private constructor(
    private readonly columns: readonly Column[],
    private readonly appender: DuckDBAppender,
  ) {}

  /** The table's columns in their physical order (older warehouse files may differ from RECORD_TABLES). */
  static async columns(warehouse: Warehouse, table: RecordTable): Promise<Column[]> {
    return warehouse.all<Column>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns
       WHERE table_name = $table AND table_schema = 'main' ORDER BY ordinal_position`,
      { table: table.table },
    );
  }

  static async open(
    warehouse: Warehouse,
    table: RecordTable,
    columns: readonly Column[],
  ): Promise<RecordWriter> {
    const appender = await warehouse.connection.createAppender(table.table);
    return new RecordWriter(columns, appender);
  }

  /** Appends every row of one series (a chunk of it). */
  append(series: Series): void {
    const tags = series.tags ?? {};
    const fieldIndex = new Map(series.columns.map((c, i) => [c, i]));
    const known = (name: string) => this.columns.some((c) => c.name === name);
    for (const column of series.columns) {
      if (column !== "time" && !known(column)) this.ignoredFields.add(column);
    }
    for (const [tag, value] of Object.entries(tags)) {
      if (value !== "" && !known(tag)) this.ignoredTags.add(tag);
    }
    const sources = this.columns.map((column) => {
      const append = APPENDERS[column.type] ?? appendText;
      if (column.name === "ts") return { append, index: fieldIndex.get("time"), constant: null };
      const tag = tags[column.name];
      // GROUP BY * reports a tag the series does not have as "".
      if (tag !== undefined) return { append, index: undefined, constant: tag === "" ? null : tag };
      return { append, index: fieldIndex.get(column.name), constant: null };
    });
    const appender = this.appender;
    for (const values of series.values) {
      for (const source of sources) {
        const value = source.index === undefined ? source.constant : values[source.index];
        if (!source.append(appender, value)) this.mistyped++;
      }
      appender.endRow();
      this.rows++;
    }
  }

  close(): void {
    this.appender.flushSync();
    this.appender.closeSync();
  }

  /** Drops rows not yet flushed, so that closing writes nothing (before a rollback). */
  discard(): void {
    try {
      this.appender.clear();
      this.appender.closeSync();
    } catch {
      // Already closed: nothing pending.
    }
  }
}

function appendNull(appender: DuckDBAppender, value: unknown): boolean {
  appender.appendNull();
  return value === null || value === undefined;
}

function appendText(appender: DuckDBAppender, value: unknown): boolean {
  if (typeof value === "string") appender.appendVarchar(value);
  else if (typeof value === "number" || typeof value === "boolean")
    appender.appendVarchar(String(value));
  else return appendNull(appender, value);
  return true;
}

const APPENDERS: Record<string, Append> = {
  VARCHAR: appendText,
  DOUBLE(appender, value) {
    if (typeof value !== "number") return appendNull(appender, value);
    appender.appendDouble(value);
    return true;
  },
  BIGINT(appender, value) {
    if (typeof value !== "number" || !Number.isInteger(value)) return appendNull(appender, value);
    appender.appendBigInt(BigInt(value));
    return true;
  },
  BOOLEAN(appender, value) {
    if (typeof value !== "boolean") return appendNull(appender, value);
    appender.appendBoolean(value);
    return true;
  },
};
