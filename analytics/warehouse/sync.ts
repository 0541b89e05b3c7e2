import { rm } from "node:fs/promises";
import {
  type InfluxClient,
  isInfluxError,
  quoteIdent,
  rows,
  type Series,
} from "../../influx/index.ts";
import {
  type CsvSpool,
  csvFieldsSupported,
  csvHeader,
  insertCsv,
  parseSeriesTags,
  spoolCsvParts,
  spoolDirectory,
} from "./csv-load.ts";
import { badOption, WarehouseError } from "./errors.ts";
import { readAhead } from "./read-ahead.ts";
import { type Column, RecordWriter } from "./record-writer.ts";
import { isResultMeasurement, RECORD_TABLES, type RecordTable } from "./schema.ts";
import { SeriesIds } from "./series-ids.ts";
import { type SignalKey, SignalStage } from "./signal-stage.ts";
import { SIGNAL_RANGE_WHERE } from "./signal-store.ts";
import { quoteIdentifier, type Warehouse } from "./warehouse.ts";

/**
 * What the sync needs of InfluxDB: InfluxQL, whole or in chunks; with `queryCsv`, signal channels
 * are read as CSV and parsed by DuckDB (without it, as JSON here).
 */
export type SyncInflux = Pick<InfluxClient, "query" | "queryChunks"> &
  Partial<Pick<InfluxClient, "queryCsv">>;

/** How the sync reads InfluxDB; one doc line per field. */
export interface SyncOptions {
  /** Re-read window before the watermark, for points that arrive late (spool replay, slow stations), ms; default 300000 (5 min). */
  lateWindowMs: number;
  /** Points newer than now minus this are left for the next run (writes may still be in flight), ms; default 2000. */
  safetyLagMs: number;
  /** Time range of one transaction, ms, counted from the first point it holds (empty stretches are skipped); default 3600000 (1 h). */
  sliceMs: number;
  /**
   * Values (points × fields) a slice of sparse data grows to: after a slice that held fewer, the
   * next spans as long as that many would take at the same density, up to 24 × sliceMs; default
   * 1000000. Dense data keeps slices of sliceMs (a slice grown over sparse data that turns dense
   * holds more, at most 24 × sliceMs of it; the one after is back to sliceMs).
   */
  sliceValues: number;
  /** Rows per chunk InfluxDB sends; default 10000. */
  chunkSize: number;
  /** Rows of a CSV answer DuckDB loads at a time while the rest arrives; default 10000. */
  csvPartRows: number;
  /** Points read from InfluxDB ahead of the warehouse while it inserts and commits (bounds memory); default 200000. */
  readAheadRows: number;
  /** Only these measurements (of those InfluxDB has); default undefined: all but tracebox's results. */
  measurements: readonly string[] | undefined;
  /** Re-read from this time (epoch ms) when it is before watermark minus window, e.g. after an outage longer than the window; default undefined. */
  since: number | undefined;
  /** The clock, epoch ms; default Date.now. */
  now: () => number;
  /** Called after each committed slice; default none. */
  onProgress: ((slice: SyncSlice) => void) | undefined;
  /** Called inside each slice's transaction just before COMMIT; throwing rolls that slice back (how tests interrupt a sync); default none. */
  beforeCommit: ((slice: SyncSlice) => void | Promise<void>) | undefined;
  /** Stops the sync between chunks; the slice in flight is rolled back; default none. */
  signal: AbortSignal | undefined;
  /** DuckDB threads while the sync runs (the instance's setting is restored after), or undefined to leave it; default 1. */
  duckdbThreads: number | undefined;
}

/**
 * How far the sync has delivered each InfluxDB measurement (`sync_watermark`), epoch ms: every
 * point before it is in the warehouse, late ones within `lateWindowMs` still to come.
 */
export async function syncWatermarks(
  warehouse: Pick<Warehouse, "all">,
): Promise<Map<string, number>> {
  const rows = await warehouse.all<{ measurement: string; synced_to: number }>(
    "SELECT measurement, synced_to FROM sync_watermark",
  );
  return new Map(rows.map((w) => [w.measurement, Number(w.synced_to)]));
}

