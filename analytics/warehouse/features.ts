import { listValue } from "@duckdb/node-api";
import { NO_REF } from "../../ingest/contract/index.ts";
import { badOption } from "./errors.ts";
import { quoteIdentifier, type SqlValue, type Warehouse } from "./warehouse.ts";

/** What the per-unit feature table is made of; one doc line per field (unit, default). */
export interface FeatureOptions {
  /** Solder liquidus for the time above liquidus, °C; default 217 (SAC305). */
  liquidusC: number;
  /** Lower edge of the soak band, °C; default 150. */
  soakLowC: number;
  /** Upper edge of the soak band, °C; default 200. */
  soakHighC: number;
  /** The ramp rate is the rise over at least this long (the last sample at least this far back), s; default 10. */
  rampWindowS: number;
  /** Signal measurement of the profiler samples (rows with `serial`); default "profile". */
  profileMeasurement: string;
  /** RE2 pattern a profiler field must match to count as a thermocouple; default "_c$". */
  thermocouplePattern: string;
  /** Signal measurement of the oven: its stations are the reflow stations; default "reflow". */
  reflowMeasurement: string;
  /** Reflow stations by name, when the oven's own signals are not in the warehouse; default undefined (found from `reflowMeasurement`). */
  reflowStations: readonly string[] | undefined;
  /** RE2 pattern of the oven's zone fields (in `reflowMeasurement`), group 1 the zone number; default "^z(\\d+)_(?:top|bot)_c$". */
  zonePattern: string;
  /** Residual oxygen field at the reflow station (any measurement there), ppm; default "o2_ppm". */
  o2Field: string;
  /** Signal measurement of the shielding gas supply, any station of the oven's site and line; default "nitrogen". */
  nitrogenMeasurement: string;
  /** Pressure field of the shielding gas, bar; default "pressure_bar". */
  nitrogenField: string;
  /** Signal measurements of environment sensors; default ["env"]. */
  environmentMeasurements: readonly string[];
  /** Relative humidity field, %RH; default "humidity_rh". */
  humidityField: string;
  /** Air temperature field, °C; default "temperature_c". */
  temperatureField: string;
  /** Line name of site-level sensors, which apply to every line of their site; default "hall". */
  hallLine: string;
  /** Stations whose visits span the environment window (first start to last complete); default undefined: all of the unit's visits on its line. */
  environmentStations: readonly string[] | undefined;
  /** Lower edge of the SPI volume window, % of nominal; default 70. */
  spiVolumeLowPct: number;
  /** Upper edge of the SPI volume window, % of nominal; default 130. */
  spiVolumeHighPct: number;
  /** Pad ref → pad group, checked first; default {} (every ref maps by `padGroupPattern`). */
  padGroups: Readonly<Record<string, string>>;
  /** RE2 pattern whose group 1 is the pad group of a ref (`U1.3` → `U1`); default "^([^.]+)". */
  padGroupPattern: string;
  /** One pair of columns per pad group in `unit_features` (`spi_<group>_volume_mean_pct`, `spi_<group>_outside_share`); default true. */
  padGroupColumns: boolean;
  /** Bucket width of the time-window joins, ms (larger: fewer bucket rows, more candidate pairs); default 60000. */
  joinBucketMs: number;
  /** RE2 pattern whose group 1 is the reference designator of an SPI pad ref (`U1.3` → `U1`), for `unit_designator`; default "^([^.]+)". */
  designatorPattern: string;
  /** Two columns per placed reference designator in `unit_features` (`lot_<ref>`, `supplier_<ref>`); default true. */
  placementColumns: boolean;
  /** Most reference designators given placement columns; beyond it those with the fewest distinct lots are left out (with a note); default 500. */
  maxPlacementDesignators: number;
}

export const DEFAULT_FEATURE_OPTIONS: Readonly<FeatureOptions> = Object.freeze({
  liquidusC: 217,
  soakLowC: 150,
  soakHighC: 200,
  rampWindowS: 10,
  profileMeasurement: "profile",
  thermocouplePattern: "_c$",
  reflowMeasurement: "reflow",
  reflowStations: undefined,
  zonePattern: "^z(\\d+)_(?:top|bot)_c$",
  o2Field: "o2_ppm",
  nitrogenMeasurement: "nitrogen",
  nitrogenField: "pressure_bar",
  environmentMeasurements: Object.freeze(["env"]),
  humidityField: "humidity_rh",
  temperatureField: "temperature_c",
  hallLine: "hall",
  environmentStations: undefined,
  spiVolumeLowPct: 70,
  spiVolumeHighPct: 130,
  padGroups: Object.freeze({}),
  padGroupPattern: "^([^.]+)",
  padGroupColumns: true,
  joinBucketMs: 60_000,
  designatorPattern: "^([^.]+)",
  placementColumns: true,
  // A board has tens to a few hundred designators; two columns each stay well inside what a
  // DuckDB table and the predictor's design matrix handle.
  maxPlacementDesignators: 500,
});

