import type { ArchiveDataset } from "./catalog.ts";
import { emptyShape, literal, quote, type TraceTable } from "./tables.ts";

/** Column names and types a source has for one table. */
export type Columns = ReadonlyMap<string, string>;

/** Where one table's rows are, for one session: archive datasets, the attached warehouse, the tail. */
export interface TableSources {
  table: TraceTable;
  archive: readonly { dataset: ArchiveDataset; columns: Columns }[];
  /** The warehouse's columns for the table, when it is attached and has the table. */
  warehouse: Columns | undefined;
}

/** A time range a query reads, epoch ms, both ends inclusive. */
export interface Window {
  from: number;
  to: number;
}

export const WAREHOUSE_ALIAS = "wh";
const DAY_MS = 86_400_000;
const dayOfTs = "CAST(epoch_ms(ts) AS DATE)";

export function tailDdl(table: TraceTable): string {
  const columns = table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(", ");
  return `CREATE TEMP TABLE IF NOT EXISTS ${quote(`tail_${table.table}`)} (${columns})`;
}

/**
 * The union of a table's sources that can hold rows of `window`: only the archive files of its
 * days, the warehouse only outside the archived days that fall in it, InfluxDB's tail only when
 * the session loaded some of it. Fewer branches and files make a cheaper plan than the full union
 * (a read_parquet over ten files per signal channel costs milliseconds to plan, whatever it reads).
 */
export function unionSql(sources: TableSources, window: Window | undefined, tail: boolean): string {
  const { table } = sources;
  const branches = [emptyShape(table)];
  const days =
    window === undefined ? undefined : { from: dayString(window.from), to: dayString(window.to) };
  const inWindow = (day: string) => days === undefined || (day >= days.from && day <= days.to);
  const covered: ArchiveDataset[] = [];
  for (const { dataset, columns } of sources.archive) {
    const files = dataset.files.filter((_, i) =>
      inWindow(dataset.days[fileDay(dataset, i)] as string),
    );
    const archivedDays = dataset.days.filter(inWindow);
    if (archivedDays.length > 0) covered.push({ ...dataset, days: archivedDays });
    if (files.length > 0) branches.push(archiveBranch(table, dataset, columns, files));
  }
  if (sources.warehouse && !(window && fullyCovered(table, covered, window)))
    branches.push(warehouseBranch(table, sources.warehouse, covered));
  if (tail) {
    const cols = table.columns.map((c) => quote(c.name)).join(", ");
    branches.push(
      `SELECT DISTINCT ${cols}, ${dayOfTs} AS day FROM temp.main.${quote(`tail_${table.table}`)}`,
    );
  }
  return `(${branches.join("\nUNION ALL ")})`;
}

export function tableSources(name: string, all: ReadonlyMap<string, TableSources>): TableSources {
  const sources = all.get(name);
  if (!sources) throw new Error(`no sources for table ${name}`);
  return sources;
}