export const DEFAULT_SYNC_OPTIONS: Readonly<SyncOptions> = Object.freeze({
  lateWindowMs: 5 * 60_000,
  safetyLagMs: 2000,
  sliceMs: 3_600_000,
  sliceValues: 1_000_000,
  chunkSize: 10_000,
  csvPartRows: 10_000,
  readAheadRows: 200_000,
  measurements: undefined,
  since: undefined,
  now: () => Date.now(),
  onProgress: undefined,
  beforeCommit: undefined,
  signal: undefined,
  // A slice's insert is a few tens of ms and runs while InfluxDB streams the next slice: more
  // threads compete with InfluxDB for the cores and wait for work spinning (bench:sync, 2 cores:
  // 0.7 instead of 1.0 s of CPU, 1.0 instead of 1.15 s).
  duckdbThreads: 1,
});

/** One time range of one measurement, replaced in one transaction. */
export interface SyncSlice {
  measurement: string;
  /** Warehouse table: a record table, or `signal`. */
  table: string;
  /** Start, epoch ms, inclusive. */
  from: number;
  /** End, epoch ms, exclusive; the watermark after this slice. */
  to: number;
  /** Points read from InfluxDB. */
  rowsIn: number;
  /** Rows inserted: one per point for a record table, one per numeric field value for a signal. */
  rowsOut: number;
  /** Rows of the range that were in the warehouse before and were replaced by the re-read. */
  rowsReplaced: number;
}

/** What the sync did to one measurement. */
export interface MeasurementSync {
  measurement: string;
  table: string;
  kind: "record" | "signal";
  /** Start of the re-read range, epoch ms: watermark minus window, or the first point on a first sync (the new watermark when InfluxDB held nothing). */
  from: number | undefined;
  /** New watermark, epoch ms (exclusive). */
  to: number;
  slices: number;
  rowsIn: number;
  rowsOut: number;
  rowsReplaced: number;
  /** Fields not stored: non-numeric fields of a signal, fields a record table has no column for. */
  ignoredFields: string[];
  /** Tags not stored (no column for them). */
  ignoredTags: string[];
  /** Record values whose type did not fit their column, stored as NULL. */
  mistypedValues: number;
}

/** A sync run: totals (what a job records) and each measurement. */
export interface SyncResult {
  /** Points read from InfluxDB. */
  rowsIn: number;
  /** Rows inserted into the warehouse. */
  rowsOut: number;
  measurements: MeasurementSync[];
  /** Measurements left alone: tracebox's own results. */
  skipped: string[];
}

const RECORDS: ReadonlyMap<string, RecordTable> = new Map(
  RECORD_TABLES.map((t) => [t.measurement, t]),
);
const NUMERIC_FIELD_TYPES = new Set(["float", "integer"]);

export function resolveSyncOptions(options: Partial<SyncOptions> = {}): SyncOptions {
  const o: SyncOptions = { ...DEFAULT_SYNC_OPTIONS, ...options };
  const nonNegative = (field: keyof SyncOptions, value: number) => {
    if (!Number.isFinite(value) || value < 0)
      throw badOption(field, value, "a finite number of ms, 0 or more");
  };
  nonNegative("lateWindowMs", o.lateWindowMs);
  nonNegative("safetyLagMs", o.safetyLagMs);
  if (!Number.isFinite(o.sliceMs) || o.sliceMs < 1000)
    throw badOption("sliceMs", o.sliceMs, "a number of ms, 1000 or more");
  if (!Number.isInteger(o.sliceValues) || o.sliceValues < 1)
    throw badOption("sliceValues", o.sliceValues, "a positive integer");
  if (!Number.isInteger(o.csvPartRows) || o.csvPartRows < 1)
    throw badOption("csvPartRows", o.csvPartRows, "a positive integer");
  if (!Number.isInteger(o.chunkSize) || o.chunkSize < 1)
    throw badOption("chunkSize", o.chunkSize, "a positive integer");
  if (!Number.isInteger(o.readAheadRows) || o.readAheadRows < 1)
    throw badOption("readAheadRows", o.readAheadRows, "a positive integer");
  if (o.since !== undefined && !Number.isFinite(o.since))
    throw badOption("since", o.since, "epoch ms");
  if (o.duckdbThreads !== undefined && (!Number.isInteger(o.duckdbThreads) || o.duckdbThreads < 1))
    throw badOption("duckdbThreads", o.duckdbThreads, "a positive integer or undefined");
  return o;
}