/** What a build produced. */
export interface FeatureBuild {
  /** Rows of `unit_features` (one per serial). */
  units: number;
  /** Its columns, in order. */
  columns: string[];
  /** Units whose reflow KPIs come from a profiler, and from the oven's zones. */
  profiled: number;
  zoneEstimated: number;
  /** Rows of `unit_designator` (one per serial and reference designator). */
  designators: number;
  /** What was left out of `unit_features`, and why. */
  notes: string[];
}

export function resolveFeatureOptions(options: Partial<FeatureOptions> = {}): FeatureOptions {
  const o: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS, ...options };
  for (const key of [
    "liquidusC",
    "soakLowC",
    "soakHighC",
    "spiVolumeLowPct",
    "spiVolumeHighPct",
  ] as const) {
    if (!Number.isFinite(o[key])) throw badOption(key, o[key], "a finite number");
  }
  if (o.soakLowC >= o.soakHighC)
    throw badOption("soakHighC", o.soakHighC, `above soakLowC (${o.soakLowC})`);
  if (o.spiVolumeLowPct >= o.spiVolumeHighPct)
    throw badOption(
      "spiVolumeHighPct",
      o.spiVolumeHighPct,
      `above spiVolumeLowPct (${o.spiVolumeLowPct})`,
    );
  if (!Number.isFinite(o.rampWindowS) || o.rampWindowS <= 0)
    throw badOption("rampWindowS", o.rampWindowS, "a positive number of seconds");
  if (!Number.isInteger(o.joinBucketMs) || o.joinBucketMs < 1000)
    throw badOption("joinBucketMs", o.joinBucketMs, "an integer number of ms, 1000 or more");
  if (!Number.isInteger(o.maxPlacementDesignators) || o.maxPlacementDesignators < 0)
    throw badOption("maxPlacementDesignators", o.maxPlacementDesignators, "an integer >= 0");
  return o;
}

const TEST_KINDS = ["aoi", "axi", "ict", "fct"] as const;

/**
 * (Re)builds `unit_features` — one row per serial — and its companions `unit_reflow_profile`
 * (per serial and thermocouple), `unit_spi_group` (per serial and pad group) and
 * `unit_designator` (per serial and reference designator: placement, SPI pads, defects), in one
 * transaction: readers see the old tables or the new ones. Formulas: README.md, "Per-unit features".
 */
export async function buildUnitFeatures(
  warehouse: Warehouse,
  options: Partial<FeatureOptions> = {},
): Promise<FeatureBuild> {
  const o = resolveFeatureOptions(options);
  return warehouse.transaction(async () => {
    await stageUnits(warehouse);
    await stageReflowVisits(warehouse, o);
    await buildReflowProfile(warehouse, o);
    await stageZoneEstimates(warehouse, o);
    await stageOvenAtmosphere(warehouse, o);
    await stageEnvironment(warehouse, o);
    await buildSpiGroups(warehouse, o);
    await buildDesignators(warehouse, o);
    const notes: string[] = [];
    const columns = await buildFeatureTable(warehouse, o, notes);
    for (const table of TEMP_TABLES) await warehouse.run(`DROP TABLE IF EXISTS ${table}`);
    const [counts] = await warehouse.all<{
      units: number;
      profiled: number;
      zones: number;
      designators: number;
    }>(
      `SELECT count(*) AS units,
         count(*) FILTER (WHERE reflow_source = 'profiler') AS profiled,
         count(*) FILTER (WHERE reflow_source = 'zones') AS zones,
         (SELECT count(*) FROM unit_designator) AS designators
       FROM unit_features`,
    );
    return {
      units: Number(counts?.units ?? 0),
      columns,
      profiled: Number(counts?.profiled ?? 0),
      zoneEstimated: Number(counts?.zones ?? 0),
      designators: Number(counts?.designators ?? 0),
      notes,
    };
  });
}

const TEMP_TABLES = [
  "feature_unit",
  "feature_reflow_visit",
  "feature_zone",
  "feature_atmosphere",
  "feature_environment",
  "feature_pad_group_map",
];

