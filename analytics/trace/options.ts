import { tmpdir } from "node:os";
import { join } from "node:path";
import { badOption } from "./errors.ts";

/** How the warehouse file is read: attached read-only per session when no writer holds it, or never. */
export type WarehouseAccess = "when-free" | "never";

/** Where the traceability records come from and how gaps are judged; one doc line per field. */
export interface TraceOptions {
  /** DuckDB warehouse file (`<dataDir>/warehouse.duckdb`); default undefined: not read. */
  warehousePath: string | undefined;
  /** "when-free": attach the warehouse READ_ONLY for the length of a session when no writer holds it; "never"; default "when-free". */
  warehouse: WarehouseAccess;
  /** Root of the Parquet archive (`<dir>/<measurement>/day=YYYY-MM-DD/*.parquet`); default undefined: none. */
  archiveDir: string | undefined;
  /** Signal measurements that describe a line's environment rather than one station's process; default ["env", "nitrogen"]. */
  environmentMeasurements: readonly string[];
  /** Line names of site-level sensors, whose readings apply to every line of their site; default ["hall"]. */
  siteLines: readonly string[];
  /** A signal stream has a gap where two samples are further apart than this many times its median interval; default 5. */
  gapFactor: number;
  /** Gaps shorter than this are never reported, whatever the usual interval, ms; default 2000. */
  minGapMs: number;
  /** Measurement of the ingestor's own counters, written every few seconds; its gaps are ingest outages; default "tracebox_ingest". */
  ingestMeasurement: string;
  /** Lot texts that mean "not known" (compared trimmed and case-insensitively); default ["", "-", "?", "unknown", "n/a", "na", "none", "null", "tbd"]. */
  unknownLots: readonly string[];
  /** A unit's inspections, tests and placements are read within its visits' span widened by this much on each side, ms; default 86400000 (1 day). */
  recordSlackMs: number;
  /** Share of a product's units that visit a station for it to be part of the product's route, 0..1; default 0.5. */
  routeShare: number;
  /** Serials per InfluxDB query when the unsynced tail is read; default 100. */
  tailSerialsPerQuery: number;
  /** Serials per batch of a multi-serial export; bounds what one batch holds; default 500. */
  exportBatchSerials: number;
  /** A chain anchor (record index and hash) is written to the manifest every this many records; default 10000. */
  anchorEvery: number;
  /** DuckDB memory limit of the reader (DuckDB size text); above it, work spills to `tempDirectory`; default "1GB". */
  memoryLimit: string;
  /** Where DuckDB spills; default `<os tmpdir>/tracebox-trace`. */
  tempDirectory: string;
  /** DuckDB threads per query: one keeps a single serial's many small queries cheapest (and lets requests run side by side); raise it for bulk exports; default 1. */
  threads: number;
  /** How long a listing of the archive is reused before the directory is read again, ms; default 5000. */
  catalogTtlMs: number;
  /** The clock, epoch ms; default Date.now. */
  now: () => number;
}

export const DEFAULT_TRACE_OPTIONS: Readonly<TraceOptions> = Object.freeze({
  warehousePath: undefined,
  warehouse: "when-free",
  archiveDir: undefined,
  environmentMeasurements: Object.freeze(["env", "nitrogen"]),
  siteLines: Object.freeze(["hall"]),
  gapFactor: 5,
  minGapMs: 2000,
  ingestMeasurement: "tracebox_ingest",
  unknownLots: Object.freeze(["", "-", "?", "unknown", "n/a", "na", "none", "null", "tbd"]),
  recordSlackMs: 86_400_000,
  routeShare: 0.5,
  tailSerialsPerQuery: 100,
  exportBatchSerials: 500,
  anchorEvery: 10_000,
  memoryLimit: "1GB",
  tempDirectory: join(tmpdir(), "tracebox-trace"),
  threads: 1,
  catalogTtlMs: 5000,
  now: () => Date.now(),
} satisfies TraceOptions);

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MEASUREMENT = /^[a-z][a-z0-9_]{0,63}$/;

export function resolveTraceOptions(options: Partial<TraceOptions> = {}): TraceOptions {
  const o: TraceOptions = { ...DEFAULT_TRACE_OPTIONS, ...stripUndefined(options) };
  if (options.warehousePath === undefined) o.warehousePath = undefined;
  if (options.archiveDir === undefined) o.archiveDir = undefined;
  if (o.warehouse !== "when-free" && o.warehouse !== "never")
    throw badOption("warehouse", o.warehouse, '"when-free" or "never"');
  for (const m of o.environmentMeasurements) {
    if (!MEASUREMENT.test(m))
      throw badOption("environmentMeasurements", m, "a measurement name of [a-z][a-z0-9_]*");
  }
  if (!MEASUREMENT.test(o.ingestMeasurement))
    throw badOption("ingestMeasurement", o.ingestMeasurement, "a measurement name");
  for (const line of o.siteLines) {
    if (!NAME.test(line)) throw badOption("siteLines", line, "a line name of [A-Za-z0-9_.-]{1,64}");
  }
  if (!(Number.isFinite(o.gapFactor) && o.gapFactor > 1))
    throw badOption("gapFactor", o.gapFactor, "a number above 1");
  if (!(Number.isFinite(o.minGapMs) && o.minGapMs >= 0))
    throw badOption("minGapMs", o.minGapMs, "ms, 0 or more");
  if (!(Number.isFinite(o.recordSlackMs) && o.recordSlackMs >= 0))
    throw badOption("recordSlackMs", o.recordSlackMs, "ms, 0 or more");
  if (!(o.routeShare > 0 && o.routeShare <= 1))
    throw badOption("routeShare", o.routeShare, "a share in (0, 1]");
  for (const [field, value] of [
    ["tailSerialsPerQuery", o.tailSerialsPerQuery],
    ["exportBatchSerials", o.exportBatchSerials],
    ["anchorEvery", o.anchorEvery],
    ["threads", o.threads],
  ] as const) {
    if (!(Number.isInteger(value) && value >= 1))
      throw badOption(field, value, "a positive integer");
  }
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(o.memoryLimit))
    throw badOption("memoryLimit", o.memoryLimit, "a DuckDB size such as 512MB or 2GB");
  if (!(Number.isFinite(o.catalogTtlMs) && o.catalogTtlMs >= 0))
    throw badOption("catalogTtlMs", o.catalogTtlMs, "ms, 0 or more");
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
