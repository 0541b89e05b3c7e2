import { assessBatch } from "./completeness.ts";
import { TraceError } from "./errors.ts";
import type { TraceSession } from "./session.ts";
import { resetStage, type StageMode, stageBatch } from "./stage.ts";
import type {
  Completeness,
  Container,
  Placement,
  Sample,
  SerialRecord,
  SpiInspection,
  SpiPad,
  StationEvent,
  TestDefect,
  TestMeasurement,
  TestRecord,
  Visit,
  VisitRecord,
} from "./types.ts";

const BATCH = "serial IN (SELECT serial FROM batch_serial)";

/** Stages and judges a batch of serials; the staged tables then hold their whole record. */
export async function stageRecords(
  session: TraceSession,
  serials: readonly string[],
  mode: StageMode = "record",
): Promise<Map<string, Completeness>> {
  const span = await stageBatch(session, serials, mode);
  return assessBatch(session, serials, span);
}

/**
 * The full record of one serial. A serial no source knows is `not-found`, unless InfluxDB did not
 * answer (then `source-unavailable`: it may be there).
 */
export async function serialRecord(session: TraceSession, serial: string): Promise<SerialRecord> {
  await resetStage(session);
  const assessed = await stageRecords(session, [serial]);
  const [record] = await assembleRecords(session, [serial], assessed);
  if (!record || !hasAnything(record)) throw await unknownSerial(session, serial);
  return record;
}

/**
 * Why a serial is not there: unknown (`not-found`) only when every place it could be answered;
 * `source-unavailable` when InfluxDB did not answer, or when a time range is only in the warehouse
 * and its writer holds it.
 */
export async function unknownSerial(session: TraceSession, serial: string): Promise<TraceError> {
  const hole = await session.tail.warehouseOnly();
  if (hole)
    return new TraceError(
      "source-unavailable",
      `serial ${JSON.stringify(serial)} is not in the archive or InfluxDB; data ${hole.from === undefined ? "before" : `from ${new Date(hole.from).toISOString()} to`} ${new Date(hole.to).toISOString()} is only in the warehouse, which its writer (the jobs process) holds`,
    );
  const tail = session.tailState;
  if (tail.kind === "unavailable")
    return new TraceError(
      "source-unavailable",
      `serial ${JSON.stringify(serial)} is not in the archive or warehouse, and InfluxDB did not answer: ${tail.reason}`,
    );
  return new TraceError(
    "not-found",
    `serial ${JSON.stringify(serial)} is unknown: no visit, inspection, test, placement or container names it`,
  );
}

export function hasAnything(record: SerialRecord): boolean {
  return (
    record.visits.length +
      record.spi.length +
      record.tests.length +
      record.materials.length +
      record.containers.length >
    0
  );
}

