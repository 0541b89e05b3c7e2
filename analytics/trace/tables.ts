import { type ColumnType, quoteIdentifier, RECORD_TABLES } from "../warehouse/index.ts";

/** A table the trace reader sees, with the columns every source is cast to. */
export interface TraceTable {
  /** Warehouse table name, also the name of the reader's view. */
  table: string;
  /** InfluxDB measurement (`signal`: none, every signal channel lands there). */
  measurement: string | undefined;
  columns: readonly { name: string; type: ColumnType }[];
}

const SIGNAL: TraceTable = {
  table: "signal",
  measurement: undefined,
  columns: [
    { name: "measurement", type: "VARCHAR" },
    { name: "site", type: "VARCHAR" },
    { name: "line", type: "VARCHAR" },
    { name: "station", type: "VARCHAR" },
    { name: "serial", type: "VARCHAR" },
    { name: "field", type: "VARCHAR" },
    { name: "value", type: "DOUBLE" },
    { name: "ts", type: "BIGINT" },
  ],
};

/** Every table of the reader: the record tables of the warehouse, then `signal`. */
export const TRACE_TABLES: readonly TraceTable[] = [
  ...RECORD_TABLES.map((t) => ({
    table: t.table,
    measurement: t.measurement,
    columns: [
      ...t.tags.map((name) => ({ name, type: "VARCHAR" as ColumnType })),
      ...Object.entries(t.fields).map(([name, type]) => ({ name, type })),
      { name: "ts", type: "BIGINT" as ColumnType },
    ],
  })),
  SIGNAL,
];

export const TABLE_BY_MEASUREMENT: ReadonlyMap<string, TraceTable> = new Map(
  TRACE_TABLES.filter((t) => t.measurement !== undefined).map((t) => [t.measurement as string, t]),
);

export const TABLE_BY_NAME: ReadonlyMap<string, TraceTable> = new Map(
  TRACE_TABLES.map((t) => [t.table, t]),
);

export function traceTable(name: string): TraceTable {
  const table = TABLE_BY_NAME.get(name);
  if (!table) throw new Error(`no trace table ${name}`);
  return table;
}

/** Tables whose rows belong to one unit (tagged with its serial). */
export const UNIT_TABLES = [
  "unit_event",
  "spi_board",
  "spi_pad",
  "test_result",
  "test_measurement",
  "test_defect",
  "placement",
] as const;

export const quote = quoteIdentifier;

/**
 * An SQL string literal. Only for text tracebox itself produced (file paths it listed, names that
 * passed the measurement pattern): values that come from a request are always bound.
 */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `CAST(NULL AS type) AS name` for every column: the shape every source is fitted to. */
export function emptyShape(table: TraceTable): string {
  return `SELECT ${table.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quote(c.name)}`).join(", ")}, CAST(NULL AS DATE) AS day WHERE false`;
}
