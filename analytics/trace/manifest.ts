import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { createInterface } from "node:readline";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { RecordBatchReader } from "apache-arrow";
import { literal } from "./tables.ts";

/** How a file's records are read for the hash chain; export and verification read them the same way. */
export type Canonical =
  /** The whole file is one record (a single serial's JSON document). */
  | "document"
  /** Every line is a record (NDJSON, CSV with its header line). */
  | "line"
  /** Every row as DuckDB reads it from the Parquet file, as JSON (`to_json`). */
  | "parquet-row"
  /** Every row as apache-arrow reads it from the Arrow IPC file, as JSON. */
  | "arrow-row";

/** The chain of one file: each record's hash covers the previous hash, so one changed record breaks every later link. */
export interface FileChain {
  canonical: Canonical;
  /** Hash after the last record (hex SHA-256). */
  head: string;
  /** Every `anchorEvery`-th record's index and chain hash: verification says which block broke. */
  anchors: [number, string][];
}

export interface ManifestFile {
  /** Relative to the export directory, `/`-separated. */
  path: string;
  /** Record table the file holds, when it holds one. */
  table: string | undefined;
  bytes: number;
  sha256: string;
  records: number;
  chain: FileChain;
}

/** `manifest.json` of an export. */
export interface Manifest {
  format: "tracebox-export";
  version: 1;
  createdAt: string;
  /** What was exported: serial, lot or time range (and line). */
  scope: Record<string, unknown>;
  recordFormat: string;
  serials: number;
  /** Which sources answered (archive files, warehouse, InfluxDB), for the auditor. */
  sources: Record<string, unknown>;
  files: ManifestFile[];
  /** Chain over the files in order: each link covers the previous one, the file's path, SHA-256 and chain head. */
  chainHead: string;
  /** HMAC-SHA256 over the manifest without this field, when the export was signed with a key. */
  signature?: { algorithm: "hmac-sha256"; value: string };
}

export const MANIFEST = "manifest.json";
const GENESIS = "tracebox-export-chain-v1";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The chain's first link for one file: names the file, so records cannot be moved between files. */
export function genesis(path: string): string {
  return sha256(`${GENESIS}\n${path}`);
}

export function link(previous: string, record: string): string {
  return createHash("sha256").update(previous).update("\n").update(record).digest("hex");
}

/** Opens a DuckDB connection for reading Parquet files, once per verification or export. */
export type ParquetReader = () => Promise<DuckDBConnection>;

/** A reader with its own in-memory DuckDB, made on first use; `close` it after. */
export function ownParquetReader(): { reader: ParquetReader; close(): void } {
  let opened: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;
  return {
    reader: async () => {
      if (!opened) {
        const instance = await DuckDBInstance.create(":memory:");
        opened = { instance, connection: await instance.connect() };
      }
      return opened.connection;
    },
    close: () => {
      opened?.connection.closeSync();
      opened?.instance.closeSync();
      opened = undefined;
    },
  };
}