/** The records of staged serials, in the order given. */
export async function assembleRecords(
  session: TraceSession,
  serials: readonly string[],
  assessed: ReadonlyMap<string, Completeness>,
): Promise<SerialRecord[]> {
  const visits = byKey(
    await session.all<Visit & { serial: string }>(
      `SELECT serial, visit, site, line, station, product, panel, start, complete, result, status FROM x_visits WHERE ${BATCH} ORDER BY serial, visit`,
    ),
    (v) => v.serial,
  );
  // DuckDB pivots each reading into a JSON object and gathers a visit's readings per measurement:
  // one JSON.parse per (visit, measurement) instead of a JS object per value.
  const signals = byKey(
    await session.all<SampleGroup>(
      `WITH s AS (
         SELECT serial, visit, measurement, ts, sample_serial, json_group_object(field, value) AS v
         FROM x_signals WHERE ${BATCH} GROUP BY serial, visit, measurement, ts, sample_serial
       )
       SELECT serial, visit, measurement,
         CAST(to_json(list(json_object('ts', ts, 'serial', sample_serial, 'values', v) ORDER BY ts, sample_serial)) AS VARCHAR) AS samples
       FROM s GROUP BY serial, visit, measurement ORDER BY serial, visit, measurement`,
    ),
    (s) => `${s.serial}\u0000${s.visit}`,
  );
  const environment = byKey(
    await session.all<SampleGroup>(
      `WITH s AS (
         SELECT serial, visit, measurement, line, station, ts, json_group_object(field, value) AS v
         FROM x_environment WHERE ${BATCH} GROUP BY serial, visit, measurement, line, station, ts
       )
       SELECT serial, visit, measurement,
         CAST(to_json(list(json_object('ts', ts, 'line', line, 'station', station, 'values', v) ORDER BY ts, line, station)) AS VARCHAR) AS samples
       FROM s GROUP BY serial, visit, measurement ORDER BY serial, visit, measurement`,
    ),
    (s) => `${s.serial}\u0000${s.visit}`,
  );
  const events = byKey(
    await session.all<StationEvent & { serial: string; visit: number }>(
      `SELECT serial, visit, ts, site, line, station, kind, code, message FROM x_events WHERE ${BATCH} ORDER BY serial, visit, ts, kind, code`,
    ),
    (e) => `${e.serial}\u0000${e.visit}`,
  );
  const pads = byKey(
    await session.all<SpiPad & { serial: string; ts: number; station: string }>(
      `SELECT serial, ts, station, ref, volume_pct, height_um, area_pct, offset_x_um, offset_y_um FROM x_spi_pads WHERE ${BATCH} ORDER BY serial, ts, ref`,
    ),
    (p) => `${p.serial}\u0000${p.station}\u0000${p.ts}`,
  );
  const spi = byKey(
    await session.all<Omit<SpiInspection, "pads"> & { serial: string }>(
      `SELECT serial, ts, site, line, station, product, result, pad_count, volume_pct_mean, volume_pct_min, volume_pct_max FROM x_spi WHERE ${BATCH} ORDER BY serial, ts`,
    ),
    (s) => s.serial,
  );
  const measurements = byKey(
    await session.all<
      TestMeasurement & { serial: string; ts: number; station: string; kind: string }
    >(
      `SELECT serial, ts, station, kind, name, value, low, high, unit, pass FROM x_test_measurements WHERE ${BATCH} ORDER BY serial, ts, kind, name`,
    ),
    (m) => `${m.serial}\u0000${m.station}\u0000${m.kind}\u0000${m.ts}`,
  );
  const defects = byKey(
    await session.all<TestDefect & { serial: string; ts: number; station: string; kind: string }>(
      `SELECT serial, ts, station, kind, code, ref, count FROM x_test_defects WHERE ${BATCH} ORDER BY serial, ts, kind, code, ref`,
    ),
    (d) => `${d.serial}\u0000${d.station}\u0000${d.kind}\u0000${d.ts}`,
  );
  const tests = byKey(
    await session.all<TestRow>(
      `SELECT serial, ts, site, line, station, kind, result, program, defect_count, firmware_version, firmware_checksum, firmware_mac, firmware_license FROM x_tests WHERE ${BATCH} ORDER BY serial, ts, kind`,
    ),
    (t) => t.serial,
  );
  const materials = byKey(
    await session.all<Placement & { serial: string }>(
      `SELECT serial, ts, site, line, station, ref, part, lot, supplier, date_code, reel FROM x_materials WHERE ${BATCH} ORDER BY serial, ref, ts`,
    ),
    (m) => m.serial,
  );
  const containers = byKey(
    await session.all<Container & { serial: string }>(
      `SELECT DISTINCT serial, level, kind, container, holds, ts, site, line, station, destination FROM x_containers WHERE ${BATCH} ORDER BY serial, level, ts, container`,
    ),
    (c) => c.serial,
  );

  return serials.map((serial) => {
    const unitVisits: VisitRecord[] = (visits.get(serial) ?? []).map(({ serial: _, ...visit }) => {
      const key = `${serial}\u0000${visit.visit}`;
      return {
        ...visit,
        signals: samplesByMeasurement(signals.get(key) ?? []),
        environment: samplesByMeasurement(environment.get(key) ?? []),
        events: (events.get(key) ?? []).map(({ serial: _s, visit: _v, ...event }) => event),
      };
    });
    const product =
      unitVisits.find((v) => v.product)?.product ??
      spi.get(serial)?.find((s) => s.product)?.product ??
      null;
    return {
      serial,
      product,
      visits: unitVisits,
      spi: (spi.get(serial) ?? []).map(({ serial: _, ...board }) => ({
        ...board,
        pads: (pads.get(`${serial}\u0000${board.station}\u0000${board.ts}`) ?? []).map(
          ({ serial: _s, ts: _t, station: _st, ...pad }) => pad,
        ),
      })),
      tests: (tests.get(serial) ?? []).map((t) => testRecord(t, measurements, defects)),
      materials: (materials.get(serial) ?? []).map(({ serial: _, ...placement }) => placement),
      containers: (containers.get(serial) ?? []).map(({ serial: _, ...container }) => container),
      completeness: assessed.get(serial) ?? {
        processLevel: 0,
        materialLevel: 0,
        levels: {
          P1: false,
          P2: false,
          P3: false,
          P4: false,
          M1: false,
          M2: false,
          M3: false,
          M4: false,
        },
        gaps: [],
      },
    };
  });
}