/** Every serial seen in a unit event, an SPI board or a test, with where it was first seen. */
async function stageUnits(warehouse: Warehouse): Promise<void> {
  await warehouse.run(`CREATE OR REPLACE TEMP TABLE feature_unit AS
    WITH seen AS (
      SELECT serial, site, line, product, ts FROM unit_event WHERE serial IS NOT NULL
      UNION ALL SELECT serial, site, line, product, ts FROM spi_board WHERE serial IS NOT NULL
      UNION ALL SELECT serial, site, line, NULL AS product, ts FROM test_result WHERE serial IS NOT NULL
    )
    SELECT serial, arg_min(site, ts) AS site, arg_min(line, ts) AS line,
      arg_min(product, ts) FILTER (WHERE product IS NOT NULL) AS product,
      min(ts) AS first_seen, max(ts) AS last_seen
    FROM seen GROUP BY serial`);
}

/** The first complete visit of each serial at a reflow station. */
async function stageReflowVisits(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  const params: Record<string, SqlValue> = {};
  let ovens: string;
  if (o.reflowStations) {
    ovens = `SELECT DISTINCT site, line, station FROM unit_event WHERE list_contains($stations, station)`;
    params.stations = listValue([...o.reflowStations]);
  } else {
    ovens = `SELECT DISTINCT site, line, station FROM signal WHERE measurement = $reflow`;
    params.reflow = o.reflowMeasurement;
  }
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE feature_reflow_visit AS
     SELECT v.serial, arg_min(v.site, v.start) AS site, arg_min(v.line, v.start) AS line,
       arg_min(v.station, v.start) AS station, min(v.start) AS start,
       arg_min(v.complete, v.start) AS complete
     FROM unit_visit v JOIN (${ovens}) oven
       ON v.site IS NOT DISTINCT FROM oven.site AND v.line IS NOT DISTINCT FROM oven.line
      AND v.station IS NOT DISTINCT FROM oven.station
     WHERE v.status = 'complete'
     GROUP BY v.serial`,
    params,
  );
}

/**
 * Profile KPIs per serial and thermocouple from the profiler's samples, the trace read as
 * straight lines between samples (exact for a piecewise-linear profile):
 * time above L in a segment (t0,v0)→(t1,v1) is dt when both ends are ≥ L, 0 when both are
 * below, else dt·(v1−L)/(v1−v0) rising or dt·(v0−L)/(v0−v1) falling.
 */
async function buildReflowProfile(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  const rampMs = Math.round(o.rampWindowS * 1000);
  const above = (level: string) => `CASE
      WHEN v0 >= ${level} AND v1 >= ${level} THEN dt
      WHEN v0 < ${level} AND v1 < ${level} THEN 0
      WHEN v1 > v0 THEN dt * (v1 - ${level}) / (v1 - v0)
      ELSE dt * (v0 - ${level}) / (v0 - v1) END`;
  await warehouse.run(
    `CREATE OR REPLACE TABLE unit_reflow_profile AS
     WITH sample AS (
       SELECT serial, field, ts, value FROM signal
       WHERE measurement = $profile AND serial IS NOT NULL AND value IS NOT NULL
         AND regexp_matches(field, $thermocouple)
     ), traced AS (
       SELECT serial, field, ts, value,
         lag(ts) OVER w AS t0, lag(value) OVER w AS v0,
         last_value(ts) OVER (w RANGE BETWEEN UNBOUNDED PRECEDING AND ${rampMs} PRECEDING) AS ramp_t0,
         last_value(value) OVER (w RANGE BETWEEN UNBOUNDED PRECEDING AND ${rampMs} PRECEDING) AS ramp_v0
       FROM sample
       WINDOW w AS (PARTITION BY serial, field ORDER BY ts)
     ), peak AS (
       SELECT serial, field, max(value) AS peak_c, count(*) AS samples FROM sample GROUP BY serial, field
     ), peak_time AS (
       SELECT s.serial, s.field, min(s.ts) AS peak_ts
       FROM sample s JOIN peak p ON s.serial = p.serial AND s.field = p.field AND s.value = p.peak_c
       GROUP BY s.serial, s.field
     ), segment AS (
       SELECT t.serial, t.field, t.t0, t.ts AS t1, t.v0, t.value AS v1, (t.ts - t.t0) / 1000.0 AS dt,
         t.ts <= pt.peak_ts AS before_peak
       FROM traced t JOIN peak_time pt ON t.serial = pt.serial AND t.field = pt.field
       WHERE t.t0 IS NOT NULL
     ), kpi AS (
       SELECT serial, field,
         sum(${above("$liquidus")}) AS tal_s,
         sum(CASE WHEN before_peak THEN (${above("$soakLow")}) - (${above("$soakHigh")}) ELSE 0 END) AS soak_s
       FROM segment GROUP BY serial, field
     ), ramp AS (
       SELECT serial, field, max((value - ramp_v0) * 1000.0 / (ts - ramp_t0)) AS ramp_max_c_s
       FROM traced WHERE ramp_t0 IS NOT NULL GROUP BY serial, field
     )
     SELECT p.serial, p.field AS thermocouple, p.samples, p.peak_c, pt.peak_ts,
       coalesce(k.tal_s, 0) AS tal_s, coalesce(k.soak_s, 0) AS soak_s, r.ramp_max_c_s
     FROM peak p
     JOIN peak_time pt ON p.serial = pt.serial AND p.field = pt.field
     LEFT JOIN kpi k ON p.serial = k.serial AND p.field = k.field
     LEFT JOIN ramp r ON p.serial = r.serial AND p.field = r.field
     ORDER BY p.serial, p.field`,
    {
      profile: o.profileMeasurement,
      thermocouple: o.thermocouplePattern,
      liquidus: o.liquidusC,
      soakLow: o.soakLowC,
      soakHigh: o.soakHighC,
    },
  );
}

/**
 * Visit × signal rows inside it, joined on equal keys plus a time bucket so that a sample meets
 * only the visits that share its bucket (a plain range condition next to equal keys would be a
 * residual filter over every visit of the station). `visits` needs (serial, key columns, start,
 * complete); `samples` (key columns, ts, value, field); `condition` filters the pairs further.
 */
function windowJoin(
  visits: string,
  samples: string,
  keys: string[],
  bucketMs: number,
  condition = "true",
): string {
  const on = keys.map((k) => `s.${k} = v.${k}`).join(" AND ");
  return `(SELECT v.serial, s.field, s.value, s.ts
    FROM (SELECT *, unnest(range(start // ${bucketMs}, complete // ${bucketMs} + 1)) AS bucket
          FROM ${visits} WHERE start IS NOT NULL AND complete IS NOT NULL) v
    JOIN (SELECT *, ts // ${bucketMs} AS bucket FROM ${samples}) s
      ON ${on}${on ? " AND " : ""}s.bucket = v.bucket
    WHERE s.ts >= v.start AND s.ts <= v.complete AND ${condition})`;
}

/**
 * Reflow KPIs estimated from the oven's zone temperatures during the reflow visit, for boards
 * without a profiler: each zone's temperature is the mean over the visit of its fields (top and
 * bottom); the board is taken to spend equal time in each zone at that temperature.
 */
async function stageZoneEstimates(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  const joined = windowJoin(
    "feature_reflow_visit",
    `(SELECT site, line, station, field, value, ts FROM signal
      WHERE measurement = $reflow AND value IS NOT NULL AND regexp_matches(field, $zone))`,
    ["site", "line", "station"],
    o.joinBucketMs,
  );
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE feature_zone AS
     WITH field_mean AS (
       SELECT serial, field, avg(value) AS mean_c FROM ${joined} j GROUP BY serial, field
     ), zone AS (
       SELECT serial, CAST(regexp_extract(field, $zone, 1) AS INTEGER) AS zone, avg(mean_c) AS zone_c
       FROM field_mean GROUP BY ALL
     ), step AS (
       SELECT serial, zone, zone_c, zone_c - lag(zone_c) OVER (PARTITION BY serial ORDER BY zone) AS rise_c
       FROM zone
     )
     SELECT st.serial, count(*) AS zones, max(zone_c) AS peak_c,
       (v.complete - v.start) / 1000.0 AS dwell_s,
       (v.complete - v.start) / 1000.0 * count(*) FILTER (WHERE zone_c >= $liquidus) / count(*) AS tal_s,
       (v.complete - v.start) / 1000.0 * count(*) FILTER (WHERE zone_c >= $soakLow AND zone_c <= $soakHigh) / count(*) AS soak_s,
       max(rise_c) / ((v.complete - v.start) / 1000.0 / count(*)) AS ramp_c_s
     FROM step st JOIN feature_reflow_visit v ON st.serial = v.serial
     WHERE v.complete > v.start
     GROUP BY st.serial, v.start, v.complete`,
    {
      reflow: o.reflowMeasurement,
      zone: o.zonePattern,
      liquidus: o.liquidusC,
      soakLow: o.soakLowC,
      soakHigh: o.soakHighC,
    },
  );
}

/** O2 at the reflow station and the shielding gas pressure on its line, during the reflow visit. */
async function stageOvenAtmosphere(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  const o2 = windowJoin(
    "feature_reflow_visit",
    `(SELECT site, line, station, field, value, ts FROM signal WHERE field = $o2 AND value IS NOT NULL)`,
    ["site", "line", "station"],
    o.joinBucketMs,
  );
  const n2 = windowJoin(
    "feature_reflow_visit",
    `(SELECT site, line, field, value, ts FROM signal
      WHERE measurement = $nitrogen AND field = $n2 AND value IS NOT NULL)`,
    ["site", "line"],
    o.joinBucketMs,
  );
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE feature_atmosphere AS
     WITH o2 AS (SELECT serial, avg(value) AS o2_mean, max(value) AS o2_max FROM ${o2} j GROUP BY serial),
     n2 AS (SELECT serial, min(value) AS n2_min, avg(value) AS n2_mean FROM ${n2} j GROUP BY serial)
     SELECT v.serial, o2.o2_mean, o2.o2_max, n2.n2_min, n2.n2_mean
     FROM feature_reflow_visit v LEFT JOIN o2 ON o2.serial = v.serial LEFT JOIN n2 ON n2.serial = v.serial`,
    { o2: o.o2Field, nitrogen: o.nitrogenMeasurement, n2: o.nitrogenField },
  );
}

/**
 * Humidity and temperature over the unit's time on its line (first start to last complete of its
 * complete visits, at `environmentStations` when given): sensors of its site and line, and the
 * site-level sensors (line `hallLine`).
 */
async function stageEnvironment(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  const params: Record<string, SqlValue> = {
    measurements: listValue([...o.environmentMeasurements]),
    humidity: o.humidityField,
    temperature: o.temperatureField,
    hall: o.hallLine,
  };
  let stations = "";
  if (o.environmentStations) {
    stations = "AND list_contains($stations, station)";
    params.stations = listValue([...o.environmentStations]);
  }
  const joined = windowJoin(
    `(SELECT serial, site, line, min(start) AS start, max(complete) AS complete FROM unit_visit
      WHERE status = 'complete' ${stations} GROUP BY serial, site, line)`,
    `(SELECT site, line AS sensor_line, field, value, ts FROM signal
      WHERE list_contains($measurements, measurement) AND field IN ($humidity, $temperature)
        AND value IS NOT NULL)`,
    ["site"],
    o.joinBucketMs,
    "(s.sensor_line = v.line OR s.sensor_line = $hall)",
  );
  await warehouse.run(
    `CREATE OR REPLACE TEMP TABLE feature_environment AS
     SELECT serial,
       avg(value) FILTER (WHERE field = $humidity) AS humidity_mean,
       max(value) FILTER (WHERE field = $humidity) AS humidity_max,
       avg(value) FILTER (WHERE field = $temperature) AS temperature_mean,
       max(value) FILTER (WHERE field = $temperature) AS temperature_max
     FROM ${joined} j GROUP BY serial`,
    params,
  );
}

/** SPI of each serial's first inspection, per pad group; `unit_spi_group` keeps them. */
async function buildSpiGroups(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  await warehouse.run(
    "CREATE OR REPLACE TEMP TABLE feature_pad_group_map (ref VARCHAR PRIMARY KEY, pad_group VARCHAR NOT NULL)",
  );
  for (const [ref, group] of Object.entries(o.padGroups)) {
    await warehouse.run("INSERT INTO feature_pad_group_map VALUES ($ref, $group)", { ref, group });
  }
  await warehouse.run(
    `CREATE OR REPLACE TABLE unit_spi_group AS
     WITH first_board AS (
       SELECT serial, arg_min(site, ts) AS site, arg_min(line, ts) AS line,
         arg_min(station, ts) AS station, min(ts) AS ts
       FROM spi_board WHERE serial IS NOT NULL GROUP BY serial
     ), pad AS (
       SELECT p.serial, coalesce(m.pad_group, nullif(regexp_extract(p.ref, $pattern, 1), ''), p.ref) AS pad_group,
         p.volume_pct
       FROM spi_pad p
       JOIN first_board b ON p.serial = b.serial AND p.ts = b.ts
         AND p.site IS NOT DISTINCT FROM b.site AND p.line IS NOT DISTINCT FROM b.line
         AND p.station IS NOT DISTINCT FROM b.station
       LEFT JOIN feature_pad_group_map m ON m.ref = p.ref
       WHERE p.volume_pct IS NOT NULL
     )
     SELECT serial, pad_group, count(*) AS pads, avg(volume_pct) AS volume_mean_pct,
       min(volume_pct) AS volume_min_pct, max(volume_pct) AS volume_max_pct,
       avg(CASE WHEN volume_pct < $low OR volume_pct > $high THEN 1.0 ELSE 0.0 END) AS outside_share
     FROM pad GROUP BY serial, pad_group ORDER BY serial, pad_group`,
    { pattern: o.padGroupPattern, low: o.spiVolumeLowPct, high: o.spiVolumeHighPct },
  );
}

/**
 * Lineage by reference designator (`unit_designator`, one row per serial and designator): what
 * was placed there (the first placement record of the serial at that ref: the part on the board
 * when it was first tested), its pads at the first SPI inspection, and the defects the first test
 * of each kind called at that ref. `<kind>_defect` is NULL when the serial had no test of that
 * kind, so that untested boards are not counted as free of defects.
 */
async function buildDesignators(warehouse: Warehouse, o: FeatureOptions): Promise<void> {
  const kindColumns = TEST_KINDS.map(
    (
      kind,
    ) => `CASE WHEN t.${kind}_at IS NULL THEN NULL ELSE d.${kind}_codes IS NOT NULL END AS ${kind}_defect,
       d.${kind}_codes AS ${kind}_defect_codes`,
  ).join(",\n       ");
  await warehouse.run(
    `CREATE OR REPLACE TABLE unit_designator AS
     WITH placed AS (
       SELECT serial, ref, arg_min(part, ts) AS part, arg_min(lot, ts) AS lot,
         arg_min(supplier, ts) AS supplier, arg_min(date_code, ts) AS date_code,
         arg_min(reel, ts) AS reel, min(ts) AS placed_at
       FROM placement WHERE serial IS NOT NULL AND ref IS NOT NULL GROUP BY serial, ref
     ), first_board AS (
       SELECT serial, arg_min(site, ts) AS site, arg_min(line, ts) AS line,
         arg_min(station, ts) AS station, min(ts) AS ts
       FROM spi_board WHERE serial IS NOT NULL GROUP BY serial
     ), pads AS (
       SELECT p.serial, coalesce(nullif(regexp_extract(p.ref, $designator, 1), ''), p.ref) AS ref,
         count(*) AS pads, avg(p.volume_pct) AS volume_mean_pct, min(p.volume_pct) AS volume_min_pct,
         avg(CASE WHEN p.volume_pct < $low OR p.volume_pct > $high THEN 1.0 ELSE 0.0 END) AS outside_share
       FROM spi_pad p
       JOIN first_board b ON p.serial = b.serial AND p.ts = b.ts
         AND p.site IS NOT DISTINCT FROM b.site AND p.line IS NOT DISTINCT FROM b.line
         AND p.station IS NOT DISTINCT FROM b.station
       WHERE p.volume_pct IS NOT NULL AND p.ref IS NOT NULL
       GROUP BY ALL
     ), first_test AS (
       SELECT serial, kind, arg_min(site, ts) AS site, arg_min(line, ts) AS line,
         arg_min(station, ts) AS station, min(ts) AS ts
       FROM test_result WHERE serial IS NOT NULL AND kind IN (${TEST_KINDS.map((k) => `'${k}'`).join(", ")})
       GROUP BY serial, kind
     ), tested AS (
       SELECT serial, ${TEST_KINDS.map((k) => `max(ts) FILTER (WHERE kind = '${k}') AS ${k}_at`).join(", ")}
       FROM first_test GROUP BY serial
     ), defect AS (
       SELECT d.serial, d.ref, d.kind, string_agg(DISTINCT d.code, ',' ORDER BY d.code) AS codes
       FROM test_defect d
       JOIN first_test f ON d.serial = f.serial AND d.kind = f.kind AND d.ts = f.ts
         AND d.site IS NOT DISTINCT FROM f.site AND d.line IS NOT DISTINCT FROM f.line
         AND d.station IS NOT DISTINCT FROM f.station
       WHERE d.ref IS NOT NULL AND d.ref <> $noRef AND d.code IS NOT NULL
       GROUP BY ALL
     ), defects AS (
       SELECT serial, ref, ${TEST_KINDS.map((k) => `max(codes) FILTER (WHERE kind = '${k}') AS ${k}_codes`).join(", ")}
       FROM defect GROUP BY serial, ref
     ), designator AS (
       SELECT serial, ref FROM placed UNION SELECT serial, ref FROM pads
       UNION SELECT serial, ref FROM defects
     )
     SELECT r.serial, r.ref, pl.part, pl.lot, pl.supplier, pl.date_code, pl.reel, pl.placed_at,
       coalesce(sp.pads, 0) AS spi_pads, sp.volume_mean_pct AS spi_volume_mean_pct,
       sp.volume_min_pct AS spi_volume_min_pct, sp.outside_share AS spi_outside_share,
       ${kindColumns}
     FROM designator r
     LEFT JOIN placed pl ON pl.serial = r.serial AND pl.ref = r.ref
     LEFT JOIN pads sp ON sp.serial = r.serial AND sp.ref = r.ref
     LEFT JOIN defects d ON d.serial = r.serial AND d.ref = r.ref
     LEFT JOIN tested t ON t.serial = r.serial
     ORDER BY r.serial, r.ref`,
    {
      designator: o.designatorPattern,
      low: o.spiVolumeLowPct,
      high: o.spiVolumeHighPct,
      noRef: NO_REF,
    },
  );
}

/**
 * `lot_<ref>` and `supplier_<ref>` per placed designator, at most `maxPlacementDesignators` of
 * them (those whose lot changes most kept first: a designator always fed from one lot cannot
 * explain anything). Values are bound; only the column names come from the data, quoted.
 */
async function placementColumns(
  warehouse: Warehouse,
  o: FeatureOptions,
  params: Record<string, SqlValue>,
  notes: string[],
): Promise<string[]> {
  if (!o.placementColumns) return [];
  const taken = new Set<string>();
  const refs = await warehouse.all<{ ref: string; lots: number }>(
    `SELECT ref, count(DISTINCT lot) AS lots FROM unit_designator
     WHERE lot IS NOT NULL OR supplier IS NOT NULL GROUP BY ref ORDER BY lots DESC, ref`,
  );
  const kept = refs.slice(0, o.maxPlacementDesignators);
  if (refs.length > kept.length) {
    notes.push(
      `placement columns for ${kept.length} of ${refs.length} reference designators (maxPlacementDesignators); left out, fewest lots first: ${refs
        .slice(kept.length)
        .slice(0, 20)
        .map((r) => r.ref)
        .join(", ")}${refs.length - kept.length > 20 ? ", ..." : ""}`,
    );
  }
  const columns: string[] = [];
  kept.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  kept.forEach(({ ref }, i) => {
    const names = [`lot_${ref}`, `supplier_${ref}`];
    // DuckDB matches column names without regard to case: designators `C1a` and `c1A` would collide.
    const clash = names.find((n) => taken.has(n.toLowerCase()));
    if (clash !== undefined) {
      notes.push(`no placement columns for designator '${ref}': ${clash} is taken`);
      return;
    }
    for (const n of names) taken.add(n.toLowerCase());
    params[`ref${i}`] = ref;
    columns.push(
      `max(lot) FILTER (WHERE ref = $ref${i}) AS ${quoteIdentifier(names[0] as string)}`,
      `max(supplier) FILTER (WHERE ref = $ref${i}) AS ${quoteIdentifier(names[1] as string)}`,
    );
  });
  return columns;
}

async function buildFeatureTable(
  warehouse: Warehouse,
  o: FeatureOptions,
  notes: string[],
): Promise<string[]> {
  const params: Record<string, SqlValue> = {};
  const groupColumns: string[] = [];
  if (o.padGroupColumns) {
    const groups = await warehouse.all<{ pad_group: string }>(
      "SELECT DISTINCT pad_group FROM unit_spi_group ORDER BY pad_group",
    );
    groups.forEach(({ pad_group }, i) => {
      params[`group${i}`] = pad_group;
      groupColumns.push(
        `max(volume_mean_pct) FILTER (WHERE pad_group = $group${i}) AS ${quoteIdentifier(`spi_${pad_group}_volume_mean_pct`)}`,
        `max(outside_share) FILTER (WHERE pad_group = $group${i}) AS ${quoteIdentifier(`spi_${pad_group}_outside_share`)}`,
      );
    });
  }
  const materialColumns = await placementColumns(warehouse, o, params, notes);
  const firstResults = TEST_KINDS.map(
    (kind) => `arg_min(result, ts) FILTER (WHERE kind = '${kind}') AS ${kind}_first_result`,
  ).join(",\n       ");
  await warehouse.run(
    `CREATE OR REPLACE TABLE unit_features AS
     WITH profile AS (
       SELECT serial, count(*) AS thermocouples, max(peak_c) AS peak_c, min(peak_c) AS peak_min_c,
         min(tal_s) AS tal_min_s, max(tal_s) AS tal_max_s, max(ramp_max_c_s) AS ramp_max_c_s,
         min(soak_s) AS soak_min_s, max(soak_s) AS soak_max_s
       FROM unit_reflow_profile GROUP BY serial
     ), spi AS (
       SELECT b.serial, arg_min(b.result, b.ts) AS result FROM spi_board b GROUP BY b.serial
     ), spi_pads AS (
       SELECT serial, sum(pads) AS pads,
         sum(volume_mean_pct * pads) / sum(pads) AS volume_mean_pct,
         min(volume_min_pct) AS volume_min_pct, max(volume_max_pct) AS volume_max_pct,
         sum(outside_share * pads) / sum(pads) AS outside_share
       FROM unit_spi_group GROUP BY serial
     ), tests AS (
       SELECT serial,
       ${firstResults}
       FROM test_result WHERE serial IS NOT NULL GROUP BY serial
     )${
       groupColumns.length > 0
         ? `, groups AS (SELECT serial, ${groupColumns.join(", ")} FROM unit_spi_group GROUP BY serial)`
         : ""
     }${
       materialColumns.length > 0
         ? `, material AS (SELECT serial, ${materialColumns.join(", ")} FROM unit_designator GROUP BY serial)`
         : ""
     }
     SELECT u.serial, u.site, u.line, u.product, u.first_seen, u.last_seen,
       rv.station AS reflow_station, rv.start AS reflow_start, rv.complete AS reflow_complete,
       CASE WHEN p.serial IS NOT NULL THEN 'profiler' WHEN z.serial IS NOT NULL THEN 'zones' END AS reflow_source,
       coalesce(p.thermocouples, 0) AS reflow_thermocouples,
       coalesce(p.peak_c, z.peak_c) AS reflow_peak_c,
       p.peak_min_c AS reflow_peak_min_c,
       coalesce(p.tal_min_s, z.tal_s) AS reflow_tal_min_s,
       coalesce(p.tal_max_s, z.tal_s) AS reflow_tal_max_s,
       coalesce(p.ramp_max_c_s, z.ramp_c_s) AS reflow_ramp_max_c_s,
       coalesce(p.soak_min_s, z.soak_s) AS reflow_soak_min_s,
       coalesce(p.soak_max_s, z.soak_s) AS reflow_soak_max_s,
       a.o2_mean AS o2_mean_ppm, a.o2_max AS o2_max_ppm,
       a.n2_min AS n2_min_bar, a.n2_mean AS n2_mean_bar,
       e.humidity_mean AS env_humidity_mean_rh, e.humidity_max AS env_humidity_max_rh,
       e.temperature_mean AS env_temperature_mean_c, e.temperature_max AS env_temperature_max_c,
       spi.result AS spi_result, sp.pads AS spi_pad_count,
       sp.volume_mean_pct AS spi_volume_mean_pct, sp.volume_min_pct AS spi_volume_min_pct,
       sp.volume_max_pct AS spi_volume_max_pct, sp.outside_share AS spi_outside_share,
       ${TEST_KINDS.map((k) => `t.${k}_first_result`).join(", ")},
       CASE WHEN t.serial IS NULL THEN NULL
         ELSE coalesce(${TEST_KINDS.map((k) => `t.${k}_first_result = 'fail'`).join(" OR ")}, false) END
         AS test_first_fail
       ${groupColumns.length > 0 ? ", g.* EXCLUDE (serial)" : ""}
       ${materialColumns.length > 0 ? ", m.* EXCLUDE (serial)" : ""}
     FROM feature_unit u
     LEFT JOIN feature_reflow_visit rv ON rv.serial = u.serial
     LEFT JOIN profile p ON p.serial = u.serial
     LEFT JOIN feature_zone z ON z.serial = u.serial
     LEFT JOIN feature_atmosphere a ON a.serial = u.serial
     LEFT JOIN feature_environment e ON e.serial = u.serial
     LEFT JOIN spi ON spi.serial = u.serial
     LEFT JOIN spi_pads sp ON sp.serial = u.serial
     LEFT JOIN tests t ON t.serial = u.serial
     ${groupColumns.length > 0 ? "LEFT JOIN groups g ON g.serial = u.serial" : ""}
     ${materialColumns.length > 0 ? "LEFT JOIN material m ON m.serial = u.serial" : ""}
     ORDER BY u.serial`,
    params,
  );
  const columns = await warehouse.all<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
     WHERE table_name = 'unit_features' AND table_schema = 'main' ORDER BY ordinal_position`,
  );
  return columns.map((c) => c.name);
}
