// Test support: the qcc reference results in shared/reference/spc (see its README), and the
// datasets they were computed from, shaped as subgroups. Not part of the engine.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AttributesSubgroup, VariablesSubgroup } from "./types.ts";

/** <repo>/../shared/reference/spc */
export const REFERENCE_DIR = new URL("../../../shared/reference/spc/", import.meta.url);

export function referenceFiles(extension: string): string[] {
  return readdirSync(fileURLToPath(REFERENCE_DIR))
    .filter((name) => name.endsWith(extension))
    .sort();
}

// biome-ignore lint/suspicious/noExplicitAny: reference JSON is read field by field in the tests
export function readReference(name: string): any {
  return JSON.parse(readFileSync(new URL(name, REFERENCE_DIR), "utf8"));
}

/** The reference CSVs are simple (no quotes); rows as records of strings. */
export function readReferenceCsv(name: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(new URL(name, REFERENCE_DIR), "utf8")
    .trim()
    .split(/\r?\n/)
    .map((line) => line.split(","));
  if (!header) throw new Error(`${name} is empty`);
  return lines.map((cells) =>
    Object.fromEntries(header.map((column, i) => [column, cells[i] ?? ""])),
  );
}

const isTrial = (row: Record<string, string>) => row.trial === "TRUE";

/** Piston-ring diameters, 40 samples of 5; samples 1–25 are the trial (phase I). */
export function pistonrings(): {
  all: VariablesSubgroup[];
  phase1: VariablesSubgroup[];
  phase2: VariablesSubgroup[];
} {
  const bySample = new Map<string, number[]>();
  for (const row of readReferenceCsv("pistonrings.csv")) {
    const sample = row.sample ?? "";
    bySample.set(sample, [...(bySample.get(sample) ?? []), Number(row.diameter)]);
  }
  const all = [...bySample].map(([label, values]) => ({ label, values }));
  return { all, phase1: all.slice(0, 25), phase2: all.slice(25) };
}

/** Attribute samples with trial flags; labels from `labelColumn`, or the 1-based row number. */
export function attributeSamples(
  file: string,
  countColumn: string,
  labelColumn?: string,
): { subgroup: AttributesSubgroup; trial: boolean }[] {
  return readReferenceCsv(file).map((row, i) => ({
    subgroup: {
      label: labelColumn ? (row[labelColumn] ?? "") : String(i + 1),
      count: Number(row[countColumn]),
      size: Number(row.size),
    },
    trial: row.trial === undefined || isTrial(row),
  }));
}

/** Individual values as one-value subgroups, labelled by row number, with trial flags. */
export function individualSamples(
  file: string,
  column: string,
): { subgroup: VariablesSubgroup; trial: boolean }[] {
  return readReferenceCsv(file).map((row, i) => ({
    subgroup: { label: String(i + 1), values: [Number(row[column])] },
    trial: row.trial === undefined || isTrial(row),
  }));
}

/** Within 1e-9 relative of qcc's value, or 1e-12 absolute near zero. */
export function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= Math.max(1e-9 * Math.abs(expected), 1e-12);
}

/** Positions where two number lists disagree beyond `close` (empty when they agree). */
export function mismatches(actual: readonly number[], expected: readonly number[]): string[] {
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  return expected.flatMap((value, i) =>
    close(actual[i] ?? Number.NaN, value) ? [] : [`[${i}] ${actual[i]} != ${value}`],
  );
}