/**
 * Pulls what is new in InfluxDB into the warehouse. Per measurement (SHOW MEASUREMENTS): record
 * measurements go to their tables, tracebox's results are skipped, every other measurement is a
 * signal channel whose numeric field values become rows of `signal`. Each measurement re-reads
 * [watermark − lateWindowMs, now − safetyLagMs) (from its first point the first time) slice by
 * slice; each slice deletes its range from the warehouse, inserts what InfluxDB holds for it and
 * moves the watermark, in one transaction. Re-running, or running again after an interruption at
 * any point, gives the same rows.
 */
export async function syncFromInflux(
  warehouse: Warehouse,
  influx: SyncInflux,
  options: Partial<SyncOptions> = {},
): Promise<SyncResult> {
  const o = resolveSyncOptions(options);
  const to = Math.floor(o.now() - o.safetyLagMs);
  const catalog = await influxCall(() => discover(influx));
  const watermarks = await syncWatermarks(warehouse);
  const result: SyncResult = { rowsIn: 0, rowsOut: 0, measurements: [], skipped: [] };
  await SignalStage.prepare(warehouse);
  const seriesIds = SeriesIds.create(warehouse);
  const plans: MeasurementPlan[] = [];
  const csv = influx.queryCsv
    ? { spools: new Set<string>(), directory: spoolDirectory(warehouse) }
    : undefined;
  for (const [measurement, fields] of catalog) {
    if (isResultMeasurement(measurement)) {
      result.skipped.push(measurement);
      continue;
    }
    if (o.measurements && !o.measurements.includes(measurement)) continue;
    const plan = planMeasurement(measurement, fields, watermarks.get(measurement), to, o);
    plan.csv = csv !== undefined && plan.csv;
    if (plan.record) plan.columns = await RecordWriter.columns(warehouse, plan.record);
    plans.push(plan);
    result.measurements.push(plan.done);
  }
  // InfluxDB streams the next slices while DuckDB inserts and commits the current one. The widest
  // measurements go first: their inserts take longest, and the last slice's insert is the one that
  // nothing overlaps.
  const widestFirst = [...plans].sort((a, b) => b.numeric.length - a.numeric.length);
  const events = readAhead(readSlices(influx, o, widestFirst, csv), o.readAheadRows, (event) =>
    event.kind === "series"
      ? event.series.values.length
      : event.kind === "csv"
        ? event.spool.points
        : 0,
  );
  let open: OpenSlice | undefined;
  const threads = await useThreads(warehouse, o.duckdbThreads);
  try {
    for await (const event of events) {
      if (o.signal?.aborted) throw aborted(open?.slice.measurement ?? "");
      if (event.kind === "slice") {
        open = await beginSlice(warehouse, seriesIds, event.plan, event.slice);
      } else if (event.kind === "series" && open) {
        appendSeries(open, event.series);
      } else if (event.kind === "csv" && open) {
        try {
          await appendCsv(warehouse, influx, open, event.spool, o);
        } finally {
          await removeSpool(csv, event.spool);
        }
      } else if (event.kind === "end" && open) {
        const closing = open;
        open = undefined;
        await commitSlice(warehouse, seriesIds, closing, o);
        const { slice, plan } = closing;
        plan.done.slices++;
        plan.done.rowsIn += slice.rowsIn;
        plan.done.rowsOut += slice.rowsOut;
        plan.done.rowsReplaced += slice.rowsReplaced;
        result.rowsIn += slice.rowsIn;
        result.rowsOut += slice.rowsOut;
        o.onProgress?.(slice);
      }
    }
  } catch (error) {
    if (open) await rollbackSlice(warehouse, seriesIds, open);
    throw error;
  } finally {
    // Spools read ahead of a failure were never loaded.
    for (const path of csv?.spools ?? []) await rm(path, { force: true });
    await threads.restore();
  }
  for (const plan of plans) {
    plan.done.ignoredFields = [...plan.ignoredFields].sort();
    plan.done.ignoredTags = [...plan.ignoredTags].sort();
  }
  return result;
}

/** Sets DuckDB's thread count for the run; `restore` puts the instance's setting back. */
async function useThreads(
  warehouse: Warehouse,
  threads: number | undefined,
): Promise<{ restore: () => Promise<void> }> {
  if (threads === undefined) return { restore: async () => {} };
  const [setting] = await warehouse.all<{ threads: string }>(
    "SELECT current_setting('threads')::VARCHAR AS threads",
  );
  const before = Number(setting?.threads);
  // SET takes no parameters; both counts are checked integers.
  await warehouse.run(`SET threads = ${threads}`);
  return {
    restore: async () => {
      if (Number.isInteger(before) && before > 0) await warehouse.run(`SET threads = ${before}`);
    },
  };
}

