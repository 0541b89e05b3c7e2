// Test support: a simulated line decoded by the real codec and loaded into a warehouse file, the
// way the sync would store it, plus an archive written from it in the documented layout.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { DuckDBAppender } from "@duckdb/node-api";
import { createDecoder, type Decoded, type StoredPoint } from "../../ingest/contract/index.ts";
import { type SimulatedMessage, simulateLine } from "../../simulator/index.ts";
import {
  archiveOlderThan,
  insertSignal,
  RECORD_TABLES,
  type SignalRow,
  Warehouse,
} from "../warehouse/index.ts";
import type { SerialRecord } from "./types.ts";

type SimulatorOptions = Parameters<typeof simulateLine>[0];

/** Messages of a simulated run and the points the codec makes of them. */
export interface SimulatedRun {
  messages: SimulatedMessage[];
  points: StoredPoint[];
}

export function simulate(options: SimulatorOptions): SimulatedRun {
  const messages = [...simulateLine(options)];
  const start = messages[0]?.ts ?? Date.now();
  const decode = createDecoder({
    prefix: options?.prefix ?? "ems",
    now: () => start,
    maxPastMs: 365 * 86_400_000,
    maxFutureMs: 365 * 86_400_000,
  });
  const points: StoredPoint[] = [];
  for (const message of messages) {
    const decoded = decode(message.topic, Buffer.from(JSON.stringify(message.payload)));
    if (!decoded.ok)
      throw new Error(`${message.topic}: ${"detail" in decoded ? decoded.detail : "rejected"}`);
    points.push(...(decoded as Decoded).points);
  }
  return { messages, points };
}

const RECORDS = new Map(RECORD_TABLES.map((t) => [t.measurement, t]));

/** Appends points to the warehouse tables: a record measurement to its table, a signal to `signal`. */
export async function loadPoints(
  warehouse: Warehouse,
  points: readonly StoredPoint[],
): Promise<void> {
  const appenders = new Map<
    string,
    { appender: DuckDBAppender; columns: { name: string; type: string }[] }
  >();
  const signals: SignalRow[] = [];
  const open = async (table: string) => {
    let entry = appenders.get(table);
    if (!entry) {
      const columns = await warehouse.all<{ name: string; type: string }>(
        `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = $table AND table_schema = 'main' ORDER BY ordinal_position`,
        { table },
      );
      entry = { appender: await warehouse.connection.createAppender(table), columns };
      appenders.set(table, entry);
    }
    return entry;
  };
  for (const point of points) {
    const record = RECORDS.get(point.measurement);
    if (record) {
      const { appender, columns } = await open(record.table);
      for (const column of columns) {
        const value =
          column.name === "ts" ? point.ts : (point.tags[column.name] ?? point.fields[column.name]);
        append(appender, column.type, value);
      }
      appender.endRow();
      continue;
    }
    for (const [field, value] of Object.entries(point.fields)) {
      if (typeof value !== "number") continue;
      signals.push({
        measurement: point.measurement,
        site: point.tags.site ?? null,
        line: point.tags.line ?? null,
        station: point.tags.station ?? null,
        serial: point.tags.serial ?? null,
        field,
        value,
        ts: point.ts,
      });
    }
  }
  for (const { appender } of appenders.values()) {
    appender.flushSync();
    appender.closeSync();
  }
  await insertSignal(warehouse, signals);
}

function append(appender: DuckDBAppender, type: string, value: unknown): void {
  if (value === undefined || value === null) appender.appendNull();
  else if (type === "BIGINT") appender.appendBigInt(BigInt(value as number));
  else if (type === "DOUBLE") appender.appendDouble(value as number);
  else if (type === "BOOLEAN") appender.appendBoolean(value as boolean);
  else appender.appendVarchar(String(value));
}

/**
 * A warehouse file holding the points, closed again so that a reader may attach it. With `sync`,
 * its watermarks say the sync reached `to` for these measurements (as a sync that saw them in
 * InfluxDB records).
 */
export async function warehouseWith(
  path: string,
  points: readonly StoredPoint[],
  sync?: { to: number; measurements: readonly string[] },
): Promise<void> {
  const warehouse = await Warehouse.open(path);
  try {
    await loadPoints(warehouse, points);
    for (const m of sync?.measurements ?? [])
      await warehouse.run("INSERT OR REPLACE INTO sync_watermark VALUES ($m, $to, 0, $to)", {
        m,
        to: BigInt(sync?.to ?? 0),
      });
  } finally {
    warehouse.close();
  }
}