function dayString(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** Index into `dataset.days` of the day directory a file lies in. */
function fileDay(dataset: ArchiveDataset, fileIndex: number): number {
  const file = dataset.files[fileIndex] as string;
  const match = /day=(\d{4}-\d{2}-\d{2})/.exec(file);
  return match ? dataset.days.indexOf(match[1] as string) : -1;
}

/** Whether the archive has every day of the window (for every measurement of `signal`): the warehouse adds nothing. */
function fullyCovered(
  table: TraceTable,
  covered: readonly ArchiveDataset[],
  window: Window,
): boolean {
  const days: string[] = [];
  for (let t = Date.parse(`${dayString(window.from)}T00:00:00Z`); t <= window.to; t += DAY_MS)
    days.push(dayString(t));
  if (table.table !== "signal")
    return covered.some((d) => days.every((day) => d.days.includes(day)));
  // The warehouse may hold a channel the archive has not (yet): only skip it when none can be missing.
  return false;
}

function fileList(files: readonly string[]): string {
  return `[${files.map(literal).join(", ")}]`;
}

/** A source column cast to the reader's type; a time stored as a timestamp becomes epoch ms. */
function fitted(name: string, type: string, have: string | undefined): string {
  if (have === undefined) return `CAST(NULL AS ${type})`;
  const column = quote(name);
  if (have === type) return column;
  if (type === "BIGINT" && /^TIMESTAMP/.test(have)) return `epoch_ms(${column})`;
  return `TRY_CAST(${column} AS ${type})`;
}

function archiveBranch(
  table: TraceTable,
  dataset: ArchiveDataset,
  columns: Columns,
  files: readonly string[],
): string {
  // union_by_name: a file written before a column was added has it as NULL.
  const read = `read_parquet(${fileList(files)}, hive_partitioning = true, hive_types = {'day': DATE}${files.length > 1 ? ", union_by_name = true" : ""})`;
  if (table.table !== "signal") {
    const select = table.columns.map(
      (c) => `${fitted(c.name, c.type, columns.get(c.name))} AS ${quote(c.name)}`,
    );
    return `SELECT ${select.join(", ")}, day FROM ${read}`;
  }
  const measurement = columns.has("measurement")
    ? `coalesce(${quote("measurement")}, ${literal(dataset.measurement)})`
    : literal(dataset.measurement);
  if (columns.has("field") && columns.has("value")) {
    const select = table.columns.map((c) =>
      c.name === "measurement"
        ? `${measurement} AS measurement`
        : `${fitted(c.name, c.type, columns.get(c.name))} AS ${quote(c.name)}`,
    );
    return `SELECT ${select.join(", ")}, day FROM ${read}`;
  }
  // A wide file (one column per field): unpivoted into the long shape of `signal`.
  const keys = new Set(["measurement", "site", "line", "station", "serial", "ts", "time", "day"]);
  const numeric = [...columns]
    .filter(
      ([name, type]) =>
        !keys.has(name) &&
        /^(DOUBLE|FLOAT|REAL|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|DECIMAL)/.test(type),
    )
    .map(([name]) => name);
  if (numeric.length === 0) return emptyShape(table);
  const base = ["site", "line", "station", "serial"].map(
    (c) => `${fitted(c, "VARCHAR", columns.get(c))} AS ${quote(c)}`,
  );
  const ts = `${fitted("ts", "BIGINT", columns.get("ts") ?? columns.get("time"))} AS ts`;
  const values = numeric.map((n) => `CAST(${quote(n)} AS DOUBLE) AS ${quote(n)}`);
  const wide = `SELECT ${measurement} AS measurement, ${base.join(", ")}, ${ts}, day, ${values.join(", ")} FROM ${read}`;
  return `SELECT measurement, site, line, station, serial, field, value, ts, day FROM (UNPIVOT (${wide}) ON ${numeric.map(quote).join(", ")} INTO NAME field VALUE value)`;
}

/** Day ranges [from, to) the archive covers, as contiguous runs of days. */
function coveredRanges(days: readonly string[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const day of days) {
    const from = Date.parse(`${day}T00:00:00Z`);
    const last = ranges[ranges.length - 1];
    if (last && last[1] === from) last[1] = from + DAY_MS;
    else ranges.push([from, from + DAY_MS]);
  }
  return ranges;
}

function notCovered(days: readonly string[]): string | undefined {
  const ranges = coveredRanges(days);
  if (ranges.length === 0) return undefined;
  return ranges.map(([from, to]) => `NOT (ts >= ${from} AND ts < ${to})`).join(" AND ");
}

/** The warehouse's rows but those of days the archive has (the archive is the copy of record for them). */
function warehouseBranch(
  table: TraceTable,
  columns: Columns,
  archived: readonly ArchiveDataset[],
): string {
  const select = table.columns.map(
    (c) => `${fitted(c.name, c.type, columns.get(c.name))} AS ${quote(c.name)}`,
  );
  const from = `${WAREHOUSE_ALIAS}.main.${quote(table.table)}`;
  const conditions: string[] = [];
  for (const dataset of archived) {
    const outside = notCovered(dataset.days);
    if (!outside) continue;
    conditions.push(
      table.table === "signal"
        ? `(measurement <> ${literal(dataset.measurement)} OR (${outside}))`
        : `(${outside})`,
    );
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
  return `SELECT ${select.join(", ")}, ${dayOfTs} AS day FROM ${from}${where}`;
}
