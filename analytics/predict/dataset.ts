import { PredictError } from "./errors.ts";

/** A table of units column by column, as read from a file, the warehouse or memory. */
export interface UnitColumns {
  names: readonly string[];
  /** DuckDB type of each column ("DOUBLE", "VARCHAR", "TIMESTAMP"...); undefined: judged by the values. */
  types?: readonly (string | undefined)[];
  columns: readonly (readonly unknown[])[];
}

/** Which columns of a unit table play which part. */
export interface FeatureSpec {
  /** Outcome column: 1/0, 1/−1, true/false, fail/pass, ng/ok, yes/no (1 = failed); empty = not yet tested. */
  label: string;
  /** Unit identifier, carried through, never a feature. Default `serial` when there is such a column. */
  id?: string;
  /** Time of the unit, ordering the time-ordered split; never a feature. Default none. */
  time?: string;
  /** Columns left out (other outcomes, anything known only after the test). Default none. */
  exclude?: readonly string[];
  /** Numeric columns read as categories (station numbers, codes). Default none. */
  categorical?: readonly string[];
}

/** A measured value per unit; NaN where missing. */
export interface ContinuousFeature {
  kind: "continuous";
  name: string;
  values: Float64Array;
}

/** A category per unit (lot, supplier, station, product, shift); null where missing. */
export interface CategoricalFeature {
  kind: "categorical";
  name: string;
  values: (string | null)[];
}

export type Feature = ContinuousFeature | CategoricalFeature;

/** Unit columns that tag risk points (and are candidate features all the same). */
export const UNIT_ATTRIBUTES = ["site", "line", "product"] as const;
export type UnitAttribute = (typeof UNIT_ATTRIBUTES)[number];

/** Units with their outcome, candidate features and identity. */
export interface Dataset {
  label: string;
  idColumn: string | undefined;
  timeColumn: string | undefined;
  /** One identifier per unit (the id column, else the 1-based row number). */
  ids: string[];
  /** 1 failed, 0 passed, −1 not yet tested. */
  outcome: Int8Array;
  /** Epoch ms per unit (NaN where missing), when there is a time column. */
  times: Float64Array | undefined;
  features: Feature[];
  attributes: Partial<Record<UnitAttribute, (string | null)[]>>;
  /** What was left out or read specially, and why. */
  notes: string[];
}

const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const CATEGORY_TYPE = /^(BOOLEAN|VARCHAR|ENUM.*|UUID)$/;
const TIME_TYPE = /^(DATE|TIME.*|TIMESTAMP.*)$/;

type ColumnKind = "continuous" | "categorical" | "time" | "unsupported";

function kindOf(type: string | undefined, values: readonly unknown[]): ColumnKind {
  if (type !== undefined) {
    if (NUMERIC_TYPE.test(type)) return "continuous";
    if (CATEGORY_TYPE.test(type)) return "categorical";
    if (TIME_TYPE.test(type)) return "time";
    return "unsupported";
  }
  let kind: ColumnKind | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k: ColumnKind =
      typeof v === "number" || typeof v === "bigint"
        ? "continuous"
        : v instanceof Date
          ? "time"
          : typeof v === "string" || typeof v === "boolean"
            ? "categorical"
            : "unsupported";
    if (kind === undefined) kind = k;
    else if (kind !== k)
      return k === "unsupported" || kind === "unsupported" ? "unsupported" : "categorical";
  }
  return kind ?? "continuous";
}

/** A measured value as a number; NaN when missing or unreadable. */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? v : Number.NaN;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : Number.NaN;
  }
  return Number.NaN;
}

/** A category as text; null when missing. */
export function toCategory(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v.trim() === "" ? null : v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function toTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number" || typeof v === "bigint") return toNumber(v);
  if (typeof v === "string" && v.trim() !== "") return Date.parse(v);
  return Number.NaN;
}

const FAIL_WORDS = new Set(["1", "fail", "failed", "true", "ng", "yes"]);
const PASS_WORDS = new Set(["0", "-1", "pass", "passed", "false", "ok", "no"]);

