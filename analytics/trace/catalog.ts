import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isResultMeasurement } from "../warehouse/index.ts";
import { TABLE_BY_MEASUREMENT, TABLE_BY_NAME } from "./tables.ts";

/** One measurement's directory of the Parquet archive. */
export interface ArchiveDataset {
  /** Directory name under the archive root. */
  dir: string;
  /** Trace table its rows belong to: a record table, or `signal`. */
  table: string;
  /** The InfluxDB measurement (for a signal: the directory name). */
  measurement: string;
  /** Archived days, `YYYY-MM-DD`, ascending. */
  days: string[];
  /** Every Parquet file, in day order. */
  files: string[];
  /** End of the last archived day, epoch ms (exclusive): the warehouse and InfluxDB are read from there on. */
  until: number;
}

/** What the archive holds, as listed at one moment; the reader reads exactly these files. */
export interface ArchiveCatalog {
  root: string;
  datasets: ArchiveDataset[];
  /** Changes whenever a file appears or goes: tells a cached schema to look again. */
  signature: string;
}

const DAY_DIR = /^day=(\d{4}-\d{2}-\d{2})$/;
const MEASUREMENT_DIR = /^[a-z][a-z0-9_]{0,63}$/;
/**
 * Directories the archive may hold that are derived per unit (visits, features), not InfluxDB
 * measurements: the reader derives visits itself from `unit` events.
 */
const DERIVED = new Set(["unit_visit", "visit", "visits", "unit_feature", "features", "feature"]);
const DAY_MS = 86_400_000;

/** Lists the archive; a missing root is an empty archive. Files being written (dot-names, `.tmp`) are left out. */
export async function listArchive(root: string): Promise<ArchiveCatalog> {
  const datasets: ArchiveDataset[] = [];
  for (const dir of (await entries(root)).sort()) {
    if (!MEASUREMENT_DIR.test(dir) || DERIVED.has(dir)) continue;
    const record = TABLE_BY_MEASUREMENT.get(dir) ?? TABLE_BY_NAME.get(dir);
    if (!record && isResultMeasurement(dir)) continue;
    const table = record ? record.table : "signal";
    const measurement = record?.measurement ?? dir;
    const days: string[] = [];
    const files: string[] = [];
    for (const dayDir of (await entries(join(root, dir))).sort()) {
      const day = DAY_DIR.exec(dayDir)?.[1];
      if (!day) continue;
      const parts = (await entries(join(root, dir, dayDir)))
        .filter((f) => f.endsWith(".parquet") && !f.startsWith("."))
        .sort();
      if (parts.length === 0) continue;
      days.push(day);
      for (const part of parts) files.push(join(root, dir, dayDir, part));
    }
    if (files.length === 0) continue;
    const last = days[days.length - 1] as string;
    datasets.push({
      dir,
      table,
      measurement,
      days,
      files,
      until: Date.parse(`${last}T00:00:00Z`) + DAY_MS,
    });
  }
  const signature = datasets.map((d) => `${d.dir}:${d.files.length}:${d.days.at(-1)}`).join("|");
  return { root, datasets, signature };
}

async function entries(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The UTC day of an epoch-ms time, `YYYY-MM-DD`. */
export function dayOf(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}