interface SampleGroup {
  serial: string;
  visit: number;
  measurement: string;
  /** JSON array of {ts, serial?, line?, station?, values}. */
  samples: string;
}

interface TestRow {
  serial: string;
  ts: number;
  site: string;
  line: string;
  station: string;
  kind: string;
  result: string | null;
  program: string | null;
  defect_count: number | null;
  firmware_version: string | null;
  firmware_checksum: string | null;
  firmware_mac: string | null;
  firmware_license: string | null;
}

function testRecord(
  t: TestRow,
  measurements: Map<
    string,
    (TestMeasurement & { serial: string; ts: number; station: string; kind: string })[]
  >,
  defects: Map<
    string,
    (TestDefect & { serial: string; ts: number; station: string; kind: string })[]
  >,
): TestRecord {
  const key = `${t.serial}\u0000${t.station}\u0000${t.kind}\u0000${t.ts}`;
  const hasFirmware = [
    t.firmware_version,
    t.firmware_checksum,
    t.firmware_mac,
    t.firmware_license,
  ].some((f) => f !== null);
  return {
    ts: t.ts,
    site: t.site,
    line: t.line,
    station: t.station,
    kind: t.kind,
    result: t.result,
    program: t.program,
    defect_count: t.defect_count,
    firmware: hasFirmware
      ? {
          version: t.firmware_version,
          checksum: t.firmware_checksum,
          mac: t.firmware_mac,
          license: t.firmware_license,
        }
      : null,
    measurements: (measurements.get(key) ?? []).map(
      ({ serial: _, ts: _t, station: _s, kind: _k, ...m }) => m,
    ),
    defects: (defects.get(key) ?? []).map(
      ({ serial: _, ts: _t, station: _s, kind: _k, ...d }) => d,
    ),
  };
}

function samplesByMeasurement(groups: readonly SampleGroup[]): Record<string, Sample[]> {
  const out: Record<string, Sample[]> = {};
  for (const group of groups) {
    const parsed = JSON.parse(group.samples) as {
      ts: number;
      serial?: string | null;
      line?: string | null;
      station?: string | null;
      values: Record<string, number>;
    }[];
    out[group.measurement] = parsed.map((p) => {
      const sample: Sample = { ts: p.ts, values: p.values };
      if (p.line != null) sample.line = p.line;
      if (p.station != null) sample.station = p.station;
      if (p.serial != null) sample.serial = p.serial;
      return sample;
    });
  }
  return out;
}

function byKey<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}

/** ISO-8601 UTC with milliseconds. */
export function isoTime(ts: number): string {
  return new Date(ts).toISOString();
}

/** The record as exported JSON: times as ISO-8601 with milliseconds, each sample `{ts, <field>: value}`. */
export function recordJson(record: SerialRecord): unknown {
  const time = (ts: number | null) => (ts === null ? null : isoTime(ts));
  const samples = (by: Record<string, Sample[]>) =>
    Object.fromEntries(
      Object.entries(by).map(([measurement, list]) => [
        measurement,
        list.map((s) => ({
          ts: isoTime(s.ts),
          ...(s.line === undefined ? {} : { line: s.line }),
          ...(s.station === undefined ? {} : { station: s.station }),
          ...(s.serial === undefined ? {} : { serial: s.serial }),
          ...s.values,
        })),
      ]),
    );
  return {
    serial: record.serial,
    product: record.product,
    visits: record.visits.map((v) => ({
      visit: v.visit,
      site: v.site,
      line: v.line,
      station: v.station,
      product: v.product,
      panel: v.panel,
      start: time(v.start),
      complete: time(v.complete),
      result: v.result,
      status: v.status,
      signals: samples(v.signals),
      environment: samples(v.environment),
      events: v.events.map((e) => ({ ...e, ts: isoTime(e.ts) })),
    })),
    spi: record.spi.map((s) => ({ ...s, ts: isoTime(s.ts) })),
    tests: record.tests.map((t) => ({ ...t, ts: isoTime(t.ts) })),
    materials: record.materials.map((m) => ({ ...m, ts: isoTime(m.ts) })),
    containers: record.containers.map((c) => ({ ...c, ts: isoTime(c.ts) })),
    completeness: {
      ...record.completeness,
      gaps: record.completeness.gaps.map((g) => ({ ...g, from: time(g.from), to: time(g.to) })),
    },
  };
}
