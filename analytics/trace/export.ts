import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  type WriteStream,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { TraceError } from "./errors.ts";
import {
  type Canonical,
  describeFile,
  filesChainHead,
  MANIFEST,
  type Manifest,
  type ManifestFile,
  sign,
} from "./manifest.ts";
import { assembleRecords, hasAnything, recordJson, stageRecords, unknownSerial } from "./record.ts";
import type { TraceSession } from "./session.ts";
import {
  clearStage,
  EXPORT_TABLES,
  type ExportTable,
  type ExportTableName,
  resetStage,
  stagedTable,
} from "./stage.ts";
import type { TraceStore } from "./store.ts";
import { literal, quote } from "./tables.ts";

export type ExportFormat = "json" | "csv" | "parquet" | "arrow";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["json", "csv", "parquet", "arrow"];

/** What an export covers. */
export type ExportScope =
  | { serial: string }
  | { serials: readonly string[] }
  | { lot: string }
  | { from: number; to: number; line?: string | undefined };

/** How far an export has come; called after each batch. */
export interface ExportProgress {
  serials: number;
  total: number;
  phase: "records" | "files";
}

export interface ExportOptions {
  format: ExportFormat;
  /** Directory to create (must not exist, or be empty). */
  out: string;
  /** Only these tables (tabular formats); default all. */
  tables?: readonly ExportTableName[] | undefined;
  /** HMAC key: the manifest is signed when given. */
  signingKey?: string | undefined;
  onProgress?: ((progress: ExportProgress) => void) | undefined;
}

export interface ExportSummary {
  out: string;
  format: ExportFormat;
  serials: number;
  files: ManifestFile[];
  chainHead: string;
}

/** Serials per batch of a JSON export: records are assembled in memory one batch at a time. */
const JSON_BATCH = 20;

/** The serials a scope covers, in serial order; a single unknown serial is `not-found`. */
export async function resolveScope(session: TraceSession, scope: ExportScope): Promise<string[]> {
  if ("serial" in scope) return [scope.serial];
  if ("serials" in scope) return [...new Set(scope.serials)];
  if ("lot" in scope) {
    await session.tail.placements({ lot: scope.lot });
    const rows = await session.all<{ serial: string }>(
      `SELECT DISTINCT serial FROM ${session.from("placement")} WHERE lot = $lot AND serial IS NOT NULL ORDER BY serial`,
      { lot: scope.lot },
    );
    if (rows.length === 0) {
      if (session.tailState.kind === "unavailable")
        throw new TraceError(
          "source-unavailable",
          `lot ${JSON.stringify(scope.lot)} is not in the archive or warehouse, and InfluxDB did not answer`,
        );
      throw new TraceError("not-found", `lot ${JSON.stringify(scope.lot)} is on no placement`);
    }
    return rows.map((r) => r.serial);
  }
  if (!(Number.isFinite(scope.from) && Number.isFinite(scope.to) && scope.from <= scope.to))
    throw new TraceError(
      "bad-option",
      `time range ${scope.from}..${scope.to}: expected from <= to, epoch ms`,
    );
  await session.tail.measurement("unit", scope.from, scope.to);
  const rows = await session.all<{ serial: string }>(
    `SELECT DISTINCT serial FROM ${session.from("unit_event", { from: scope.from, to: scope.to })}
     WHERE serial IS NOT NULL AND ($line IS NULL OR line = $line)
     ORDER BY serial`,
    {
      line: scope.line ?? null,
    },
  );
  return rows.map((r) => r.serial);
}

/**
 * Exports the record of a serial, a lot or a time range into a new directory with `manifest.json`.
 * JSON: `record.json` (one serial) or `records.ndjson` (one record per line). Tabular formats: one
 * file per table, long and keyed by serial. Serials go through in batches; each batch's tables are
 * written as Parquet parts by DuckDB's `COPY … TO`, merged at the end into one file per table
 * (COPY for CSV / Parquet, apache-arrow for Arrow IPC), so memory holds one batch at a time.
 */
