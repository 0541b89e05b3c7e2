import {
  type DuckDBDataChunk,
  DuckDBDoubleVector,
  DuckDBIntegerVector,
  type DuckDBMaterializedResult,
} from "@duckdb/node-api";
import { quoteIdentifier, type SqlValue } from "../warehouse/index.ts";
import type { CharacteristicSource, FeatureTableOptions } from "./config.ts";
import { SpcJobError } from "./errors.ts";
import type { SpcWarehouse } from "./tables.ts";

/** A characteristic's readings in time order, as parallel columns. */
export interface Readings {
  /** Epoch ms. */
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

/** Where the readings of a source live: table, columns and the equality filters that select them. */
export interface SourceTable {
  table: string;
  value: string;
  ts: string;
  /** Column naming the unit, for sources that are one row per unit; null for station signals. */
  serial: string | null;
  filters: [column: string, value: string][];
}

/** Readings to fetch: those at or after `from` (skipping `skip` rows at exactly `from`), before `before`. */
export interface ReadingRange {
  from: number | null;
  skip: number;
  /** Exclusive upper bound, epoch ms. */
  before: number;
}

function whereFilters(where: { site?: string; line?: string; station?: string }) {
  const filters: [string, string][] = [];
  for (const key of ["site", "line", "station"] as const) {
    const value = where[key];
    if (value !== undefined) filters.push([key, value]);
  }
  return filters;
}

/** The table and filters of a source; for features, checked against the table as it is now. */
export async function sourceTable(
  warehouse: SpcWarehouse,
  source: CharacteristicSource,
  features: FeatureTableOptions,
): Promise<SourceTable> {
  switch (source.kind) {
    case "signal":
      return {
        table: "signal",
        value: "value",
        ts: "ts",
        serial: null,
        filters: [
          ["measurement", source.measurement],
          ["field", source.field],
          ...whereFilters(source.where),
        ],
      };
    case "record":
      return {
        table: source.table,
        value: source.field,
        ts: "ts",
        serial: "serial",
        filters: [...whereFilters(source.where), ...Object.entries(source.match)],
      };
    case "feature": {
      const columns = (
        await warehouse.all<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_name = $table",
          { table: features.table },
        )
      ).map((row) => row.column_name);
      if (columns.length === 0) {
        throw new SpcJobError(
          "unknown-feature",
          `feature table ${features.table} is not in the warehouse (yet); set spc.features.table if it has another name`,
        );
      }
      const filters = whereFilters(source.where);
      const time = source.time ?? features.tsColumn;
      const needed = [
        source.feature,
        features.serialColumn,
        time,
        ...filters.map(([column]) => column),
      ];
      const missing = needed.filter((column) => !columns.includes(column));
      if (missing.length > 0) {
        throw new SpcJobError(
          "unknown-feature",
          `${features.table} has no column ${missing.join(", ")} (it has: ${columns.join(", ")})`,
        );
      }
      return {
        table: features.table,
        value: source.feature,
        ts: time,
        serial: features.serialColumn,
        filters,
      };
    }
  }
}

/** `"col" = $f0 AND ...` with the values bound, never spliced. */
function filterSql(table: SourceTable, params: Record<string, SqlValue>): string {
  return table.filters
    .map(([column, value], i) => {
      params[`f${i}`] = value;
      return `${quoteIdentifier(column)} = $f${i}`;
    })
    .join(" AND ");
}

/**
 * Column `column` of a chunk as the vector class its SQL type gives. Each column is then read at a
 * call site of its own: one `getItem` site shared by columns of different vector classes is
 * polymorphic, and took two and a half times as long over ten million readings.
 */
function vectorOf<V>(
  chunk: DuckDBDataChunk,
  column: number,
  kind: abstract new (...args: never[]) => V,
): V {
  const vector = chunk.getColumnVector(column);
  if (!(vector instanceof kind)) {
    throw new TypeError(`column ${column} is ${vector.type.toString()}, not ${kind.name}`);
  }
  return vector;
}