/** Measurements and their fields (key → InfluxDB types; a key may have several across shards). */
async function discover(influx: SyncInflux): Promise<Map<string, Map<string, Set<string>>>> {
  const catalog = new Map<string, Map<string, Set<string>>>();
  for (const row of rows(await influx.query("SHOW MEASUREMENTS"))) {
    if (typeof row.name === "string") catalog.set(row.name, new Map());
  }
  for (const series of (await influx.query("SHOW FIELD KEYS")).series) {
    const fields = series.name === undefined ? undefined : catalog.get(series.name);
    if (!fields) continue;
    for (const row of rows(series)) {
      const key = String(row.fieldKey);
      let types = fields.get(key);
      if (!types) {
        types = new Set();
        fields.set(key, types);
      }
      types.add(String(row.fieldType));
    }
  }
  return catalog;
}

interface MeasurementPlan {
  measurement: string;
  record: RecordTable | undefined;
  /** The record table's columns, in their order in the file. */
  columns: Column[];
  /** Numeric fields, the ones a signal selects. */
  numeric: string[];
  /** Read as CSV: a signal whose selected fields are numeric in every shard and plainly named. */
  csv: boolean;
  /** Start of the re-read; undefined: from the first point. */
  from: number | undefined;
  to: number;
  done: MeasurementSync;
  ignoredFields: Set<string>;
  ignoredTags: Set<string>;
}

function planMeasurement(
  measurement: string,
  fields: Map<string, Set<string>>,
  watermark: number | undefined,
  to: number,
  o: SyncOptions,
): MeasurementPlan {
  const record = RECORDS.get(measurement);
  const numeric = [...fields]
    .filter(([, types]) => [...types].some((t) => NUMERIC_FIELD_TYPES.has(t)))
    .map(([key]) => key);
  const from = rereadStart(o, watermark);
  // The clock went back past the re-read start: nothing to read, and the watermark stays.
  const idle = from !== undefined && from >= to;
  const done: MeasurementSync = {
    measurement,
    table: record?.table ?? "signal",
    kind: record ? "record" : "signal",
    from,
    to: idle ? (watermark ?? to) : to,
    slices: 0,
    rowsIn: 0,
    rowsOut: 0,
    rowsReplaced: 0,
    ignoredFields: [],
    ignoredTags: [],
    mistypedValues: 0,
  };
  return {
    measurement,
    record,
    columns: [],
    numeric,
    csv:
      !record &&
      csvFieldsSupported(numeric) &&
      numeric.every((f) => [...(fields.get(f) ?? [])].every((t) => NUMERIC_FIELD_TYPES.has(t))),
    from: idle ? to : from,
    to,
    done,
    ignoredFields: new Set(record ? [] : [...fields.keys()].filter((f) => !numeric.includes(f))),
    ignoredTags: new Set(),
  };
}

/**
 * Where the re-read begins: the watermark minus the late window, earlier if `since` says so;
 * `since` or undefined (from the first point) on the first sync.
 */
function rereadStart(o: SyncOptions, watermark: number | undefined): number | undefined {
  if (watermark === undefined) return o.since;
  const start = watermark - o.lateWindowMs;
  return o.since === undefined ? start : Math.min(start, o.since);
}

type SyncEvent =
  | { kind: "slice"; plan: MeasurementPlan; slice: SyncSlice }
  | { kind: "series"; series: Series }
  | { kind: "csv"; spool: CsvSpool }
  | { kind: "end" };

/** Where CSV answers are spooled, and the spools not yet removed. */
interface CsvSpools {
  directory: string;
  spools: Set<string>;
}

/**
 * How long the next slice of a measurement spans after one of `spanMs` (from its first point)
 * that held `values`: sliceMs for dense data; for sparse data long enough to hold about
 * sliceValues at the same density (each query and commit costs the same whatever it holds: a day
 * of a hall sensor is one slice, not 24), at most 24 × sliceMs.
 */
export function nextSliceMs(
  o: Pick<SyncOptions, "sliceMs" | "sliceValues">,
  values: number,
  spanMs: number,
): number {
  if (values <= 0 || spanMs <= 0) return o.sliceMs;
  const fitting = (o.sliceValues / values) * spanMs;
  return Math.min(24 * o.sliceMs, Math.max(o.sliceMs, Math.floor(fitting)));
}

