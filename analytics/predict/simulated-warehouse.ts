import type { DuckDBAppender } from "@duckdb/node-api";
import { createDecoder } from "../../ingest/contract/index.ts";
import type { SimulatedMessage } from "../../simulator/index.ts";
import { insertSignal, RECORD_TABLES, type SignalRow, type Warehouse } from "../warehouse/index.ts";

// Test support: a simulated line's messages straight into a warehouse, as the ingestor and the
// sync would leave them (the ingest codec makes the points; each lands in its record table, column
// by name, or in `signal` through its writer), without MQTT or InfluxDB in between.

type Row = Record<string, string | number | boolean | null>;

async function append(warehouse: Warehouse, table: string, rows: readonly Row[]): Promise<void> {
  const columns = await warehouse.all<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_name = $table AND table_schema = 'main' ORDER BY ordinal_position`,
    { table },
  );
  const appender: DuckDBAppender = await warehouse.connection.createAppender(table);
  try {
    for (const row of rows) {
      for (const { name, type } of columns) {
        const value = row[name];
        if (value === null || value === undefined) appender.appendNull();
        else if (type === "VARCHAR") appender.appendVarchar(String(value));
        else if (type === "DOUBLE") appender.appendDouble(Number(value));
        else if (type === "BIGINT") appender.appendBigInt(BigInt(Math.round(Number(value))));
        else if (type === "BOOLEAN") appender.appendBoolean(Boolean(value));
        else throw new Error(`${table}.${name}: no appender for ${type}`);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Decodes every message and stores its points; returns the number of points stored. */
export async function loadSimulatedLine(
  warehouse: Warehouse,
  messages: Iterable<SimulatedMessage>,
): Promise<number> {
  let now = 0;
  // The clock of the codec's time window is the simulated one.
  const decode = createDecoder({ now: () => now });
  const encoder = new TextEncoder();
  const tables = new Map(RECORD_TABLES.map((t) => [t.measurement, t.table]));
  const rows = new Map<string, Row[]>();
  const signals: SignalRow[] = [];
  const add = (table: string, row: Row) => {
    const list = rows.get(table);
    if (list) list.push(row);
    else rows.set(table, [row]);
  };
  let points = 0;
  for (const message of messages) {
    now = message.ts;
    const decoded = decode(message.topic, encoder.encode(JSON.stringify(message.payload)));
    if (!decoded.ok) throw new Error(`${message.topic}: ${decoded.detail}`);
    for (const point of decoded.points) {
      points++;
      const table = tables.get(point.measurement);
      if (table !== undefined) {
        add(table, { ...point.fields, ...point.tags, ts: point.ts });
        continue;
      }
      for (const [field, value] of Object.entries(point.fields)) {
        signals.push({
          measurement: point.measurement,
          site: point.tags.site ?? null,
          line: point.tags.line ?? null,
          station: point.tags.station ?? null,
          serial: point.tags.serial ?? null,
          field,
          value: value as number,
          ts: point.ts,
        });
      }
    }
  }
  for (const [table, list] of rows) await append(warehouse, table, list);
  await insertSignal(warehouse, signals);
  return points;
}