/** Columns 0 and 1 of a materialized result (DOUBLE), copied into typed arrays. */
function doubleColumns(result: DuckDBMaterializedResult): Readings {
  const ts = new Float64Array(result.rowCount);
  const values = new Float64Array(result.rowCount);
  let at = 0;
  for (let c = 0; c < result.chunkCount; c++) {
    const chunk = result.getChunk(c);
    const tsVector = vectorOf(chunk, 0, DuckDBDoubleVector);
    const valueVector = vectorOf(chunk, 1, DuckDBDoubleVector);
    const rows = chunk.rowCount;
    for (let row = 0; row < rows; row++, at++) {
      ts[at] = tsVector.getItem(row) ?? Number.NaN;
      values[at] = valueVector.getItem(row) ?? Number.NaN;
    }
  }
  return { ts, values };
}

/**
 * The readings of a range out of readings in time order that may start earlier: those before
 * `from` and the first `skip` at exactly `from` (judged by an earlier run) are left out.
 */
function withinRange(readings: Readings, range: ReadingRange): Readings {
  if (range.from === null) return readings;
  const { ts, values } = readings;
  let first = 0;
  while (first < ts.length && (ts[first] as number) < range.from) first++;
  for (let skip = range.skip; skip > 0 && ts[first] === range.from; skip--) first++;
  return first === 0 ? readings : { ts: ts.subarray(first), values: values.subarray(first) };
}

/**
 * The readings of a source in a range, ordered by time (ties by serial, then value, so the order
 * is the same on every run). The ts column comes as DOUBLE: epoch ms are exact below 2^53, and
 * reading doubles from the result vectors into typed arrays is what keeps a million readings cheap.
 */
export async function readReadings(
  warehouse: SpcWarehouse,
  table: SourceTable,
  range: ReadingRange,
): Promise<Readings> {
  const params: Record<string, SqlValue> = { before: range.before };
  const ts = quoteIdentifier(table.ts);
  const value = quoteIdentifier(table.value);
  const conditions = [
    filterSql(table, params),
    `${value} IS NOT NULL`,
    `isfinite(${value}::DOUBLE)`,
    `${ts} < $before`,
  ];
  if (range.from !== null) {
    conditions.push(`${ts} >= $from`);
    params.from = range.from;
  }
  const order = [ts, ...(table.serial ? [quoteIdentifier(table.serial)] : []), value].join(", ");
  const sql = `SELECT ${ts}::DOUBLE AS ts, ${value}::DOUBLE AS value FROM ${quoteIdentifier(table.table)} WHERE ${conditions.filter(Boolean).join(" AND ")} ORDER BY ${order}`;
  return withinRange(doubleColumns(await warehouse.connection.run(sql, params)), range);
}

/** The column a signal source is told apart by among the fields of one station. */
const SHARED_SCAN_COLUMN = "field";

/**
 * Which station signals can be read in one scan: those whose source is the same but for its field
 * (the zones of one oven, the sensors of one hall). Null for sources of one row per unit, which are
 * ordered by serial too, and read alone.
 */
export function sharedScanKey(table: SourceTable): string | null {
  if (table.serial !== null) return null;
  const rest = table.filters.filter(([column]) => column !== SHARED_SCAN_COLUMN);
  if (rest.length !== table.filters.length - 1) return null;
  return JSON.stringify([table.table, table.value, table.ts, rest]);
}

/**
 * The readings of several station signals with the same `sharedScanKey`, in one scan of the table
 * where reading them one by one would scan it once each. The scan is not sorted (a sort of every
 * field's readings costs more than the scan): each field's readings are checked to be in time order,
 * ties by value, as `readReadings` orders them; a few long runs in order are merged, and a field
 * whose readings are otherwise out of order comes back null, to be read alone. The same `before`
 * for all; each range's own start is applied to its readings.
 */
