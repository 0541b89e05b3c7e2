/**
 * The warehouse's tables. Record measurements of InfluxDB (one per reserved channel) map to one
 * table each, column for column; every signal channel lands in the one long view `signal`
 * (measurement, field, value; stored as series and values, see `signal-store.ts`), so a new
 * channel needs no migration. Times are epoch milliseconds (`ts BIGINT`): exact, cheap to bind,
 * the same unit as the MQTT contract.
 */

import { SIGNAL_DDL } from "./signal-store.ts";

export type ColumnType = "VARCHAR" | "DOUBLE" | "BIGINT" | "BOOLEAN";

/** An InfluxDB record measurement and the warehouse table that mirrors it. */
export interface RecordTable {
  /** InfluxDB measurement, as written by the ingest codec (docs/influx-schema.md). */
  measurement: string;
  table: string;
  /** Tag columns (all VARCHAR), `site`, `line`, `station` first. */
  tags: string[];
  fields: Record<string, ColumnType>;
}

const ORIGIN = ["site", "line", "station"];

export const RECORD_TABLES: readonly RecordTable[] = [
  {
    measurement: "unit",
    table: "unit_event",
    tags: [...ORIGIN, "serial", "event", "product"],
    fields: { result: "VARCHAR", panel: "VARCHAR", seen: "BOOLEAN" },
  },
  {
    measurement: "spi",
    table: "spi_board",
    tags: [...ORIGIN, "serial", "product"],
    fields: {
      result: "VARCHAR",
      pad_count: "BIGINT",
      volume_pct_mean: "DOUBLE",
      volume_pct_min: "DOUBLE",
      volume_pct_max: "DOUBLE",
    },
  },
  {
    measurement: "spi_pad",
    table: "spi_pad",
    tags: [...ORIGIN, "serial", "ref"],
    fields: {
      volume_pct: "DOUBLE",
      height_um: "DOUBLE",
      area_pct: "DOUBLE",
      offset_x_um: "DOUBLE",
      offset_y_um: "DOUBLE",
    },
  },
  {
    measurement: "test",
    table: "test_result",
    tags: [...ORIGIN, "serial", "kind"],
    fields: {
      result: "VARCHAR",
      program: "VARCHAR",
      defect_count: "BIGINT",
      firmware_version: "VARCHAR",
      firmware_checksum: "VARCHAR",
      firmware_mac: "VARCHAR",
      firmware_license: "VARCHAR",
    },
  },
  {
    measurement: "test_measurement",
    table: "test_measurement",
    tags: [...ORIGIN, "serial", "kind", "name"],
    fields: { value: "DOUBLE", low: "DOUBLE", high: "DOUBLE", unit: "VARCHAR", pass: "BOOLEAN" },
  },
  {
    measurement: "test_defect",
    table: "test_defect",
    tags: [...ORIGIN, "serial", "kind", "code", "ref"],
    fields: { count: "BIGINT" },
  },
  {
    measurement: "placement",
    table: "placement",
    tags: [...ORIGIN, "serial", "ref"],
    fields: {
      part: "VARCHAR",
      lot: "VARCHAR",
      supplier: "VARCHAR",
      date_code: "VARCHAR",
      reel: "VARCHAR",
    },
  },
  {
    measurement: "event",
    table: "station_event",
    // `code` is a tag in InfluxDB (two codes of one kind in one ms must not overwrite each other).
    tags: [...ORIGIN, "kind", "code"],
    fields: { message: "VARCHAR", seen: "BOOLEAN" },
  },
  {
    measurement: "pack",
    table: "pack",
    tags: [...ORIGIN, "kind", "container"],
    fields: {
      serials: "VARCHAR",
      containers: "VARCHAR",
      destination: "VARCHAR",
      count: "BIGINT",
    },
  },
  {
    measurement: "alert",
    table: "alert",
    tags: [...ORIGIN, "rule", "state", "source"],
    fields: {
      id: "VARCHAR",
      characteristic: "VARCHAR",
      value: "DOUBLE",
      limit: "DOUBLE",
      serial_count: "BIGINT",
      serials: "VARCHAR",
    },
  },
];

/** Measurements tracebox writes itself as results (SPC, yield, risk): never synced back as signals. */
export const RESULT_MEASUREMENTS = new Set([
  "spc_point",
  "spc_violation",
  "spc_capability",
  "yield",
  "defect_pareto",
  "risk",
  "defect_driver",
  "tracebox_job",
  "tracebox_ingest",
  "tracebox_ingest_rejected",
]);