/** 1 failed, 0 passed, −1 not yet tested; refuses anything it cannot read as a verdict. */
function readOutcome(name: string, values: readonly unknown[]): Int8Array {
  const outcome = new Int8Array(values.length);
  const numbers = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === "string" && v.trim() === "")) {
      outcome[i] = -1;
    } else if (typeof v === "boolean") {
      outcome[i] = v ? 1 : 0;
    } else if (typeof v === "number" || typeof v === "bigint") {
      const n = Number(v);
      numbers.add(n);
      outcome[i] = n === 1 ? 1 : 0;
    } else {
      const word = String(v).trim().toLowerCase();
      if (FAIL_WORDS.has(word)) outcome[i] = 1;
      else if (PASS_WORDS.has(word)) outcome[i] = 0;
      else {
        throw new PredictError(
          "bad-input",
          `outcome column ${name}, row ${i + 1}: '${String(v)}' is not a verdict (expected 1/0, 1/-1, true/false, fail/pass, ng/ok or yes/no; empty for not yet tested)`,
        );
      }
    }
  }
  // 1/0 and 1/−1 are both common (SECOM uses −1 for pass); a column holding 0 and −1 is neither.
  const known = [...numbers].every((n) => n === 1 || n === 0 || n === -1);
  if (!known || (numbers.has(0) && numbers.has(-1))) {
    throw new PredictError(
      "bad-input",
      `outcome column ${name} holds the numbers ${[...numbers].sort((a, b) => a - b).join(", ")}: expected 1 (failed) and 0 or -1 (passed)`,
    );
  }
  return outcome;
}

function describe(value: number | string): string {
  return typeof value === "number" ? String(Number(value.toPrecision(6))) : `'${value}'`;
}

/**
 * Why a feature cannot help, or undefined when it is a candidate: no value in any labelled unit,
 * one value only, every value distinct (an identifier), or a two-valued copy of the outcome (a leak).
 */
function unusable(feature: Feature, outcome: Int8Array): string | undefined {
  const byValue = new Map<number | string, number>(); // bit 1: seen failing, bit 2: seen passing
  let present = 0;
  let presentAll = 0;
  const distinctAll = new Set<number | string>();
  for (let i = 0; i < outcome.length; i++) {
    const v = feature.kind === "continuous" ? (feature.values[i] as number) : feature.values[i];
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) continue;
    presentAll++;
    if (feature.kind === "categorical") distinctAll.add(v);
    const o = outcome[i] as number;
    if (o < 0) continue;
    present++;
    byValue.set(v, (byValue.get(v) ?? 0) | (o === 1 ? 1 : 2));
  }
  if (present === 0) return "no value in any unit with an outcome";
  if (byValue.size === 1) {
    const [only] = byValue.keys();
    return `the same value (${describe(only as number | string)}) in every unit with an outcome`;
  }
  if (feature.kind === "categorical" && presentAll >= 10 && distinctAll.size === presentAll) {
    return "a different value in every unit (an identifier)";
  }
  if (byValue.size === 2) {
    const masks = [...byValue.values()];
    if ((masks[0] === 1 && masks[1] === 2) || (masks[0] === 2 && masks[1] === 1)) {
      return "a two-valued copy of the outcome (it would leak the answer)";
    }
  }
  return undefined;
}

function columnIndex(columns: UnitColumns, name: string, role: string): number {
  const index = columns.names.indexOf(name);
  if (index < 0) {
    throw new PredictError(
      "bad-input",
      `${role} column '${name}' not found (columns: ${columns.names.slice(0, 12).join(", ")}${columns.names.length > 12 ? ", ..." : ""})`,
    );
  }
  return index;
}

/**
 * Reads a unit table into outcome, identity, time and candidate features. Every column but the
 * outcome, id, time and excluded ones is a candidate: numbers are continuous, text and booleans
 * categorical; columns that cannot help are left out with a note.
 */