export async function readReadingsTogether(
  warehouse: SpcWarehouse,
  requests: readonly { table: SourceTable; range: ReadingRange }[],
): Promise<(Readings | null)[]> {
  const [first] = requests;
  if (first === undefined) return [];
  const params: Record<string, SqlValue> = { before: first.range.before };
  const shared: SourceTable = {
    ...first.table,
    filters: first.table.filters.filter(([column]) => column !== SHARED_SCAN_COLUMN),
  };
  // Two characteristics may chart the same field (another chart, other rules): one copy each field.
  const fields: string[] = [];
  const fieldOf = requests.map((request) => {
    const field = request.table.filters.find(([column]) => column === SHARED_SCAN_COLUMN)?.[1];
    const known = fields.indexOf(field ?? "");
    if (known >= 0) return known;
    fields.push(field ?? "");
    return fields.length - 1;
  });
  const keys = fields.map((field, k) => {
    params[`k${k}`] = field;
    return `$k${k}`;
  });
  const column = quoteIdentifier(SHARED_SCAN_COLUMN);
  const ts = quoteIdentifier(shared.ts);
  const value = quoteIdentifier(shared.value);
  const conditions = [
    filterSql(shared, params),
    `list_contains([${keys.join(", ")}], ${column})`,
    `${value} IS NOT NULL`,
    `isfinite(${value}::DOUBLE)`,
    `${ts} < $before`,
  ];
  const starts = requests.map((request) => request.range.from);
  if (!starts.includes(null)) {
    conditions.push(`${ts} >= $from`);
    params.from = Math.min(...(starts as number[]));
  }
  const which = `CASE ${column} ${keys.map((key, k) => `WHEN ${key} THEN ${k}`).join(" ")} END`;
  const sql = `SELECT ${ts}::DOUBLE AS ts, ${value}::DOUBLE AS value, ${which} AS k FROM ${quoteIdentifier(shared.table)} WHERE ${conditions.filter(Boolean).join(" AND ")}`;
  const result = await warehouse.connection.run(sql, params);

  const capacity = Math.ceil(result.rowCount / fields.length) + 1024;
  const columns = fields.map(() => ({
    ts: new Float64Array(capacity),
    values: new Float64Array(capacity),
    length: 0,
  }));
  for (let c = 0; c < result.chunkCount; c++) {
    const chunk = result.getChunk(c);
    const tsVector = vectorOf(chunk, 0, DuckDBDoubleVector);
    const valueVector = vectorOf(chunk, 1, DuckDBDoubleVector);
    const keyVector = vectorOf(chunk, 2, DuckDBIntegerVector);
    const rows = chunk.rowCount;
    for (let row = 0; row < rows; row++) {
      const target = columns[keyVector.getItem(row) ?? -1];
      if (target === undefined) continue;
      if (target.length === target.ts.length) {
        const grown = {
          ts: new Float64Array(target.length * 2),
          values: new Float64Array(target.length * 2),
        };
        grown.ts.set(target.ts);
        grown.values.set(target.values);
        target.ts = grown.ts;
        target.values = grown.values;
      }
      target.ts[target.length] = tsVector.getItem(row) ?? Number.NaN;
      target.values[target.length] = valueVector.getItem(row) ?? Number.NaN;
      target.length++;
    }
  }
  const read = columns.map((column) => {
    const readings = {
      ts: column.ts.subarray(0, column.length),
      values: column.values.subarray(0, column.length),
    };
    return inRunOrder(readings);
  });
  return requests.map((request, i) => {
    const readings = read[fieldOf[i] as number];
    return readings ? withinRange(readings, request.range) : null;
  });
}

/** Whether reading i follows reading i - 1 in time order, ties by value: the order `readReadings` gives. */
function follows(ts: Float64Array, values: Float64Array, i: number): boolean {
  const step = (ts[i] as number) - (ts[i - 1] as number);
  return step > 0 || (step === 0 && (values[i] as number) >= (values[i - 1] as number));
}

