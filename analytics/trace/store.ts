import { existsSync, mkdirSync } from "node:fs";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { InfluxClient } from "../../influx/index.ts";
import { type ArchiveCatalog, type ArchiveDataset, listArchive } from "./catalog.ts";
import { TraceError } from "./errors.ts";
import { resolveTraceOptions, type TraceOptions } from "./options.ts";
import { TraceSession } from "./session.ts";
import { type Columns, type TableSources, tailDdl, WAREHOUSE_ALIAS } from "./sources.ts";
import { literal, quote, TRACE_TABLES, type TraceTable } from "./tables.ts";

/** What the reader needs of InfluxDB: InfluxQL, whole or in chunks. */
export type TailInflux = Pick<InfluxClient, "query" | "queryChunks">;

/** The warehouse as one session sees it: attached read-only, or why not. */
export interface WarehouseState {
  attached: boolean;
  /** Why it is not read (locked by the writer, missing, refused): shown in completeness. */
  reason: string | undefined;
  /** Per measurement: synced up to (exclusive), epoch ms. */
  watermarks: ReadonlyMap<string, number>;
}

/** The sources behind one session: the archive files listed, the warehouse, InfluxDB. */
export interface SourcePlan {
  archive: ArchiveCatalog | undefined;
  warehouse: WarehouseState;
  influx: boolean;
}

/** How long a shared result (a product's route around an hour) is reused, ms. */
const MEMO_TTL_MS = 60_000;
const MEMO_ENTRIES = 1000;
/** Idle connections (with their tail and stage tables) kept for the next sessions, at most. */
const IDLE_SESSIONS = 8;

/**
 * The traceability reader: an in-memory DuckDB whose sessions read each warehouse table as the
 * union of three sources that never overlap (`TraceSession.from` names them per query):
 *
 * - the Parquet archive (immutable day partitions), exactly the files listed when the session opened;
 * - the warehouse file, attached READ_ONLY while at least one session needs it and no writer holds
 *   it (DuckDB allows one writer process; a reader's shared lock would block it, so it is held only
 *   for the length of a session), minus the days the archive has;
 * - InfluxDB for everything after what those two cover, loaded into the session on demand (the
 *   unsynced tail).
 */
export class TraceStore {
  readonly options: TraceOptions;
  #catalog: { at: number; catalog: ArchiveCatalog } | undefined;
  readonly #columns = new Map<string, Columns>();
  #warehouseUsers = 0;
  #warehouse: WarehouseState = { attached: false, reason: "not opened", watermarks: new Map() };
  #warehouseColumns = new Map<string, Columns>();
  #lock: Promise<void> = Promise.resolve();
  readonly #cache = new Map<string, { at: number; value: Promise<unknown> }>();
  #closed = false;
  readonly #idle: DuckDBConnection[] = [];

  private constructor(
    readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    options: TraceOptions,
    readonly influx: TailInflux | undefined,
  ) {
    this.options = options;
  }

  static async open(
    options: Partial<TraceOptions> = {},
    influx?: TailInflux | undefined,
  ): Promise<TraceStore> {
    const o = resolveTraceOptions(options);
    mkdirSync(o.tempDirectory, { recursive: true });
    const instance = await DuckDBInstance.create(":memory:", {
      memory_limit: o.memoryLimit,
      temp_directory: o.tempDirectory,
      threads: String(o.threads),
    });
    const admin = await instance.connect();
    // Archive files never change: their footers are read once, not on every query. (A setting of
    // the parquet extension, which is loaded only once a connection exists.)
    await admin.run("SET parquet_metadata_cache = true");
    return new TraceStore(instance, admin, o, influx);
  }