export function buildDataset(columns: UnitColumns, spec: FeatureSpec): Dataset {
  const rows = columns.columns[0]?.length ?? 0;
  for (const [i, c] of columns.columns.entries()) {
    if (c.length !== rows) {
      throw new PredictError(
        "bad-input",
        `column ${columns.names[i]} has ${c.length} rows, not ${rows}`,
      );
    }
  }
  const labelIndex = columnIndex(columns, spec.label, "outcome");
  const outcome = readOutcome(spec.label, columns.columns[labelIndex] as readonly unknown[]);
  const idColumn = spec.id ?? (columns.names.includes("serial") ? "serial" : undefined);
  const idIndex = idColumn === undefined ? -1 : columnIndex(columns, idColumn, "id");
  const timeIndex = spec.time === undefined ? -1 : columnIndex(columns, spec.time, "time");
  const notes: string[] = [];
  for (const name of [...(spec.exclude ?? []), ...(spec.categorical ?? [])]) {
    columnIndex(columns, name, spec.exclude?.includes(name) ? "excluded" : "categorical");
  }

  const ids: string[] = [];
  const idValues = idIndex >= 0 ? (columns.columns[idIndex] as readonly unknown[]) : undefined;
  for (let i = 0; i < rows; i++)
    ids.push(idValues ? (toCategory(idValues[i]) ?? `row ${i + 1}`) : String(i + 1));

  let times: Float64Array | undefined;
  if (timeIndex >= 0) {
    const raw = columns.columns[timeIndex] as readonly unknown[];
    times = new Float64Array(rows);
    let missing = 0;
    for (let i = 0; i < rows; i++) {
      const t = toTime(raw[i]);
      times[i] = t;
      if (Number.isNaN(t)) missing++;
    }
    if (missing === rows) {
      throw new PredictError("bad-input", `time column ${spec.time} has no readable time`);
    }
    if (missing > 0)
      notes.push(`${missing} units without a time in ${spec.time} sit out the time-ordered split`);
  }

  const attributes: Dataset["attributes"] = {};
  for (const name of UNIT_ATTRIBUTES) {
    const index = columns.names.indexOf(name);
    if (index >= 0)
      attributes[name] = (columns.columns[index] as readonly unknown[]).map(toCategory);
  }

  const features: Feature[] = [];
  for (let c = 0; c < columns.names.length; c++) {
    const name = columns.names[c] as string;
    if (c === labelIndex || c === idIndex || c === timeIndex) continue;
    if (spec.exclude?.includes(name)) {
      notes.push(`left out ${name}: excluded as asked`);
      continue;
    }
    const raw = columns.columns[c] as readonly unknown[];
    let kind = kindOf(columns.types?.[c], raw);
    if (spec.categorical?.includes(name) && kind === "continuous") kind = "categorical";
    if (kind === "time") {
      notes.push(
        `left out ${name}: a time, not a feature (give it as the time column for the time-ordered split)`,
      );
      continue;
    }
    if (kind === "unsupported") {
      notes.push(
        `left out ${name}: type ${columns.types?.[c] ?? "mixed"} is neither a number nor a category`,
      );
      continue;
    }
    const feature: Feature =
      kind === "continuous"
        ? { kind, name, values: Float64Array.from(raw, toNumber) }
        : { kind, name, values: raw.map(toCategory) };
    const why = unusable(feature, outcome);
    if (why) notes.push(`left out ${name}: ${why}`);
    else features.push(feature);
  }
  return {
    label: spec.label,
    idColumn,
    timeColumn: spec.time,
    ids,
    outcome,
    times,
    features,
    attributes,
    notes,
  };
}

/** Column-wise view of row objects (the keys of the first row, plus any later ones). */
export function columnsFromRows(rows: readonly Readonly<Record<string, unknown>>[]): UnitColumns {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        names.push(key);
      }
    }
  }
  return { names, columns: names.map((name) => rows.map((row) => row[name] ?? null)) };
}