/**
 * Fewest readings a run in time order must hold on average for the runs to be merged here rather
 * than the field read alone, sorted by DuckDB: short runs (a field of a few readings, or readings
 * that interleave one by one) are what DuckDB's sort is for.
 */
const MIN_RUN_READINGS = 256;

/** Merges runs [start, middle) and [middle, end) of `from`, each in reading order, into `to`. */
function mergeRun(from: Readings, to: Readings, start: number, middle: number, end: number): void {
  let left = start;
  let right = middle;
  let at = start;
  while (left < middle && right < end) {
    const step = (from.ts[right] as number) - (from.ts[left] as number);
    const fromRight =
      step < 0 || (step === 0 && (from.values[right] as number) < (from.values[left] as number));
    const i = fromRight ? right++ : left++;
    to.ts[at] = from.ts[i] as number;
    to.values[at++] = from.values[i] as number;
  }
  to.ts.set(from.ts.subarray(left, middle), at);
  to.values.set(from.values.subarray(left, middle), at);
  at += middle - left;
  to.ts.set(from.ts.subarray(right, end), at);
  to.values.set(from.values.subarray(right, end), at);
}

/**
 * A field's readings in reading order when the scan gave them as a few long runs each in order:
 * a parallel insert writes its row groups from several threads, and the scan returns each thread's
 * row groups one after another. The runs are merged pairwise, `readings` serving as the spare
 * buffer (overwritten); null when the runs are short.
 */
function inRunOrder(readings: Readings): Readings | null {
  const { ts, values } = readings;
  let bounds = [0];
  for (let i = 1; i < ts.length; i++) if (!follows(ts, values, i)) bounds.push(i);
  if (bounds.length === 1) return readings;
  if (ts.length < bounds.length * MIN_RUN_READINGS) return null;
  bounds.push(ts.length);
  let from = readings;
  let to: Readings = { ts: new Float64Array(ts.length), values: new Float64Array(ts.length) };
  while (bounds.length > 2) {
    const merged = [0];
    for (let r = 0; r + 1 < bounds.length; r += 2) {
      const middle = bounds[r + 1] as number;
      const end = bounds[r + 2] ?? middle;
      mergeRun(from, to, bounds[r] as number, middle, end);
      merged.push(end);
    }
    bounds = merged;
    [from, to] = [to, from];
  }
  return from;
}

/** Site, line and station of a signal's readings in a time range. */
export interface Origin {
  site: string;
  line: string;
  station: string;
}

/** Where the readings of a source came from in [from, to]: one origin when `where` names all three. */
export async function originsOf(
  warehouse: SpcWarehouse,
  table: SourceTable,
  where: { site?: string; line?: string; station?: string },
  from: number,
  to: number,
): Promise<Origin[]> {
  if (where.site !== undefined && where.line !== undefined && where.station !== undefined) {
    return [{ site: where.site, line: where.line, station: where.station }];
  }
  const params: Record<string, SqlValue> = { from, to };
  const ts = quoteIdentifier(table.ts);
  const filters = filterSql(table, params);
  const rows = await warehouse.all<{
    site: string | null;
    line: string | null;
    station: string | null;
  }>(
    `SELECT DISTINCT site, line, station FROM ${quoteIdentifier(table.table)} WHERE ${filters ? `${filters} AND ` : ""}${ts} BETWEEN $from AND $to ORDER BY ALL`,
    params,
  );
  return rows.map((row) => ({
    site: row.site ?? "",
    line: row.line ?? "",
    station: row.station ?? "",
  }));
}

/** Units of one time range: who was measured, or who was at the station, between two instants. */
export interface SerialIndex {
  /** Serials of the range [from, to] (epoch ms, both included), sorted, each once. */
  between(from: number, to: number): string[];
}

function lastAtOrBefore(sorted: readonly number[], limit: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) <= limit) low = mid + 1;
    else high = mid;
  }
  return low;
}

function firstAtOrAfter(sorted: readonly number[], limit: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) < limit) low = mid + 1;
    else high = mid;
  }
  return low;
}

