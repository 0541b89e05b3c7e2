import type { DuckDBAppender } from "@duckdb/node-api";
import { type QueryParam, quoteIdent, type Series } from "../../influx/index.ts";
import { isResultMeasurement } from "../warehouse/index.ts";
import type { TraceSession } from "./session.ts";
import { coldUntil, type SourcePlan, type TailInflux } from "./store.ts";
import { TABLE_BY_MEASUREMENT, type TraceTable, traceTable } from "./tables.ts";

/** What a session learned of InfluxDB's tail. */
export type TailState =
  /** Nothing was asked of InfluxDB (yet), or nothing needed to be. */
  | { kind: "unused" }
  /** No InfluxDB configured: data newer than the archive and warehouse is not seen. */
  | { kind: "not-configured" }
  | { kind: "read"; queries: number; rows: number }
  /** InfluxDB did not answer: data newer than `from` may be missing. */
  | { kind: "unavailable"; reason: string; from: number | undefined };

/** A time window of signals and events, on one site and some of its lines (and one station, or all). */
export interface TailWindow {
  site: string;
  lines: readonly string[];
  /** Undefined: every station of the lines (environment sensors). */
  station: string | undefined;
  /** Only these measurements; undefined: all but the unit-scoped records. */
  measurements: readonly string[] | undefined;
  from: number;
  to: number;
}

const MEASUREMENT = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Reads what the archive and the warehouse do not have yet from InfluxDB, narrowly (by serial tag,
 * by station and time window, by lot), into the session's `tail_*` tables. A point is kept only
 * when it is newer than where the cold sources stop for its measurement, so no point is seen twice;
 * loading the same thing again is harmless (the views take distinct rows).
 */
export class InfluxTail {
  state: TailState;
  /** Tables the session loaded rows into: the only ones whose tail a query needs to read. */
  readonly loaded = new Set<string>();
  readonly #serials = new Set<string>();
  readonly #windows: TailWindow[] = [];
  readonly #measurements = new Map<string, [number, number]>();
  #retention: Promise<number | null | undefined> | undefined;

  constructor(
    private readonly session: TraceSession,
    private readonly influx: TailInflux | undefined,
  ) {
    this.state = influx ? { kind: "unused" } : { kind: "not-configured" };
  }

