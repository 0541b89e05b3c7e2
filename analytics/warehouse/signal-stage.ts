import {
  DOUBLE,
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBVector,
  INTEGER,
} from "@duckdb/node-api";
import { insertNewSeries, seriesMatch } from "./signal-store.ts";
import type { Warehouse } from "./warehouse.ts";

/** What identifies one signal value's row apart from its value and time. */
export interface SignalKey {
  measurement: string;
  site: string | null;
  line: string | null;
  station: string | null;
  serial: string | null;
  field: string;
}

const STAGE = "sync_signal_stage";
const KEYS = "sync_signal_key";
/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

export const SIGNAL_STAGE_DDL: readonly string[] = [
  `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (key INTEGER NOT NULL, value DOUBLE NOT NULL, ts DOUBLE NOT NULL)`,
  `CREATE TEMP TABLE IF NOT EXISTS ${KEYS} (key INTEGER NOT NULL, measurement VARCHAR NOT NULL, site VARCHAR, line VARCHAR, station VARCHAR, serial VARCHAR, field VARCHAR NOT NULL)`,
];

/** The values and times of one key, in arrival order (InfluxDB sends a series in time order). */
class SeriesBuffer {
  values = new Float64Array(1024);
  times = new Float64Array(1024);
  length = 0;

  push(value: number, ts: number): void {
    if (this.length === this.values.length) {
      const values = new Float64Array(this.length * 2);
      values.set(this.values);
      this.values = values;
      const times = new Float64Array(this.length * 2);
      times.set(this.times);
      this.times = times;
    }
    this.values[this.length] = value;
    this.times[this.length] = ts;
    this.length++;
  }
}

/**
 * Stages one slice of signal values, then moves them into `signal` (new series, then one INSERT …
 * SELECT of values that joins the few distinct keys to their series ids). Why: the appender costs a native call per value and column, and six
 * of the eight columns of `signal` repeat within a series. Here the values wait in typed arrays per
 * key, go to a temp table as (key, value, ts) numbers in data chunks of 2048 rows, key after key,
 * and the insert keeps that order: rows of one series sit together in time order (good compression,
 * and zone maps that skip row groups of other fields), without a sort in DuckDB. Times are staged as
 * DOUBLE (exact for epoch ms) and cast to BIGINT in SQL, which spares a BigInt per value.
 */
export class SignalStage {
  private readonly keys = new Map<string, number>();
  private readonly keyRows: SignalKey[] = [];
  private readonly buffers: SeriesBuffer[] = [];
  private done = false;

  private constructor(private readonly warehouse: Warehouse) {}

  /**
   * Creates the connection's staging tables; call once, outside a transaction (a rollback would
   * take them away again). They start empty and every commit empties them; a rolled-back slice's
   * rows go with its transaction.
   */
  static async prepare(warehouse: Warehouse): Promise<void> {
    for (const ddl of SIGNAL_STAGE_DDL) await warehouse.run(ddl);
  }

  /** Opens a stage; its commit runs inside the transaction of the slice, after `prepare`. */
  static open(warehouse: Warehouse): SignalStage {
    return new SignalStage(warehouse);
  }

  /** The key of a series' field, registered on first use. */
  key(key: SignalKey): number {
    const text = `${key.measurement}\u0000${key.site}\u0000${key.line}\u0000${key.station}\u0000${key.serial}\u0000${key.field}`;
    let id = this.keys.get(text);
    if (id === undefined) {
      id = this.keyRows.length;
      this.keys.set(text, id);
      this.keyRows.push(key);
      this.buffers.push(new SeriesBuffer());
    }
    return id;
  }

  add(key: number, value: number, ts: number): void {
    (this.buffers[key] as SeriesBuffer).push(value, ts);
  }

  /** Moves every staged value into `signal`; returns the rows inserted. The stage is done after. */
  async commit(): Promise<number> {
    if (this.done) throw new Error("signal stage already committed");
    this.done = true;
    if (this.buffers.every((b) => b.length === 0)) return 0;
    const connection = this.warehouse.connection;
    const stage = await connection.createAppender(STAGE, "main", "temp");
    try {
      this.appendValues(stage);
      stage.flushSync();
    } catch (error) {
      stage.clear();
      throw error;
    } finally {
      stage.closeSync();
    }
    const keys = await connection.createAppender(KEYS, "main", "temp");
    try {
      this.keyRows.forEach((k, id) => {
        keys.appendInteger(id);
        keys.appendVarchar(k.measurement);
        appendText(keys, k.site);
        appendText(keys, k.line);
        appendText(keys, k.station);
        appendText(keys, k.serial);
        keys.appendVarchar(k.field);
        keys.endRow();
      });
      keys.flushSync();
    } catch (error) {
      keys.clear();
      throw error;
    } finally {
      keys.closeSync();
    }
    await insertNewSeries(this.warehouse, `temp.${KEYS}`);
    const inserted = await this.warehouse.changes(
      `INSERT INTO signal_value (series, value, ts)
       SELECT m.id, s.value, CAST(s.ts AS BIGINT) FROM temp.${STAGE} s JOIN (
         SELECT k.key, n.id FROM temp.${KEYS} k JOIN signal_series n ON ${seriesMatch("n", "k")}
       ) m ON s.key = m.key`,
    );
    await this.warehouse.run(`DELETE FROM ${STAGE}`);
    await this.warehouse.run(`DELETE FROM ${KEYS}`);
    return inserted;
  }

  private appendValues(appender: DuckDBAppender): void {
    const chunk = DuckDBDataChunk.create([INTEGER, DOUBLE, DOUBLE], CHUNK_ROWS);
    const keyVector = chunk.getColumnVector(0) as DuckDBVector<number>;
    const valueVector = chunk.getColumnVector(1) as DuckDBVector<number>;
    const tsVector = chunk.getColumnVector(2) as DuckDBVector<number>;
    let row = 0;
    const flush = (rows: number) => {
      keyVector.flush();
      valueVector.flush();
      tsVector.flush();
      // Only the last chunk is partial (setting its size drops the flushed vectors' cache).
      if (rows < CHUNK_ROWS) chunk.rowCount = rows;
      appender.appendDataChunk(chunk);
    };
    this.buffers.forEach((buffer, key) => {
      for (let i = 0; i < buffer.length; i++) {
        keyVector.setItem(row, key);
        valueVector.setItem(row, buffer.values[i] as number);
        tsVector.setItem(row, buffer.times[i] as number);
        if (++row === CHUNK_ROWS) {
          flush(row);
          row = 0;
        }
      }
    });
    if (row > 0) flush(row);
  }

  /** Drops what is staged; nothing reached DuckDB before `commit`. */
  discard(): void {
    this.done = true;
    this.buffers.length = 0;
  }
}

function appendText(appender: DuckDBAppender, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}