/** Archives the whole UTC days before `until` with the warehouse's own archive writer. */
export async function archiveFrom(
  warehousePath: string,
  dir: string,
  until: number,
): Promise<string[]> {
  const warehouse = await Warehouse.open(warehousePath);
  try {
    const result = await archiveOlderThan(warehouse, dir, { olderThanMs: 0, now: () => until });
    return result.partitions.map((p) => p.path);
  } finally {
    warehouse.close();
  }
}

/**
 * Holds the warehouse file open for writing in another process, as the jobs process does; the
 * reader's READ_ONLY attach then finds it locked.
 */
export async function holdWriter(path: string): Promise<{ release(): Promise<void> }> {
  const script = `import { DuckDBInstance } from "@duckdb/node-api";
const instance = await DuckDBInstance.create(${JSON.stringify(path)});
await instance.connect();
process.stdout.write("ready\\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`writer exited with ${code}`)));
    child.stdout.once("data", () => resolve());
  });
  return {
    release: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        child.once("exit", () => resolve());
        child.stdin.end();
      }),
  };
}

/**
 * InfluxDB answering the few InfluxQL shapes the tail asks (by serial tag, by site/line/station
 * window, a whole measurement, placements by lot or part) from points in memory, GROUP BY * shaped.
 * Any other query throws, so a changed query shows up here instead of passing by accident.
 */
export function fakeInflux(
  points: readonly StoredPoint[],
  options: { down?: boolean; retention?: string } = {},
) {
  const queries: { query: string; params: Record<string, unknown> }[] = [];
  const answer = (query: string, params: Record<string, unknown> = {}) => {
    queries.push({ query, params });
    if (options.down)
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8086"), { reason: "network" });
    if (query === "SHOW RETENTION POLICIES")
      return [
        {
          columns: ["name", "duration", "shardGroupDuration", "replicaN", "default"],
          values: [["autogen", options.retention ?? "0s", "168h0m0s", 1, true]],
        },
      ];
    if (
      query.startsWith('SELECT "serials", "serials_truncated", "serial_count" FROM "spc_violation"')
    ) {
      const found = points.filter(
        (p) => p.measurement === "spc_violation" && p.fields.id === params.id,
      );
      if (found.length === 0) return [];
      return [
        {
          name: "spc_violation",
          columns: ["time", "serials", "serials_truncated", "serial_count"],
          values: found.map((p) => [
            p.ts,
            p.fields.serials ?? null,
            p.fields.serials_truncated ?? null,
            p.fields.serial_count ?? null,
          ]),
        },
      ];
    }
    const match =
      /^SELECT (.+?) FROM (\/\.\*\/|(?:"[a-z0-9_]+"(?:, )?)+)( WHERE .*?)? GROUP BY \*$/.exec(
        query,
      );
    if (!match) throw new Error(`fake InfluxDB does not know this query: ${query}`);
    const from = match[2] as string;
    const names =
      from === "/.*/" ? undefined : [...from.matchAll(/"([a-z0-9_]+)"/g)].map((m) => m[1]);
    const where = match[3] ?? "";
    const time = (name: string) =>
      params[name] instanceof Date ? (params[name] as Date).getTime() : undefined;
    const serials = Object.entries(params)
      .filter(([k]) => /^s\d+$/.test(k))
      .map(([, v]) => v);
    const lines = Object.entries(params)
      .filter(([k]) => /^l\d+$/.test(k))
      .map(([, v]) => v);
    const kept = points.filter((p) => {
      if (names && !names.includes(p.measurement)) return false;
      if (serials.length > 0 && !serials.includes(p.tags.serial)) return false;
      if (where.includes(`"serial" = ''`) && p.tags.serial !== undefined) return false;
      if (params.site !== undefined && p.tags.site !== params.site) return false;
      if (lines.length > 0 && !lines.includes(p.tags.line)) return false;
      if (params.station !== undefined && p.tags.station !== params.station) return false;
      if (params.lot !== undefined && p.fields.lot !== params.lot) return false;
      if (params.part !== undefined && p.fields.part !== params.part) return false;
      if (params.supplier !== undefined && p.fields.supplier !== params.supplier) return false;
      const lo = time("from");
      const hi = time("to");
      return (lo === undefined || p.ts >= lo) && (hi === undefined || p.ts <= hi);
    });
    const tagKeys = new Map<string, Set<string>>();
    for (const p of points) {
      const keys = tagKeys.get(p.measurement) ?? new Set();
      for (const k of Object.keys(p.tags)) keys.add(k);
      tagKeys.set(p.measurement, keys);
    }
    const series = new Map<
      string,
      { name: string; tags: Record<string, string>; rows: StoredPoint[] }
    >();
    for (const p of kept) {
      const tags = Object.fromEntries(
        [...(tagKeys.get(p.measurement) ?? [])].sort().map((k) => [k, p.tags[k] ?? ""]),
      );
      const key = JSON.stringify([p.measurement, tags]);
      const s = series.get(key) ?? { name: p.measurement, tags, rows: [] };
      s.rows.push(p);
      series.set(key, s);
    }
    return [...series.values()].map((s) => {
      const fields = [...new Set(s.rows.flatMap((p) => Object.keys(p.fields)))].sort();
      return {
        name: s.name,
        tags: s.tags,
        columns: ["time", ...fields],
        values: s.rows
          .sort((a, b) => a.ts - b.ts)
          .map((p) => [p.ts, ...fields.map((f) => p.fields[f] ?? null)]),
      };
    });
  };
  return {
    queries,
    async query(query: string, params?: Record<string, unknown>) {
      const series = answer(query, params);
      return { series, statements: [series] };
    },
    async *queryChunks(query: string, params?: Record<string, unknown>) {
      yield { statementId: 0, series: answer(query, params), partial: false };
    },
  };
}

const ENV = ["env", "nitrogen"];
const HALL = "hall";

/**
 * What the simulator sent for one serial, counted from its decoded messages without the reader:
 * unit-scoped points by their serial tag, station signals by the serial's visits, the
 * environment of its line and hall during each visit.
 */
export function expectedFor(points: readonly StoredPoint[], serial: string) {
  const units = points.filter((p) => p.measurement === "unit" && p.tags.serial === serial);
  const visits: { site: string; line: string; station: string; start: number; complete: number }[] =
    [];
  for (const start of units.filter((p) => p.tags.event === "start")) {
    const complete = units.find(
      (p) =>
        p.tags.event === "complete" && p.tags.station === start.tags.station && p.ts >= start.ts,
    );
    if (complete)
      visits.push({
        site: start.tags.site as string,
        line: start.tags.line as string,
        station: start.tags.station as string,
        start: start.ts,
        complete: complete.ts,
      });
  }
  const byMeasurement = new Map<string, number>();
  const add = (m: string, n = 1) => byMeasurement.set(m, (byMeasurement.get(m) ?? 0) + n);
  for (const p of points) {
    if (p.tags.serial === serial && p.measurement !== "unit") {
      // A profiler sample belongs to the serial; it is in the record when inside a visit of its station.
      if (
        ["unit", "spi", "spi_pad", "test", "test_measurement", "test_defect", "placement"].includes(
          p.measurement,
        )
      )
        add(p.measurement);
    }
  }
  const signals = new Map<string, number>();
  const environment = new Map<string, number>();
  let events = 0;
  for (const v of visits) {
    for (const p of points) {
      if (p.ts < v.start || p.ts > v.complete || p.tags.site !== v.site) continue;
      if (p.measurement === "event" && p.tags.line === v.line && p.tags.station === v.station)
        events++;
      const record = [
        "unit",
        "spi",
        "spi_pad",
        "test",
        "test_measurement",
        "test_defect",
        "placement",
        "event",
        "pack",
      ].includes(p.measurement);
      if (record) continue;
      if (ENV.includes(p.measurement)) {
        if (p.tags.serial === undefined && (p.tags.line === v.line || p.tags.line === HALL))
          environment.set(p.measurement, (environment.get(p.measurement) ?? 0) + 1);
      } else if (
        p.tags.line === v.line &&
        p.tags.station === v.station &&
        (p.tags.serial === undefined || p.tags.serial === serial)
      ) {
        signals.set(p.measurement, (signals.get(p.measurement) ?? 0) + 1);
      }
    }
  }
  return { visits, byMeasurement, signals, environment, events };
}

export function counted(record: SerialRecord) {
  const signals = new Map<string, number>();
  const environment = new Map<string, number>();
  for (const v of record.visits) {
    for (const [m, list] of Object.entries(v.signals))
      signals.set(m, (signals.get(m) ?? 0) + list.length);
    for (const [m, list] of Object.entries(v.environment))
      environment.set(m, (environment.get(m) ?? 0) + list.length);
  }
  const byMeasurement = new Map<string, number>([
    ["spi", record.spi.length],
    ["spi_pad", record.spi.reduce((n, s) => n + s.pads.length, 0)],
    ["test", record.tests.length],
    ["test_measurement", record.tests.reduce((n, t) => n + t.measurements.length, 0)],
    ["test_defect", record.tests.reduce((n, t) => n + t.defects.length, 0)],
    ["placement", record.materials.length],
  ]);
  for (const [k, n] of [...byMeasurement]) if (n === 0) byMeasurement.delete(k);
  return {
    signals,
    environment,
    byMeasurement,
    events: record.visits.reduce((n, v) => n + v.events.length, 0),
  };
}