/** Every slice of every measurement, as InfluxDB answers it: slice, its series, end. */
async function* readSlices(
  influx: SyncInflux,
  o: SyncOptions,
  plans: readonly MeasurementPlan[],
  csv: CsvSpools | undefined,
): AsyncGenerator<SyncEvent> {
  for (const plan of plans) {
    const { measurement, to } = plan;
    let from = plan.from;
    if (from !== undefined && from >= to) continue;
    let lookUp = true;
    let length = o.sliceMs;
    do {
      // Jump over stretches without points instead of committing an empty slice per sliceMs;
      // after a slice with points the next one most likely has some too: no need to ask.
      const next = lookUp ? await firstPointTime(influx, measurement, from, to) : from;
      const start = from ?? next ?? to;
      const slice: SyncSlice = {
        measurement,
        table: plan.done.table,
        from: start,
        to: next === undefined ? to : Math.min(to, next + length),
        rowsIn: 0,
        rowsOut: 0,
        rowsReplaced: 0,
      };
      plan.done.from ??= start;
      yield { kind: "slice", plan, slice };
      const select = plan.record ? "*" : plan.numeric.map(quoteIdent).join(", ");
      const query = `SELECT ${select} FROM ${quoteIdent(measurement)} WHERE ${rangeSql("time")} GROUP BY *`;
      let points = 0;
      if (select !== "" && plan.csv && csv) {
        for await (const spool of spoolSlice(influx, query, plan, slice, o, csv)) {
          yield { kind: "csv", spool };
          points += spool.points;
        }
      } else if (select !== "") {
        for await (const series of seriesOf(influx, query, slice, o)) {
          points += series.values.length;
          yield { kind: "series", series };
        }
      }
      lookUp = points === 0;
      length = nextSliceMs(
        o,
        plan.record ? points : points * plan.numeric.length,
        slice.to - (next ?? start),
      );
      yield { kind: "end" };
      from = slice.to;
    } while (from < to);
  }
}

/**
 * A signal slice's CSV answer, streamed to spool files of about `csvPartRows` rows each (DuckDB
 * loads one while the next arrives); each is the caller's to remove once yielded.
 */
async function* spoolSlice(
  influx: SyncInflux,
  query: string,
  plan: MeasurementPlan,
  slice: SyncSlice,
  o: SyncOptions,
  csv: CsvSpools,
): AsyncGenerator<CsvSpool> {
  const queryCsv = influx.queryCsv?.bind(influx);
  if (!queryCsv) throw new Error("spoolSlice without queryCsv");
  const pieces = queryCsv(
    query,
    { from: new Date(slice.from), to: new Date(slice.to) },
    { chunkSize: o.chunkSize },
  );
  const parts = spoolCsvParts(
    pieces,
    csv.directory,
    csvHeader(plan.numeric),
    () => {
      if (o.signal?.aborted) throw aborted(slice.measurement);
    },
    o.csvPartRows,
  );
  try {
    for (;;) {
      let next: IteratorResult<CsvSpool>;
      try {
        next = await parts.next();
      } catch (error) {
        throw wrapInflux(error);
      }
      if (next.done) return;
      csv.spools.add(next.value.path);
      yield next.value;
    }
  } finally {
    // When the consumer stops early (a failed insert, an abort), the parts' generator is paused at
    // a yield: returning it closes InfluxDB's answer and removes the part it was filling.
    await parts.return(undefined);
  }
}

async function removeSpool(csv: CsvSpools | undefined, spool: CsvSpool): Promise<void> {
  csv?.spools.delete(spool.path);
  await rm(spool.path, { force: true });
}

/** Time of the first point at or after `from` (any, when undefined) and before `to`, epoch ms. */
async function firstPointTime(
  influx: SyncInflux,
  measurement: string,
  from: number | undefined,
  to: number,
): Promise<number | undefined> {
  const where = from === undefined ? "time < $to" : rangeSql("time");
  const params: Record<string, Date> =
    from === undefined ? { to: new Date(to) } : { from: new Date(from), to: new Date(to) };
  const first = await influxCall(() =>
    influx.query(`SELECT * FROM ${quoteIdent(measurement)} WHERE ${where} LIMIT 1`, params),
  );
  const time = first.series[0]?.values[0]?.[0];
  return typeof time === "number" ? time : undefined;
}