  get #plan(): SourcePlan {
    return this.session.plan;
  }

  /**
   * Where InfluxDB must be read from when any measurement may answer: the earliest point where a
   * known measurement's cold data stops; undefined when the cold sources know none (read it all).
   */
  horizon(measurements?: readonly string[]): number | undefined {
    const known = measurements ?? [
      ...new Set([
        ...(this.#plan.archive?.datasets ?? []).map((d) => d.measurement),
        ...(this.#plan.warehouse.attached ? this.#plan.warehouse.watermarks.keys() : []),
      ]),
    ];
    if (known.length === 0) return undefined;
    let horizon = Number.POSITIVE_INFINITY;
    for (const m of known) {
      const until = coldUntil(this.#plan, m);
      if (until === undefined) return undefined;
      horizon = Math.min(horizon, until);
    }
    return horizon;
  }

  /**
   * The oldest time InfluxDB still holds, from its default retention policy: epoch ms, null when it
   * keeps everything, undefined when it cannot tell (not configured, not answering).
   */
  retentionStart(): Promise<number | null | undefined> {
    this.#retention ??= (async () => {
      const series = await this.results("SHOW RETENTION POLICIES", {});
      if (!series) return undefined;
      for (const s of series) {
        const name = s.columns.indexOf("duration");
        const isDefault = s.columns.indexOf("default");
        for (const values of s.values) {
          if (values[isDefault] !== true) continue;
          const ms = durationMs(String(values[name]));
          if (ms === undefined) return undefined;
          return ms === 0 ? null : this.session.options.now() - ms;
        }
      }
      return undefined;
    })();
    return this.#retention;
  }

  /**
   * A time range only the warehouse holds while it cannot be read (its writer holds it): after the
   * archive ends and before InfluxDB's retention begins. Undefined when there is none.
   */
  async warehouseOnly(): Promise<{ from: number | undefined; to: number } | undefined> {
    const warehouse = this.#plan.warehouse;
    if (
      warehouse.attached ||
      warehouse.reason === undefined ||
      !/held by its writer/.test(warehouse.reason)
    )
      return undefined;
    const archived = coldUntil(this.#plan, "unit");
    const retained = this.influx ? await this.retentionStart() : this.session.options.now();
    if (retained === null) return undefined;
    const to = retained ?? this.session.options.now();
    if (archived !== undefined && archived >= to) return undefined;
    return { from: archived, to };
  }

  /** Every unit-scoped point (any measurement with a `serial` tag) of these serials. */
  async serials(serials: readonly string[]): Promise<void> {
    const fresh = [...new Set(serials)].filter((s) => !this.#serials.has(s));
    if (!this.influx || fresh.length === 0) return;
    const from = this.horizon();
    const size = this.session.options.tailSerialsPerQuery;
    for (let i = 0; i < fresh.length; i += size) {
      const batch = fresh.slice(i, i + size);
      const params: Record<string, QueryParam> = {};
      const match = batch.map((serial, j) => {
        params[`s${j}`] = serial;
        return `"serial" = $s${j}`;
      });
      const time = from === undefined ? "" : " AND time >= $from";
      if (from !== undefined) params.from = new Date(from);
      const ok = await this.#load(
        `SELECT * FROM /.*/ WHERE (${match.join(" OR ")})${time} GROUP BY *`,
        params,
        from,
      );
      if (!ok) return;
      for (const serial of batch) this.#serials.add(serial);
    }
  }

  /** Signals without a serial and station events (and packs) of stations during time windows. */
  async windows(windows: readonly TailWindow[]): Promise<void> {
    if (!this.influx) return;
    for (const window of mergeWindows(windows)) {
      if (this.#windows.some((w) => covers(w, window))) continue;
      const horizon = this.horizon(window.measurements);
      if (horizon !== undefined && window.to < horizon) continue;
      const from = horizon === undefined ? window.from : Math.max(window.from, horizon);
      const params: Record<string, QueryParam> = {
        site: window.site,
        from: new Date(from),
        to: new Date(window.to),
      };
      const lines = window.lines.map((line, j) => {
        params[`l${j}`] = line;
        return `"line" = $l${j}`;
      });
      let where = `"site" = $site AND (${lines.join(" OR ")}) AND "serial" = '' AND time >= $from AND time <= $to`;
      if (window.station !== undefined) {
        params.station = window.station;
        where += ` AND "station" = $station`;
      }
      const source =
        window.measurements === undefined
          ? "/.*/"
          : window.measurements
              .filter((m) => MEASUREMENT.test(m))
              .map(quoteIdent)
              .join(", ");
      if (source === "") continue;
      const ok = await this.#load(
        `SELECT * FROM ${source} WHERE ${where} GROUP BY *`,
        params,
        horizon,
      );
      if (!ok) return;
      this.#windows.push(window);
    }
  }

  /** A whole measurement over a time range (packs, the ingestor's self-metrics). */
  async measurement(
    measurement: string,
    from: number | undefined,
    to: number | undefined,
  ): Promise<void> {
    if (!this.influx || !MEASUREMENT.test(measurement)) return;
    const horizon = coldUntil(this.#plan, measurement);
    const start = horizon === undefined ? from : Math.max(from ?? horizon, horizon);
    if (to !== undefined && start !== undefined && to < start) return;
    const loaded = this.#measurements.get(measurement);
    if (
      loaded &&
      (start ?? Number.NEGATIVE_INFINITY) >= loaded[0] &&
      (to ?? Number.POSITIVE_INFINITY) <= loaded[1]
    )
      return;
    const params: Record<string, QueryParam> = {};
    const where: string[] = [];
    if (start !== undefined) {
      params.from = new Date(start);
      where.push("time >= $from");
    }
    if (to !== undefined) {
      params.to = new Date(to);
      where.push("time <= $to");
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "";
    const ok = await this.#load(
      `SELECT * FROM ${quoteIdent(measurement)}${clause} GROUP BY *`,
      params,
      horizon,
    );
    if (ok)
      this.#measurements.set(measurement, [
        start ?? Number.NEGATIVE_INFINITY,
        to ?? Number.POSITIVE_INFINITY,
      ]);
  }

  /** Placements of a lot, or of a part from a supplier, newer than the cold sources: their serials. */
  async placements(
    filter: { lot: string } | { part: string; supplier: string | undefined },
  ): Promise<void> {
    if (!this.influx) return;
    const horizon = coldUntil(this.#plan, "placement");
    const params: Record<string, QueryParam> = {};
    const where: string[] = [];
    if ("lot" in filter) {
      params.lot = filter.lot;
      where.push(`"lot" = $lot`);
    } else {
      params.part = filter.part;
      where.push(`"part" = $part`);
      if (filter.supplier !== undefined) {
        params.supplier = filter.supplier;
        where.push(`"supplier" = $supplier`);
      }
    }
    if (horizon !== undefined) {
      params.from = new Date(horizon);
      where.push("time >= $from");
    }
    await this.#load(
      `SELECT * FROM "placement" WHERE ${where.join(" AND ")} GROUP BY *`,
      params,
      horizon,
    );
  }

  /** Rows of a result measurement tracebox wrote itself (e.g. `spc_violation`), straight from InfluxDB. */
  async results(query: string, params: Record<string, QueryParam>): Promise<Series[] | undefined> {
    if (!this.influx) return undefined;
    try {
      const result = await this.influx.query(query, params);
      this.#count(result.series);
      return result.series;
    } catch (error) {
      this.state = { kind: "unavailable", reason: (error as Error).message, from: undefined };
      return undefined;
    }
  }

  #count(series: readonly Series[]): void {
    const rows = series.reduce((n, s) => n + s.values.length, 0);
    this.state =
      this.state.kind === "read"
        ? { kind: "read", queries: this.state.queries + 1, rows: this.state.rows + rows }
        : this.state.kind === "unavailable"
          ? this.state
          : { kind: "read", queries: 1, rows };
  }

  /** Runs one chunked query and appends what it returns; false when InfluxDB did not answer. */
  async #load(
    query: string,
    params: Record<string, QueryParam>,
    from: number | undefined,
  ): Promise<boolean> {
    const influx = this.influx;
    if (!influx) return false;
    const writers = new Map<string, TailWriter>();
    let rows = 0;
    try {
      for await (const chunk of influx.queryChunks(query, params)) {
        for (const series of chunk.series) {
          const measurement = series.name;
          if (measurement === undefined || isResultMeasurement(measurement)) continue;
          const table = TABLE_BY_MEASUREMENT.get(measurement) ?? traceTable("signal");
          let writer = writers.get(table.table);
          if (!writer) {
            writer = new TailWriter(
              table,
              await this.session.connection.createAppender(`tail_${table.table}`, "main", "temp"),
            );
            writers.set(table.table, writer);
          }
          const appended = writer.append(series, measurement, coldUntil(this.#plan, measurement));
          writer.rows += appended;
          rows += appended;
        }
      }
    } catch (error) {
      for (const writer of writers.values()) writer.discard();
      this.state = { kind: "unavailable", reason: (error as Error).message, from };
      return false;
    }
    for (const [table, writer] of writers) {
      writer.close();
      if (writer.rows > 0) this.loaded.add(table);
    }
    const queries = this.state.kind === "read" ? this.state.queries + 1 : 1;
    const total = this.state.kind === "read" ? this.state.rows + rows : rows;
    if (this.state.kind !== "unavailable") this.state = { kind: "read", queries, rows: total };
    return true;
  }
}

/** Appends InfluxDB series to one tail table, column by name: a tag, else a field, else NULL. */
class TailWriter {
  rows = 0;

  constructor(
    private readonly table: TraceTable,
    private readonly appender: DuckDBAppender,
  ) {}

  append(series: Series, measurement: string, notBefore: number | undefined): number {
    const tags = series.tags ?? {};
    const timeIndex = series.columns.indexOf("time");
    const floor = notBefore ?? Number.NEGATIVE_INFINITY;
    let rows = 0;
    if (this.table.table === "signal") {
      const fields = series.columns
        .map((name, index) => ({ name, index }))
        .filter((f) => f.index !== timeIndex);
      for (const values of series.values) {
        const ts = values[timeIndex];
        if (typeof ts !== "number" || ts < floor) continue;
        for (const field of fields) {
          const value = values[field.index];
          if (typeof value !== "number") continue;
          const a = this.appender;
          a.appendVarchar(measurement);
          text(a, tags.site);
          text(a, tags.line);
          text(a, tags.station);
          text(a, tags.serial);
          a.appendVarchar(field.name);
          a.appendDouble(value);
          a.appendBigInt(BigInt(ts));
          a.endRow();
          rows++;
        }
      }
      return rows;
    }
    const index = new Map(series.columns.map((c, i) => [c, i]));
    const sources = this.table.columns.map((column) => {
      if (column.name === "ts") return { column, index: timeIndex, tag: undefined };
      const tag = tags[column.name];
      if (tag !== undefined) return { column, index: undefined, tag: tag === "" ? null : tag };
      return { column, index: index.get(column.name), tag: undefined };
    });
    for (const values of series.values) {
      const ts = values[timeIndex];
      if (typeof ts !== "number" || ts < floor) continue;
      for (const source of sources) {
        const value = source.index === undefined ? source.tag : values[source.index];
        typed(this.appender, source.column.type, value);
      }
      this.appender.endRow();
      rows++;
    }
    return rows;
  }

  close(): void {
    this.appender.flushSync();
    this.appender.closeSync();
  }

  discard(): void {
    try {
      this.appender.clear();
      this.appender.closeSync();
    } catch {
      // Already closed: nothing pending.
    }
  }
}

/** An InfluxQL duration (`720h0m0s`, `0s`) in ms; undefined when unreadable. */
export function durationMs(text: string): number | undefined {
  const units: Record<string, number> = {
    w: 604_800_000,
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    u: 0.001,
    µs: 0.001,
    ns: 0.000001,
  };
  const parts = [...text.matchAll(/(\d+)(ms|µs|ns|u|w|d|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * (units[p[2] as string] ?? 0), 0);
}

function text(appender: DuckDBAppender, value: string | undefined): void {
  if (value === undefined || value === "") appender.appendNull();
  else appender.appendVarchar(value);
}

function typed(appender: DuckDBAppender, type: string, value: unknown): void {
  if (value === null || value === undefined) {
    appender.appendNull();
    return;
  }
  switch (type) {
    case "DOUBLE":
      if (typeof value === "number") appender.appendDouble(value);
      else appender.appendNull();
      return;
    case "BIGINT":
      if (typeof value === "number" && Number.isInteger(value))
        appender.appendBigInt(BigInt(value));
      else appender.appendNull();
      return;
    case "BOOLEAN":
      if (typeof value === "boolean") appender.appendBoolean(value);
      else appender.appendNull();
      return;
    default:
      appender.appendVarchar(typeof value === "string" ? value : String(value));
  }
}

function key(w: TailWindow): string {
  return `${w.site}\u0000${[...w.lines].sort().join(",")}\u0000${w.station ?? "*"}\u0000${w.measurements?.join(",") ?? "*"}`;
}

function covers(outer: TailWindow, inner: TailWindow): boolean {
  return key(outer) === key(inner) && outer.from <= inner.from && outer.to >= inner.to;
}

/** Overlapping or touching windows of the same place and measurements become one query. */
export function mergeWindows(windows: readonly TailWindow[]): TailWindow[] {
  const groups = new Map<string, TailWindow[]>();
  for (const w of windows) {
    const list = groups.get(key(w)) ?? [];
    list.push(w);
    groups.set(key(w), list);
  }
  const merged: TailWindow[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.from - b.from);
    let current: TailWindow | undefined;
    for (const w of list) {
      if (current && w.from <= current.to) current = { ...current, to: Math.max(current.to, w.to) };
      else {
        if (current) merged.push(current);
        current = { ...w };
      }
    }
    if (current) merged.push(current);
  }
  return merged;
}
