// What the storage writes, gathered from where each part documents or serializes it, so that a
// test can hold every dashboard query to it: the contract's measurements from
// docs/influx-schema.md, the simulated stations' signal fields from simulator/README.md, and the
// measurements tracebox computes from their own line-protocol serializers.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** The tags and fields of one measurement, and where they were read. */
export interface MeasurementSchema {
  tags: Set<string>;
  fields: Set<string>;
  sources: Set<string>;
}

/** Every measurement the storage writes. */
export type StorageSchema = Map<string, MeasurementSchema>;

const COMMON_TAGS = ["site", "line", "station"];

function entry(schema: StorageSchema, measurement: string, source: string): MeasurementSchema {
  let m = schema.get(measurement);
  if (!m) {
    m = { tags: new Set(), fields: new Set(), sources: new Set() };
    schema.set(measurement, m);
  }
  m.sources.add(source);
  return m;
}

/**
 * The backticked names of a markdown cell (`S` stands for the common tags). What follows a name
 * in parentheses describes it (its type, its values) and names nothing.
 */
function names(cell: string): string[] {
  const described = cell.replace(/\([^)]*\)/g, "");
  const out = [...described.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1] as string);
  if (/(^|[\s,])S([\s,]|$)/.test(described)) out.push(...COMMON_TAGS);
  return out;
}

/** The cells of a table row; `\|` is a pipe inside a cell. */
function cells(row: string): string[] {
  return row
    .replace(/^\s*\|/, "")
    .replace(/\|\s*$/, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/**
 * The record measurements of docs/influx-schema.md: each `### \`name\`` section's table, with a
 * tags and a fields column, and a measurement column when one section writes several.
 */
export function parseInfluxSchemaDoc(markdown: string, source: string): StorageSchema {
  const schema: StorageSchema = new Map();
  const sections = markdown.split(/^### /m).slice(1);
  for (const section of sections) {
    const heading = section.slice(0, section.indexOf("\n"));
    const named = /^`([a-z_][a-z0-9_]*)`/.exec(heading)?.[1];
    const lines = section.split("\n").filter((l) => l.trim().startsWith("|"));
    const header = lines[0] ? cells(lines[0]).map((h) => h.toLowerCase()) : [];
    const tagsAt = header.indexOf("tags");
    const fieldsAt = header.indexOf("fields");
    const measurementAt = header.indexOf("measurement");
    if (tagsAt < 0 || fieldsAt < 0) continue;
    for (const row of lines.slice(2)) {
      const c = cells(row);
      const measurement = measurementAt >= 0 ? names(c[measurementAt] ?? "")[0] : named;
      if (measurement === undefined) continue;
      const m = entry(schema, measurement, source);
      for (const tag of names(c[tagsAt] ?? "")) m.tags.add(tag);
      for (const field of names(c[fieldsAt] ?? "")) m.fields.add(field);
    }
  }
  return schema;
}

/** `z1_top_c`…`z8_bot_c`: the numbered names between two ends, with either end's suffix. */
function expandRange(first: string, last: string): string[] {
  const a = /^(\D*)(\d+)(.*)$/.exec(first);
  const b = /^(\D*)(\d+)(.*)$/.exec(last);
  if (!a || !b || a[1] !== b[1]) return [first, last];
  const out: string[] = [];
  for (let n = Number(a[2]); n <= Number(b[2]); n++) {
    for (const suffix of new Set([a[3], b[3]])) out.push(`${a[1]}${n}${suffix}`);
  }
  return out;
}

/**
 * The signal channels the simulated stations publish, from simulator/README.md's table of what a
 * line publishes: the topic's last segment is the channel (= measurement), the backticked names
 * of the payload are its fields. Tags are the common ones, plus `serial` on the profiler's channel
 * (a sample that carries a serial, docs/influx-schema.md).
 */
export function parseSimulatorSignals(markdown: string, source: string): StorageSchema {
  const schema: StorageSchema = new Map();
  const start = markdown.indexOf("## What a line publishes");
  const table = markdown
    .slice(start)
    .split("\n")
    .filter((l) => l.trim().startsWith("|"));
  for (const row of table.slice(2)) {
    const [topic = "", payload = ""] = cells(row);
    const channel = /\/([a-z][a-z0-9_]*)`/.exec(topic)?.[1];
    if (channel === undefined || RECORD_CHANNELS.has(channel)) continue;
    const fields: string[] = [];
    const expanded = payload.replace(
      /`([A-Za-z_]\w*)`\s*…\s*`([A-Za-z_]\w*)`/g,
      (_m, a: string, b: string) =>
        expandRange(a, b)
          .map((f) => `\`${f}\``)
          .join(" "),
    );
    // Field keys of the stations are snake_case; camelCase names in the table are options.
    fields.push(
      ...names(expanded).filter(
        (f) => /^[a-z][a-z0-9_]*$/.test(f) && !COMMON_TAGS.includes(f) && f !== "serial",
      ),
    );
    if (fields.length === 0) continue;
    const m = entry(schema, channel, source);
    for (const tag of COMMON_TAGS) m.tags.add(tag);
    if (/`serial`/.test(payload)) m.tags.add("serial");
    for (const f of fields) m.fields.add(f);
  }
  return schema;
}

/** Channels that are records of the contract, not signals. */
const RECORD_CHANNELS = new Set(["unit", "spi", "test", "material", "event", "pack"]);

function unescapeKey(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

/** Splits at `separator` outside quotes and not escaped by a backslash. */
function splitLine(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** Measurement, tag keys and field keys of one line of line protocol. */
export function parseLineProtocol(line: string): {
  measurement: string;
  tags: string[];
  fields: string[];
} {
  const [series = "", fieldSet = ""] = splitLine(line, " ");
  const [measurement = "", ...tagPairs] = splitLine(series, ",");
  const key = (pair: string) => unescapeKey(splitLine(pair, "=")[0] ?? "");
  return {
    measurement: unescapeKey(measurement),
    tags: tagPairs.map(key),
    fields: splitLine(fieldSet, ",").map(key),
  };
}

/** Adds what some serialized lines write to a schema. */
export function addLines(
  schema: StorageSchema,
  lines: readonly string[],
  source: string,
): StorageSchema {
  for (const line of lines) {
    const parsed = parseLineProtocol(line);
    const m = entry(schema, parsed.measurement, source);
    for (const tag of parsed.tags) m.tags.add(tag);
    for (const field of parsed.fields) m.fields.add(field);
  }
  return schema;
}

/** Merges schemas, keeping every tag, field and source. */
export function mergeSchemas(...schemas: StorageSchema[]): StorageSchema {
  const out: StorageSchema = new Map();
  for (const schema of schemas) {
    for (const [name, m] of schema) {
      const into = entry(out, name, [...m.sources][0] ?? "");
      for (const s of m.sources) into.sources.add(s);
      for (const t of m.tags) into.tags.add(t);
      for (const f of m.fields) into.fields.add(f);
    }
  }
  return out;
}

/** The documented part of the schema: docs/influx-schema.md and simulator/README.md. */
export function documentedSchema(root: string): StorageSchema {
  const doc = "docs/influx-schema.md";
  const sim = "simulator/README.md";
  return mergeSchemas(
    parseInfluxSchemaDoc(readFileSync(resolve(root, doc), "utf8"), doc),
    parseSimulatorSignals(readFileSync(resolve(root, sim), "utf8"), sim),
  );
}