function rangeSql(column: string): string {
  return `${column} >= $from AND ${column} < $to`;
}

/** A slice whose transaction is open. */
interface OpenSlice {
  plan: MeasurementPlan;
  slice: SyncSlice;
  writer:
    | { kind: "record"; writer: RecordWriter }
    | { kind: "signal"; stage: SignalStage; inserted: number; seriesIds: SeriesIds };
  /** The slice was read again as JSON (a tag text the CSV could not tell apart): its CSV parts are dropped. */
  readAsJson?: boolean;
}

async function beginSlice(
  warehouse: Warehouse,
  seriesIds: SeriesIds,
  plan: MeasurementPlan,
  slice: SyncSlice,
): Promise<OpenSlice> {
  await warehouse.run("BEGIN TRANSACTION");
  try {
    const range = { from: BigInt(slice.from), to: BigInt(slice.to) };
    if (plan.record) {
      slice.rowsReplaced = await warehouse.changes(
        `DELETE FROM ${quoteIdentifier(plan.record.table)} WHERE ${rangeSql("ts")}`,
        range,
      );
      const writer = await RecordWriter.open(warehouse, plan.record, plan.columns);
      return { plan, slice, writer: { kind: "record", writer } };
    }
    // A measurement without series has no values to replace (a first sync, a new channel).
    if (await seriesIds.hasMeasurement(slice.measurement)) {
      slice.rowsReplaced = await warehouse.changes(
        `DELETE FROM signal_value WHERE ${SIGNAL_RANGE_WHERE}`,
        { measurement: slice.measurement, ...range },
      );
    }
    const stage = SignalStage.open(warehouse);
    return { plan, slice, writer: { kind: "signal", stage, inserted: 0, seriesIds } };
  } catch (error) {
    await warehouse.run("ROLLBACK");
    throw error;
  }
}

const SIGNAL_TAGS = new Set(["site", "line", "station", "serial"]);

function appendSeries(open: OpenSlice, series: Series): void {
  const { plan, slice, writer } = open;
  slice.rowsIn += series.values.length;
  if (writer.kind === "record") {
    writer.writer.append(series);
    return;
  }
  const stage = writer.stage;
  const tags = series.tags ?? {};
  for (const [tag, value] of Object.entries(tags)) {
    if (value !== "" && !SIGNAL_TAGS.has(tag)) plan.ignoredTags.add(tag);
  }
  // GROUP BY * reports a tag the series does not have as "".
  const origin = {
    measurement: slice.measurement,
    site: tags.site || null,
    line: tags.line || null,
    station: tags.station || null,
    serial: tags.serial || null,
  };
  const timeIndex = series.columns.indexOf("time");
  const indexes: number[] = [];
  const keys: number[] = [];
  series.columns.forEach((field, index) => {
    if (index === timeIndex) return;
    indexes.push(index);
    keys.push(stage.key({ ...origin, field }));
  });
  for (const values of series.values) {
    const ts = values[timeIndex] as number;
    for (let i = 0; i < indexes.length; i++) {
      const value = values[indexes[i] as number];
      if (typeof value === "number") stage.add(keys[i] as number, value, ts);
    }
  }
}

/**
 * A slice's CSV answer into `signal` through DuckDB's CSV reader; when a series' tags text cannot be
 * read one way only, the slice is read again as JSON instead (its transaction still open).
 */