export async function exportRecords(
  store: TraceStore,
  scope: ExportScope,
  options: ExportOptions,
): Promise<ExportSummary> {
  const { format, out } = options;
  if (!EXPORT_FORMATS.includes(format))
    throw new TraceError(
      "bad-option",
      `format ${JSON.stringify(format)}: expected one of ${EXPORT_FORMATS.join(", ")}`,
    );
  const tables = selectTables(options.tables);
  prepareOut(out);
  try {
    return await store.withSession(async (session) => {
      await resetStage(session);
      const reader = async () => session.connection;
      const serials = await resolveScope(session, scope);
      const files: ManifestFile[] = [];
      if (format === "json") {
        const single = "serial" in scope;
        const file = join(out, single ? "record.json" : "records.ndjson");
        await writeJson(session, serials, file, single, options);
        files.push(
          await describeFile(
            out,
            file,
            undefined,
            single ? "document" : "line",
            store.options.anchorEvery,
            reader,
          ),
        );
      } else {
        const batchSize = store.options.exportBatchSerials;
        const parts = join(out, ".parts");
        // One batch: the staged tables are the files' whole content, written without parts.
        const single = serials.length <= batchSize;
        if (!single) mkdirSync(parts, { recursive: true });
        const written = single
          ? await stageOnly(session, serials, "serial" in scope, options)
          : await writeParts(
              session,
              serials,
              tables,
              parts,
              "serial" in scope,
              options,
              batchSize,
            );
        options.onProgress?.({ serials: serials.length, total: serials.length, phase: "files" });
        for (const table of tables) {
          const file = join(out, `${table.name}.${extension(format)}`);
          const source = single
            ? selectStaged(table, false)
            : partsOf(table, written?.get(table.name) ?? []);
          await writeTable(session, table, source, file, format);
          files.push(
            await describeFile(
              out,
              file,
              table.name,
              canonicalOf(format),
              store.options.anchorEvery,
              reader,
            ),
          );
        }
        rmSync(parts, { recursive: true, force: true });
      }
      const manifest = manifestOf(scope, format, serials.length, session, files);
      const signed = options.signingKey ? sign(manifest, options.signingKey) : manifest;
      await writeFile(join(out, MANIFEST), `${JSON.stringify(signed, null, 2)}\n`);
      return { out, format, serials: serials.length, files, chainHead: manifest.chainHead };
    });
  } catch (error) {
    rmSync(out, { recursive: true, force: true });
    throw error;
  }
}

function prepareOut(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new TraceError(
      "output-exists",
      `${out} exists and is not empty: an export never overwrites`,
    );
  mkdirSync(out, { recursive: true });
}

function selectTables(names: readonly ExportTableName[] | undefined): ExportTable[] {
  if (names === undefined) return [...EXPORT_TABLES];
  for (const name of names) {
    if (!EXPORT_TABLES.some((t) => t.name === name))
      throw new TraceError(
        "bad-option",
        `table ${JSON.stringify(name)}: expected one of ${EXPORT_TABLES.map((t) => t.name).join(", ")}`,
      );
  }
  return EXPORT_TABLES.filter((t) => names.includes(t.name as ExportTableName));
}

function extension(format: ExportFormat): string {
  return format === "arrow" ? "arrow" : format;
}

function canonicalOf(format: ExportFormat): Canonical {
  return format === "parquet" ? "parquet-row" : format === "arrow" ? "arrow-row" : "line";
}

function manifestOf(
  scope: ExportScope,
  format: ExportFormat,
  serials: number,
  session: TraceSession,
  files: ManifestFile[],
): Manifest {
  const plan = session.plan;
  const described: Record<string, unknown> =
    "from" in scope
      ? {
          from: new Date(scope.from).toISOString(),
          to: new Date(scope.to).toISOString(),
          line: scope.line ?? null,
        }
      : "serials" in scope
        ? { serials: scope.serials.length }
        : { ...scope };
  return {
    format: "tracebox-export",
    version: 1,
    createdAt: new Date(session.options.now()).toISOString(),
    scope: described,
    recordFormat: format,
    serials,
    sources: {
      archive: plan.archive
        ? {
            root: plan.archive.root,
            files: plan.archive.datasets.reduce((n, d) => n + d.files.length, 0),
          }
        : null,
      warehouse: plan.warehouse.attached ? "read-only" : (plan.warehouse.reason ?? "not read"),
      influx: session.tailState,
    },
    files,
    chainHead: filesChainHead(files),
  };
}

async function writeJson(
  session: TraceSession,
  serials: readonly string[],
  file: string,
  single: boolean,
  options: ExportOptions,
): Promise<void> {
  const stream = createWriteStream(file);
  try {
    for await (const record of streamRecords(session, serials, single)) {
      const text = `${JSON.stringify(recordJson(record))}\n`;
      await write(stream, text);
    }
    options.onProgress?.({ serials: serials.length, total: serials.length, phase: "records" });
  } finally {
    await close(stream);
  }
}

/**
 * The records of serials, batch by batch (memory holds one batch). With `strict`, a serial no
 * source knows is an error (`not-found`); otherwise it is left out.
 */
export async function* streamRecords(
  session: TraceSession,
  serials: readonly string[],
  strict: boolean,
) {
  await resetStage(session);
  for (let i = 0; i < serials.length; i += JSON_BATCH) {
    const batch = serials.slice(i, i + JSON_BATCH);
    await clearStage(session);
    const assessed = await stageRecords(session, batch);
    for (const record of await assembleRecords(session, batch, assessed)) {
      if (!hasAnything(record)) {
        if (strict) throw await unknownSerial(session, record.serial);
        continue;
      }
      yield record;
    }
  }
}

function write(stream: WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

function close(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.end(() => resolve());
  });
}

/** The staged rows of a table, ready to write: times as UTC timestamps, in the table's order. */
export function selectStaged(table: ExportTable, batchOnly: boolean): string {
  const columns = table.columns.map((c) =>
    c.time ? `CAST(epoch_ms(${quote(c.name)}) AS TIMESTAMPTZ) AS ${quote(c.name)}` : quote(c.name),
  );
  const where = batchOnly ? " WHERE serial IN (SELECT serial FROM batch_serial)" : "";
  return `SELECT ${columns.join(", ")} FROM ${stagedTable(table.name)}${where} ORDER BY ${table.order.map(quote).join(", ")}`;
}

