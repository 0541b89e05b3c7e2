// Test helpers: an in-memory warehouse with hand-made rows, a recording InfluxDB, a fixed clock.
import { pino } from "pino";
import type { Alert } from "../../alerts/index.ts";
import {
  type SignalRow,
  type SqlValue,
  insertSignal as storeSignal,
  type Warehouse,
} from "../warehouse/index.ts";
import { type Characteristic, parseSpcSection } from "./config.ts";
import type { SpcJobContext } from "./job.ts";

export const T0 = 1_700_000_000_000;

/** Inserts rows into a table in one statement, every value bound. */
export async function insertRows(
  warehouse: Warehouse,
  table: string,
  rows: readonly Record<string, SqlValue>[],
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  // `signal` is a view over series and values: its rows go through the warehouse's writer.
  if (table === "signal") {
    await storeSignal(warehouse, rows.map(signalRow));
    return;
  }
  const columns = Object.keys(first);
  const params: SqlValue[] = [];
  const tuples = rows.map((row) => {
    const marks = columns.map((column) => {
      params.push(row[column] ?? null);
      return `$${params.length}`;
    });
    return `(${marks.join(", ")})`;
  });
  await warehouse.run(
    `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")}`,
    params,
  );
}

function signalRow(row: Record<string, SqlValue>): SignalRow {
  const text = (key: string) =>
    row[key] === null || row[key] === undefined ? null : String(row[key]);
  return {
    measurement: String(row.measurement),
    site: text("site"),
    line: text("line"),
    station: text("station"),
    serial: text("serial"),
    field: String(row.field),
    value: row.value === null || row.value === undefined ? null : Number(row.value),
    ts: Number(row.ts),
  };
}

/** Signal readings of one field at one station, one a second from `start`. */
export async function insertSignal(
  warehouse: Warehouse,
  values: readonly number[],
  at: { start: number; everyMs?: number; field?: string; station?: string; measurement?: string },
): Promise<void> {
  const every = at.everyMs ?? 1000;
  await insertRows(
    warehouse,
    "signal",
    values.map((value, i) => ({
      measurement: at.measurement ?? "reflow",
      site: "S1",
      line: "L1",
      station: at.station ?? "reflow",
      serial: null,
      field: at.field ?? "peak_c",
      value,
      ts: at.start + i * every,
    })),
  );
}

/** One visit per serial: `start` and `complete` events at a station. */
export async function insertVisits(
  warehouse: Warehouse,
  visits: readonly { serial: string; start: number; complete: number; station?: string }[],
): Promise<void> {
  await insertRows(
    warehouse,
    "unit_event",
    visits.flatMap((v) => [
      {
        site: "S1",
        line: "L1",
        station: v.station ?? "reflow",
        serial: v.serial,
        event: "start",
        ts: v.start,
      },
      {
        site: "S1",
        line: "L1",
        station: v.station ?? "reflow",
        serial: v.serial,
        event: "complete",
        ts: v.complete,
      },
    ]),
  );
}

/** Subgroups of five whose mean is `100 + shift` and range 4, exact in binary floating point. */
export function subgroupsOf(count: number, shift = 0): number[] {
  const pattern = [98, 101, 100, 102, 99];
  const values: number[] = [];
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < 5; i++) values.push((pattern[(i + k) % 5] as number) + shift);
  }
  return values;
}

/** One characteristic from its YAML shape, through the real validation. */
export function characteristic(raw: Record<string, unknown>): Characteristic {
  const [parsed] = parseSpcSection({ characteristics: [raw] }).characteristics;
  if (parsed === undefined) throw new Error("no characteristic parsed");
  return parsed;
}

/** A context whose InfluxDB and alert sinks record what they are given. */
export function recordingContext(
  warehouse: Warehouse,
  characteristics: readonly Characteristic[],
  now: () => number,
): SpcJobContext & { lines: string[]; alerts: Alert[] } {
  const lines: string[] = [];
  const alerts: Alert[] = [];
  return {
    warehouse,
    influx: {
      write: async (batch) => {
        lines.push(...batch);
      },
    },
    characteristics,
    send: (alert) => alerts.push(alert),
    now,
    log: pino({ level: "silent" }),
    options: { settleMs: 0 },
    lines,
    alerts,
  };
}

/** Fields of a line-protocol line, numbers parsed (`5i` as 5), strings unquoted. */
export function fieldsOf(lineText: string): Record<string, number | string | boolean> {
  const [, fieldText = ""] = lineText.match(/^\S+ (.*) \d+$/) ?? [];
  const fields: Record<string, number | string | boolean> = {};
  for (const [, name = "", raw = ""] of fieldText.matchAll(
    /([a-z_]+)=("(?:[^"\\]|\\.)*"|[^,]+)/g,
  )) {
    fields[name] = raw.startsWith('"')
      ? JSON.parse(raw)
      : raw === "T" || raw === "F"
        ? raw === "T"
        : Number(raw.replace(/i$/, ""));
  }
  return fields;
}

/** Tags of a line-protocol line. */
export function tagsOf(lineText: string): Record<string, string> {
  const [key = ""] = lineText.split(" ");
  return Object.fromEntries(
    key
      .split(",")
      .slice(1)
      .map((pair) => pair.split("=") as [string, string]),
  );
}