function uniqueSorted(serials: Iterable<string>): string[] {
  return [...new Set(serials)].sort();
}

/** Units measured in [from, to], for sources that carry a serial on every reading. */
export async function measuredUnits(
  warehouse: SpcWarehouse,
  table: SourceTable,
  from: number,
  to: number,
): Promise<SerialIndex> {
  const serialColumn = table.serial;
  if (serialColumn === null) throw new TypeError(`${table.table} readings carry no serial`);
  const params: Record<string, SqlValue> = { from, to };
  const ts = quoteIdentifier(table.ts);
  const filters = filterSql(table, params);
  const rows = await warehouse.all<{ ts: number; serial: string }>(
    `SELECT ${ts}::DOUBLE AS ts, ${quoteIdentifier(serialColumn)} AS serial FROM ${quoteIdentifier(table.table)} WHERE ${filters ? `${filters} AND ` : ""}${ts} BETWEEN $from AND $to AND ${quoteIdentifier(serialColumn)} IS NOT NULL ORDER BY ${ts}`,
    params,
  );
  const times = rows.map((row) => row.ts);
  return {
    between: (a, b) =>
      uniqueSorted(
        rows.slice(firstAtOrAfter(times, a), lastAtOrBefore(times, b)).map((row) => row.serial),
      ),
  };
}

/** A unit's stay at a station, from its `start` to its `complete` event (null while it is there). */
export interface Visit {
  site: string;
  line: string;
  station: string;
  serial: string;
  start: number;
  complete: number | null;
}

/**
 * Units at the stations a signal was read at, over [from, to]: visits (start..complete from
 * `unit_event`) that overlap the range. An environmental channel reaches every station of its
 * line, a site-level line (a hall sensor) every line of its site, as for the live alerts. Visits
 * that began more than `maxVisitMs` before `from` are not looked for.
 */
export async function unitsAtStations(
  warehouse: SpcWarehouse,
  origins: readonly Origin[],
  reach: { environmental: boolean; siteLines: readonly string[]; maxVisitMs: number },
  from: number,
  to: number,
): Promise<SerialIndex> {
  const sites = [...new Set(origins.map((o) => o.site))];
  const params: Record<string, SqlValue> = { earliest: from - reach.maxVisitMs, from, to };
  const siteList = sites
    .map((site, i) => {
      params[`s${i}`] = site;
      return `$s${i}`;
    })
    .join(", ");
  const rows =
    sites.length === 0
      ? []
      : await warehouse.all<Visit>(
          `WITH starts AS (
             SELECT site, line, station, serial, ts FROM unit_event
             WHERE event = 'start' AND serial IS NOT NULL AND ts BETWEEN $earliest AND $to AND site IN (${siteList})
           ), completes AS (
             SELECT site, line, station, serial, ts FROM unit_event
             WHERE event = 'complete' AND serial IS NOT NULL AND ts >= $earliest AND site IN (${siteList})
           )
           SELECT s.site, s.line, s.station, s.serial, s.ts::DOUBLE AS start, c.ts::DOUBLE AS complete
           FROM starts s ASOF LEFT JOIN completes c
             ON s.site = c.site AND s.line = c.line AND s.station = c.station AND s.serial = c.serial AND c.ts >= s.ts
           WHERE c.ts IS NULL OR c.ts >= $from
           ORDER BY start`,
          params,
        );
  const reaches = (visit: Visit) =>
    origins.some(
      (o) =>
        o.site === visit.site &&
        (reach.siteLines.includes(o.line) || o.line === visit.line) &&
        (reach.environmental || reach.siteLines.includes(o.line) || o.station === visit.station),
    );
  const visits = rows.filter(reaches);
  const starts = visits.map((v) => v.start);
  return {
    between: (a, b) =>
      uniqueSorted(
        visits
          .slice(0, lastAtOrBefore(starts, b))
          .filter((v) => v.complete === null || v.complete >= a)
          .map((v) => v.serial),
      ),
  };
}