/** Prefixes of measurement families tracebox writes as results (as `ingest/contract/topic.ts` reserves them). */
export const RESULT_MEASUREMENT_PREFIXES: readonly string[] = ["spc_", "tracebox_"];

/** Whether `measurement` holds tracebox's own results, which the sync leaves alone. */
export function isResultMeasurement(measurement: string): boolean {
  return (
    RESULT_MEASUREMENTS.has(measurement) ||
    RESULT_MEASUREMENT_PREFIXES.some((prefix) => measurement.startsWith(prefix))
  );
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function recordDdl(t: RecordTable): string {
  const columns = [
    ...t.tags.map((tag) => `${quote(tag)} VARCHAR`),
    ...Object.entries(t.fields).map(([f, type]) => `${quote(f)} ${type}`),
    "ts BIGINT NOT NULL",
  ];
  // The InfluxDB series key plus time: what makes a point unique there makes a row unique here.
  return `CREATE TABLE IF NOT EXISTS ${quote(t.table)} (${columns.join(", ")})`;
}

// Columns added after a table was first created: a warehouse file from before gets them too.
function addedColumnsDdl(t: RecordTable): string[] {
  return Object.entries(t.fields).map(
    ([f, type]) => `ALTER TABLE ${quote(t.table)} ADD COLUMN IF NOT EXISTS ${quote(f)} ${type}`,
  );
}

/**
 * Visits: each `start` of a serial at a station paired with the next event of that serial at that
 * station when it is a `complete` (status `complete`); a start followed by another start or by
 * nothing is `open` (`complete` NULL); a complete not preceded by a start is `no_start` (`start`
 * NULL). A start and a complete in the same millisecond pair up (start sorts first).
 */
export const UNIT_VISIT_VIEW = `CREATE OR REPLACE VIEW unit_visit AS
WITH edge AS (
  SELECT serial, site, line, station, event, product, result, panel, ts,
    lead(event) OVER w AS next_event, lead(ts) OVER w AS next_ts,
    lead(result) OVER w AS next_result, lead(product) OVER w AS next_product,
    lead(panel) OVER w AS next_panel, lag(event) OVER w AS previous_event
  FROM unit_event
  WHERE event IN ('start', 'complete') AND serial IS NOT NULL
  WINDOW w AS (PARTITION BY serial, site, line, station ORDER BY ts, event DESC)
)
SELECT serial, site, line, station, ts AS start,
  CASE WHEN next_event = 'complete' THEN next_ts END AS complete,
  CASE WHEN next_event = 'complete' THEN next_result END AS result,
  coalesce(product, CASE WHEN next_event = 'complete' THEN next_product END) AS product,
  coalesce(panel, CASE WHEN next_event = 'complete' THEN next_panel END) AS panel,
  CASE WHEN next_event = 'complete' THEN 'complete' ELSE 'open' END AS status
FROM edge WHERE event = 'start'
UNION ALL
SELECT serial, site, line, station, NULL AS start, ts AS complete, result, product, panel,
  'no_start' AS status
FROM edge WHERE event = 'complete' AND (previous_event IS NULL OR previous_event <> 'start')`;

/** Every statement that creates the warehouse schema; idempotent. */
export const SCHEMA_DDL: readonly string[] = [
  ...RECORD_TABLES.map(recordDdl),
  ...RECORD_TABLES.flatMap(addedColumnsDdl),
  ...SIGNAL_DDL,
  `CREATE TABLE IF NOT EXISTS sync_watermark (measurement VARCHAR PRIMARY KEY, synced_to BIGINT NOT NULL, rows_total BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS archive_partition (measurement VARCHAR NOT NULL, day DATE NOT NULL, path VARCHAR NOT NULL, rows BIGINT NOT NULL, sha256 VARCHAR NOT NULL, written_at BIGINT NOT NULL, PRIMARY KEY (measurement, day))`,
  `CREATE SEQUENCE IF NOT EXISTS job_run_id`,
  `CREATE TABLE IF NOT EXISTS job_run (id BIGINT PRIMARY KEY DEFAULT nextval('job_run_id'), job VARCHAR NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT, rows_in BIGINT, rows_out BIGINT, status VARCHAR NOT NULL, error VARCHAR)`,
  UNIT_VISIT_VIEW,
];