  /** A session: its own connection and tail of InfluxDB, over the sources of this moment. */
  async session(): Promise<TraceSession> {
    if (this.#closed) throw new TraceError("source-unavailable", "the trace store is closed");
    const archive = await this.#archive();
    const warehouse = await this.#acquireWarehouse();
    const plan: SourcePlan = { archive, warehouse, influx: this.influx !== undefined };
    const planKey = `${archive?.signature ?? ""}|${warehouse.attached ? JSON.stringify([...warehouse.watermarks]) : "-"}`;
    let connection: DuckDBConnection;
    const sources = new Map<string, TableSources>();
    try {
      for (const table of TRACE_TABLES) sources.set(table.table, await this.#sources(table, plan));
      connection = (await this.#reuse()) ?? (await this.#connect());
    } catch (error) {
      await this.#releaseWarehouse(warehouse);
      throw error;
    }
    return new TraceSession(
      connection,
      plan,
      sources,
      this.options,
      this.influx,
      () => {
        // Queries name their sources themselves (no view), so a connection is reusable by the
        // next session whatever its sources: only its tail tables are emptied.
        if (!this.#closed && this.#idle.length < IDLE_SESSIONS) this.#idle.push(connection);
        else connection.closeSync();
        return this.#releaseWarehouse(warehouse);
      },
      (key, compute) => this.#memo(`${planKey}|${key}`, compute),
    );
  }

  /** An idle session's connection, its tail emptied (its stage is emptied by whoever stages). */
  async #reuse(): Promise<DuckDBConnection | undefined> {
    for (let connection = this.#idle.pop(); connection; connection = this.#idle.pop()) {
      try {
        await connection.run(
          TRACE_TABLES.map((t) => `DELETE FROM ${quote(`tail_${t.table}`)};`).join("\n"),
        );
        return connection;
      } catch {
        connection.closeSync();
      }
    }
    return undefined;
  }

  async #connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    try {
      // One round trip for the session's tail tables.
      await connection.run(TRACE_TABLES.map(tailDdl).join(";\n"));
    } catch (error) {
      connection.closeSync();
      throw error;
    }
    return connection;
  }

  /**
   * What the store reads, without opening a session (a health probe must not take the
   * warehouse's lock): the archive listing, whether the warehouse is attached right now, InfluxDB.
   */
  async status(): Promise<{
    archive: { root: string; datasets: number; files: number } | null;
    warehouse: string;
    influx: boolean;
  }> {
    const archive = await this.#archive();
    const path = this.options.warehousePath;
    const warehouse =
      path === undefined || this.options.warehouse === "never"
        ? "not read"
        : this.#warehouse.attached
          ? "read-only (attached)"
          : existsSync(path)
            ? "read when free"
            : "missing";
    return {
      archive: archive
        ? {
            root: archive.root,
            datasets: archive.datasets.length,
            files: archive.datasets.reduce((n, d) => n + d.files.length, 0),
          }
        : null,
      warehouse,
      influx: this.influx !== undefined,
    };
  }

  /** Runs `work` in a session and closes it after, whatever happens. */
  async withSession<T>(work: (session: TraceSession) => Promise<T>): Promise<T> {
    const session = await this.session();
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.closeSync();
    await this.#serialized(async () => {
      if (this.#warehouse.attached) await this.admin.run(`DETACH ${WAREHOUSE_ALIAS}`);
    });
    this.admin.closeSync();
    this.instance.closeSync();
  }