/** A typed empty selection of a table, for a table no batch wrote to. */
function emptyTable(table: ExportTable): string {
  return `SELECT ${table.columns.map((c) => `CAST(NULL AS ${c.time ? "TIMESTAMPTZ" : c.type}) AS ${quote(c.name)}`).join(", ")} WHERE false`;
}

/** Stages the only batch; the tables are then written straight from the stage. */
async function stageOnly(
  session: TraceSession,
  serials: readonly string[],
  strict: boolean,
  options: ExportOptions,
): Promise<undefined> {
  await clearStage(session);
  await stageRecords(session, serials);
  if (strict) await requireKnown(session, serials);
  options.onProgress?.({ serials: serials.length, total: serials.length, phase: "records" });
  return undefined;
}

async function requireKnown(session: TraceSession, serials: readonly string[]): Promise<void> {
  const [row] = await session.all<{ n: number }>(
    "SELECT (SELECT count(*) FROM x_visits) + (SELECT count(*) FROM x_spi) + (SELECT count(*) FROM x_tests) + (SELECT count(*) FROM x_materials) + (SELECT count(*) FROM x_containers) AS n",
  );
  if (Number(row?.n ?? 0) === 0) throw await unknownSerial(session, serials[0] as string);
}

async function writeParts(
  session: TraceSession,
  serials: readonly string[],
  tables: readonly ExportTable[],
  dir: string,
  strict: boolean,
  options: ExportOptions,
  batchSize: number,
): Promise<Map<string, string[]>> {
  const parts = new Map<string, string[]>();
  let part = 0;
  for (let i = 0; i < serials.length; i += batchSize) {
    const batch = serials.slice(i, i + batchSize);
    await clearStage(session);
    await stageRecords(session, batch);
    if (strict) await requireKnown(session, batch);
    for (const table of tables) {
      const file = join(dir, `${table.name}-${String(part).padStart(6, "0")}.parquet`);
      await session.run(`COPY (${selectStaged(table, true)}) TO ${literal(file)} (FORMAT parquet)`);
      const list = parts.get(table.name) ?? [];
      list.push(file);
      parts.set(table.name, list);
    }
    part++;
    options.onProgress?.({
      serials: Math.min(serials.length, i + batch.length),
      total: serials.length,
      phase: "records",
    });
  }
  return parts;
}

function partsOf(table: ExportTable, parts: readonly string[]): string {
  return parts.length === 0
    ? emptyTable(table)
    : `SELECT * FROM read_parquet([${parts.map(literal).join(", ")}])`;
}

async function writeTable(
  session: TraceSession,
  table: ExportTable,
  source: string,
  file: string,
  format: ExportFormat,
): Promise<void> {
  if (format === "parquet") {
    await session.run(`COPY (${source}) TO ${literal(file)} (FORMAT parquet)`);
  } else if (format === "csv") {
    await session.run(
      `COPY (${source}) TO ${literal(file)} (FORMAT csv, HEADER true, timestampformat '%Y-%m-%dT%H:%M:%S.%gZ')`,
    );
  } else {
    await writeArrow(session, table, source, file);
  }
}

function arrowType(column: ExportTable["columns"][number]): DataType {
  if (column.time) return new TimestampMillisecond("UTC");
  switch (column.type) {
    case "DOUBLE":
      return new Float64();
    case "BIGINT":
      return new Int64();
    case "INTEGER":
      return new Int32();
    case "BOOLEAN":
      return new Bool();
    default:
      return new Utf8();
  }
}

/** Streams a table into an Arrow IPC file, one record batch per DuckDB chunk. */
async function writeArrow(
  session: TraceSession,
  table: ExportTable,
  source: string,
  file: string,
): Promise<void> {
  const schema = new Schema(table.columns.map((c) => new Field(c.name, arrowType(c), true)));
  const writer = RecordBatchFileWriter.throughNode();
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  writer.pipe(out);
  let wrote = false;
  const flush = (rows: Record<string, unknown>[]) => {
    const children = schema.fields.map((field, i) => {
      const column = table.columns[i] as ExportTable["columns"][number];
      const values = rows.map((row) => arrowValue(row[field.name], column));
      return vectorFromArray(values as never[], field.type).data[0] as never;
    });
    writer.write(
      new RecordBatch(
        schema,
        makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }),
      ),
    );
    wrote = true;
  };
  for await (const rows of session.chunks(source)) {
    if (rows.length === 0) continue;
    flush(rows);
    if (out.writableNeedDrain)
      await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  if (!wrote) flush([]);
  writer.end();
  await done;
}

function arrowValue(value: unknown, column: ExportTable["columns"][number]): unknown {
  if (value === null || value === undefined) return null;
  if (column.time) return value instanceof Date ? value : new Date(Number(value));
  if (column.type === "BIGINT") return typeof value === "bigint" ? value : BigInt(value as number);
  return value;
}