/** Reads a file's records in order, the one way both export and verification read them. */
export async function* canonicalRecords(
  file: string,
  canonical: Canonical,
  parquet: ParquetReader,
): AsyncGenerator<string> {
  switch (canonical) {
    case "document":
      yield await readFile(file, "utf8");
      return;
    case "line": {
      const lines = createInterface({
        input: createReadStream(file, "utf8"),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) yield line;
      return;
    }
    case "parquet-row": {
      const connection = await parquet();
      const result = await connection.stream(
        `SELECT CAST(to_json(t) AS VARCHAR) AS row FROM read_parquet(${literal(file)}) t`,
      );
      for await (const rows of result.yieldRowsJs()) for (const [row] of rows) yield String(row);
      return;
    }
    case "arrow-row": {
      // A row is the JSON array of its values in column order (times as epoch ms, 64-bit integers as text).
      const reader = await RecordBatchReader.from(createReadStream(file));
      for await (const batch of reader) {
        const columns = batch.schema.fields.map(
          (_, i) => [...(batch.getChildAt(i) ?? [])] as unknown[],
        );
        for (let row = 0; row < batch.numRows; row++)
          yield JSON.stringify(
            columns.map((column) => column[row] ?? null),
            arrowJson,
          );
      }
      return;
    }
  }
}

function arrowJson(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** Chain of a file's records, with anchors every `anchorEvery` records. */
export async function chainOf(
  file: string,
  path: string,
  canonical: Canonical,
  anchorEvery: number,
  parquet: ParquetReader,
): Promise<{ chain: FileChain; records: number }> {
  let hash = genesis(path);
  let records = 0;
  const anchors: [number, string][] = [];
  for await (const record of canonicalRecords(file, canonical, parquet)) {
    hash = link(hash, record);
    records++;
    if (records % anchorEvery === 0) anchors.push([records, hash]);
  }
  return { chain: { canonical, head: hash, anchors }, records };
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Describes one written file for the manifest: size, SHA-256, record chain. */
export async function describeFile(
  dir: string,
  file: string,
  table: string | undefined,
  canonical: Canonical,
  anchorEvery: number,
  parquet: ParquetReader,
): Promise<ManifestFile> {
  const path = relative(dir, file).split(sep).join("/");
  const { chain, records } = await chainOf(file, path, canonical, anchorEvery, parquet);
  return {
    path,
    table,
    bytes: statSync(file).size,
    sha256: await fileSha256(file),
    records,
    chain,
  };
}

export function filesChainHead(files: readonly ManifestFile[]): string {
  let hash = sha256(GENESIS);
  for (const f of files) hash = link(hash, `${f.path}\n${f.sha256}\n${f.chain.head}\n${f.records}`);
  return hash;
}

/** The manifest's text without its signature: what the signature covers. */
function signedText(manifest: Manifest): string {
  const { signature: _, ...unsigned } = manifest;
  return JSON.stringify(unsigned);
}

export function sign(manifest: Manifest, key: string): Manifest {
  const value = createHmac("sha256", key).update(signedText(manifest)).digest("hex");
  return { ...manifest, signature: { algorithm: "hmac-sha256", value } };
}

/** What `verify` found. */
export interface Verification {
  ok: boolean;
  /** Each thing that failed, in words that name the file and the record block. */
  problems: string[];
  /** Things that were not checked (a signature without the key). */
  notes: string[];
  files: number;
  records: number;
  manifest: Manifest | undefined;
}

/**
 * Verifies an export directory (or its manifest.json): every listed file is there with its size
 * and SHA-256, no other file was added, every file's record chain recomputes to its head (a broken
 * one is located to its anchor block), the chain over the files matches, and the signature when a
 * key is given.
 */
export async function verifyExport(
  path: string,
  options: { key?: string | undefined } = {},
): Promise<Verification> {
  const manifestPath =
    existsSync(path) && statSync(path).isDirectory() ? join(path, MANIFEST) : path;
  const dir = dirname(manifestPath);
  const problems: string[] = [];
  const notes: string[] = [];
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Manifest;
  } catch (error) {
    return {
      ok: false,
      problems: [`${manifestPath}: cannot read the manifest: ${(error as Error).message}`],
      notes,
      files: 0,
      records: 0,
      manifest: undefined,
    };
  }
  if (
    manifest.format !== "tracebox-export" ||
    manifest.version !== 1 ||
    !Array.isArray(manifest.files)
  ) {
    problems.push(`${basename(manifestPath)}: not a tracebox export manifest (version 1)`);
    return { ok: false, problems, notes, files: 0, records: 0, manifest };
  }
  let records = 0;
  const listed = new Set<string>();
  const parquet = ownParquetReader();
  try {
    for (const f of manifest.files) {
      listed.add(f.path);
      if (
        typeof f.path !== "string" ||
        f.path.split("/").some((part) => part === ".." || part === "")
      ) {
        problems.push(`${JSON.stringify(f.path)}: not a path inside the export`);
        continue;
      }
      const file = join(dir, ...f.path.split("/"));
      if (!existsSync(file)) {
        problems.push(`${f.path}: missing`);
        continue;
      }
      const bytes = statSync(file).size;
      if (bytes !== f.bytes)
        problems.push(`${f.path}: ${bytes} bytes, the manifest says ${f.bytes}`);
      const digest = await fileSha256(file);
      if (digest !== f.sha256)
        problems.push(`${f.path}: SHA-256 ${digest} differs from the manifest's ${f.sha256}`);
      let hash = genesis(f.path);
      let count = 0;
      let broken: string | undefined;
      const anchors = new Map(f.chain.anchors);
      let lastGood = 0;
      try {
        for await (const record of canonicalRecords(file, f.chain.canonical, parquet.reader)) {
          hash = link(hash, record);
          count++;
          const anchor = anchors.get(count);
          if (anchor !== undefined) {
            if (anchor === hash) lastGood = count;
            else broken ??= `records ${lastGood + 1}..${count}`;
          }
        }
      } catch (error) {
        problems.push(`${f.path}: cannot read its records: ${(error as Error).message}`);
        continue;
      }
      records += count;
      if (count !== f.records)
        problems.push(`${f.path}: ${count} records, the manifest says ${f.records}`);
      if (hash !== f.chain.head)
        problems.push(
          `${f.path}: the record chain does not reach its head; first changed block: ${broken ?? `records ${lastGood + 1}..${count}`}`,
        );
    }
  } finally {
    parquet.close();
  }
  for (const extra of await listFiles(dir)) {
    if (extra !== MANIFEST && !listed.has(extra)) problems.push(`${extra}: not in the manifest`);
  }
  if (filesChainHead(manifest.files) !== manifest.chainHead)
    problems.push(
      `${MANIFEST}: the chain over the files does not reach the manifest's chainHead (the manifest was edited)`,
    );
  if (options.key !== undefined) {
    if (!manifest.signature) problems.push(`${MANIFEST}: not signed, but a key was given`);
    else {
      const expected = Buffer.from(sign(manifest, options.key).signature?.value ?? "", "hex");
      const actual = Buffer.from(manifest.signature.value, "hex");
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
        problems.push(`${MANIFEST}: the signature does not match (edited, or another key)`);
    }
  } else if (manifest.signature)
    notes.push("the manifest is signed; give the key to check the signature");
  return {
    ok: problems.length === 0,
    problems,
    notes,
    files: manifest.files.length,
    records,
    manifest,
  };
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, path)));
    else out.push(path);
  }
  return out;
}