  /** A computed value shared by sessions over the same sources for `memoTtlMs`; a failure is not kept. */
  #memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < MEMO_TTL_MS) return hit.value as Promise<T>;
    if (this.#cache.size > MEMO_ENTRIES) {
      for (const [k, v] of this.#cache) if (now - v.at >= MEMO_TTL_MS) this.#cache.delete(k);
      if (this.#cache.size > MEMO_ENTRIES) this.#cache.clear();
    }
    const value = compute();
    this.#cache.set(key, { at: now, value });
    value.catch(() => this.#cache.delete(key));
    return value;
  }

  async #archive(): Promise<ArchiveCatalog | undefined> {
    const root = this.options.archiveDir;
    if (root === undefined) return undefined;
    const now = Date.now();
    if (this.#catalog && now - this.#catalog.at < this.options.catalogTtlMs)
      return this.#catalog.catalog;
    const catalog = await listArchive(root);
    this.#catalog = { at: now, catalog };
    return catalog;
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(work);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Attaches the warehouse for one more session (first user attaches it), when it can. */
  #acquireWarehouse(): Promise<WarehouseState> {
    return this.#serialized(async () => {
      const path = this.options.warehousePath;
      if (path === undefined || this.options.warehouse === "never") {
        return { attached: false, reason: "not configured", watermarks: new Map() };
      }
      if (this.#warehouse.attached) {
        this.#warehouseUsers++;
        return this.#warehouse;
      }
      if (!existsSync(path))
        return { attached: false, reason: `${path} does not exist`, watermarks: new Map() };
      try {
        await this.admin.run(`ATTACH ${literal(path)} AS ${WAREHOUSE_ALIAS} (READ_ONLY)`);
      } catch (error) {
        const message = (error as Error).message;
        const reason = /lock/i.test(message)
          ? "held by its writer (the jobs process): read from the archive and InfluxDB"
          : `cannot be read: ${message}`;
        return { attached: false, reason, watermarks: new Map() };
      }
      const columns = await this.admin.runAndReadAll(
        `SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = ${literal(WAREHOUSE_ALIAS)} AND schema_name = 'main'`,
      );
      this.#warehouseColumns = new Map();
      for (const [table, column, type] of columns.getRows() as [string, string, string][]) {
        const map = (this.#warehouseColumns.get(table) as Map<string, string>) ?? new Map();
        map.set(column, type);
        this.#warehouseColumns.set(table, map);
      }
      const watermarks = new Map<string, number>();
      if (this.#warehouseColumns.has("sync_watermark")) {
        const rows = await this.admin.runAndReadAll(
          `SELECT measurement, synced_to FROM ${WAREHOUSE_ALIAS}.sync_watermark`,
        );
        for (const [measurement, to] of rows.getRows() as [string, bigint][])
          watermarks.set(measurement, Number(to));
      }
      this.#warehouse = { attached: true, reason: undefined, watermarks };
      this.#warehouseUsers = 1;
      return this.#warehouse;
    });
  }

  #releaseWarehouse(state: WarehouseState): Promise<void> {
    if (!state.attached) return Promise.resolve();
    return this.#serialized(async () => {
      this.#warehouseUsers--;
      if (this.#warehouseUsers > 0 || !this.#warehouse.attached) return;
      // The shared lock goes with the last session: the writer can open the file again.
      await this.admin.run(`DETACH ${WAREHOUSE_ALIAS}`);
      this.#warehouse = { attached: false, reason: "detached", watermarks: new Map() };
    });
  }

  /** Column names and types of an archive dataset, read from the Parquet footers once per file set. */
  async #archiveColumns(dataset: ArchiveDataset): Promise<Columns> {
    const key = `${dataset.dir}\u0000${dataset.files.length}\u0000${dataset.files.at(-1)}`;
    const cached = this.#columns.get(key);
    if (cached) return cached;
    const reader = await this.admin.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet([${dataset.files.map(literal).join(", ")}], union_by_name = true, hive_partitioning = false)`,
    );
    const columns = new Map<string, string>();
    for (const row of reader.getRowObjects())
      columns.set(String(row.column_name), String(row.column_type));
    this.#columns.set(key, columns);
    return columns;
  }

  async #sources(table: TraceTable, plan: SourcePlan): Promise<TableSources> {
    const archive = [];
    for (const dataset of (plan.archive?.datasets ?? []).filter((d) => d.table === table.table))
      archive.push({ dataset, columns: await this.#archiveColumns(dataset) });
    const warehouse = plan.warehouse.attached ? this.#warehouseColumns.get(table.table) : undefined;
    return { table, archive, warehouse };
  }
}

/**
 * Where the archive and the warehouse stop for one measurement: InfluxDB is read from here on
 * (epoch ms); undefined when neither has any of it (InfluxDB holds all there is).
 */
export function coldUntil(plan: SourcePlan, measurement: string): number | undefined {
  let until: number | undefined;
  for (const dataset of plan.archive?.datasets ?? []) {
    if (dataset.measurement === measurement)
      until = Math.max(until ?? dataset.until, dataset.until);
  }
  const synced = plan.warehouse.attached ? plan.warehouse.watermarks.get(measurement) : undefined;
  if (synced !== undefined) until = Math.max(until ?? synced, synced);
  return until;
}