async function appendCsv(
  warehouse: Warehouse,
  influx: SyncInflux,
  open: OpenSlice,
  spool: CsvSpool,
  o: SyncOptions,
): Promise<void> {
  const { plan, slice, writer } = open;
  if (writer.kind !== "signal") throw new Error("CSV answer for a record slice");
  if (open.readAsJson) return;
  const parsed = spool.tags.map((text) => ({ text, tags: parseSeriesTags(text) }));
  if (parsed.some((p) => p.tags === undefined)) {
    // The whole slice again, as JSON: what earlier CSV parts of it inserted goes first.
    if (writer.inserted > 0) {
      await warehouse.run(`DELETE FROM signal_value WHERE ${SIGNAL_RANGE_WHERE}`, {
        measurement: slice.measurement,
        from: BigInt(slice.from),
        to: BigInt(slice.to),
      });
    }
    writer.inserted = 0;
    slice.rowsIn = 0;
    open.readAsJson = true;
    const select = plan.numeric.map(quoteIdent).join(", ");
    const query = `SELECT ${select} FROM ${quoteIdent(plan.measurement)} WHERE ${rangeSql("time")} GROUP BY *`;
    for await (const series of seriesOf(influx, query, slice, o)) appendSeries(open, series);
    return;
  }
  const keys: SignalKey[] = [];
  for (const { tags = {} } of parsed) {
    for (const tag of Object.keys(tags)) if (!SIGNAL_TAGS.has(tag)) plan.ignoredTags.add(tag);
    // A tag the series lacks is left out of the text; an empty one too.
    const origin = {
      measurement: slice.measurement,
      site: tags.site || null,
      line: tags.line || null,
      station: tags.station || null,
      serial: tags.serial || null,
    };
    for (const field of plan.numeric) keys.push({ ...origin, field });
  }
  const { ids } = await writer.seriesIds.ids(keys);
  const width = plan.numeric.length;
  const series = parsed.map(({ text }, s) => ({
    text,
    ids: ids.slice(s * width, (s + 1) * width),
  }));
  slice.rowsIn += spool.points;
  writer.inserted += await insertCsv(warehouse, spool, plan.numeric, series);
}

async function commitSlice(
  warehouse: Warehouse,
  seriesIds: SeriesIds,
  open: OpenSlice,
  o: SyncOptions,
): Promise<void> {
  const { plan, slice, writer } = open;
  try {
    if (writer.kind === "record") {
      writer.writer.close();
      slice.rowsOut = writer.writer.rows;
    } else {
      const staged = await writer.stage.commit();
      // The stage adds its new series itself, past the cache.
      if (staged > 0) seriesIds.stale();
      slice.rowsOut = writer.inserted + staged;
    }
    await warehouse.run(
      `INSERT INTO sync_watermark (measurement, synced_to, rows_total, updated_at)
       VALUES ($measurement, $to, $delta, $now)
       ON CONFLICT (measurement) DO UPDATE SET synced_to = excluded.synced_to,
         rows_total = sync_watermark.rows_total + excluded.rows_total, updated_at = excluded.updated_at`,
      {
        measurement: slice.measurement,
        to: BigInt(slice.to),
        delta: BigInt(slice.rowsOut - slice.rowsReplaced),
        now: BigInt(Math.floor(o.now())),
      },
    );
    await o.beforeCommit?.(slice);
    await warehouse.run("COMMIT");
  } catch (error) {
    await rollbackSlice(warehouse, seriesIds, open);
    throw error;
  }
  seriesIds.committed();
  if (writer.kind === "record") {
    for (const f of writer.writer.ignoredFields) plan.ignoredFields.add(f);
    for (const t of writer.writer.ignoredTags) plan.ignoredTags.add(t);
    plan.done.mistypedValues += writer.writer.mistyped;
  }
}

async function rollbackSlice(
  warehouse: Warehouse,
  seriesIds: SeriesIds,
  open: OpenSlice,
): Promise<void> {
  // Pending appender rows would otherwise be flushed by a later close, outside the transaction.
  if (open.writer.kind === "record") open.writer.writer.discard();
  else open.writer.stage.discard();
  seriesIds.rolledBack();
  await warehouse.run("ROLLBACK");
}

/** The series of a chunked query, with the abort signal checked between chunks. */
async function* seriesOf(
  influx: SyncInflux,
  query: string,
  slice: SyncSlice,
  o: SyncOptions,
): AsyncGenerator<Series> {
  try {
    for await (const chunk of influx.queryChunks(
      query,
      { from: new Date(slice.from), to: new Date(slice.to) },
      { chunkSize: o.chunkSize },
    )) {
      if (o.signal?.aborted) throw aborted(slice.measurement);
      yield* chunk.series;
    }
  } catch (error) {
    throw wrapInflux(error);
  }
}

async function influxCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw wrapInflux(error);
  }
}

function wrapInflux(error: unknown): unknown {
  if (!isInfluxError(error)) return error;
  return new WarehouseError("influx", `sync from InfluxDB failed: ${error.message}`, {
    cause: error,
  });
}

function aborted(measurement: string): WarehouseError {
  return new WarehouseError(
    "aborted",
    `sync aborted${measurement ? ` while syncing ${measurement}` : ""}`,
  );
}
