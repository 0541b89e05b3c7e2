/**
 * The warehouse's tables. Record measurements of InfluxDB (one per reserved channel) map to one
 * table each, column for column; every signal channel lands in the one long table `signal`
 * (measurement, field, value), so a new channel needs no migration. Times are epoch milliseconds
 * (`ts BIGINT`): exact, cheap to bind, the same unit as the MQTT contract.
 */

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
    fields: { value: "DOUBLE", low: "DOUBLE", high: "DOUBLE", unit: "VARCHAR" },
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
    tags: [...ORIGIN, "kind"],
    fields: { code: "VARCHAR", message: "VARCHAR" },
  },
  {
    measurement: "pack",
    table: "pack",
    tags: [...ORIGIN, "kind", "container"],
    fields: { serials: "VARCHAR", containers: "VARCHAR", destination: "VARCHAR" },
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
  "tracebox_job",
]);

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

/** Every statement that creates the warehouse schema; idempotent. */
export const SCHEMA_DDL: readonly string[] = [
  ...RECORD_TABLES.map(recordDdl),
  `CREATE TABLE IF NOT EXISTS signal (measurement VARCHAR NOT NULL, site VARCHAR, line VARCHAR, station VARCHAR, serial VARCHAR, field VARCHAR NOT NULL, value DOUBLE, ts BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sync_watermark (measurement VARCHAR PRIMARY KEY, synced_to BIGINT NOT NULL, rows_total BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS archive_partition (measurement VARCHAR NOT NULL, day DATE NOT NULL, path VARCHAR NOT NULL, rows BIGINT NOT NULL, sha256 VARCHAR NOT NULL, written_at BIGINT NOT NULL, PRIMARY KEY (measurement, day))`,
  `CREATE SEQUENCE IF NOT EXISTS job_run_id`,
  `CREATE TABLE IF NOT EXISTS job_run (id BIGINT PRIMARY KEY DEFAULT nextval('job_run_id'), job VARCHAR NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT, rows_in BIGINT, rows_out BIGINT, status VARCHAR NOT NULL, error VARCHAR)`,
];
