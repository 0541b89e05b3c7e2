import { type Static, type TLiteral, type TUnion, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { DEFAULT_ALERTS } from "../../alerts/index.ts";
import {
  D2_MAX_SIZE,
  DEFAULT_RULE_OPTIONS,
  type LimitsOptions,
  RULE_SETS,
  type RuleSetName,
  type SigmaMethod,
} from "../spc/index.ts";
import { RECORD_TABLES, RESULT_MEASUREMENTS, type RecordTable } from "../warehouse/index.ts";
import { chartSpec, JOB_CHART_NAMES, type JobChart } from "./charts.ts";

const NAME_PATTERN = "^[A-Za-z0-9_.-]{1,64}$";
const Name = Type.String({ pattern: NAME_PATTERN, description: "a name of [A-Za-z0-9_.-]{1,64}" });
const Column = Type.String({
  pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
  description: "a column name of [A-Za-z_][A-Za-z0-9_]{0,63}",
});

function oneOf<T extends string>(values: readonly T[], what: string): TUnion<TLiteral<T>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { description: `${what}: one of ${values.join(", ")}` },
  );
}

/** YAML names of the sigma estimators, as `tracebox spc --sigma` spells them. */
const SIGMA_NAMES: Readonly<Record<string, SigmaMethod>> = {
  "uwave-r": "UWAVE-R",
  "uwave-sd": "UWAVE-SD",
  "mvlue-r": "MVLUE-R",
  "mvlue-sd": "MVLUE-SD",
  rmsdf: "RMSDF",
  mr: "MR",
  sd: "SD",
};

const WhereSchema = Type.Object(
  { site: Type.Optional(Name), line: Type.Optional(Name), station: Type.Optional(Name) },
  { additionalProperties: false },
);

const SourceSchema = Type.Object(
  {
    measurement: Type.Optional(
      Type.String({
        pattern: "^[a-z][a-z0-9_]*$",
        description: "a measurement (signal channel or record table) of [a-z][a-z0-9_]*",
      }),
    ),
    field: Type.Optional(Column),
    feature: Type.Optional(Column),
    time: Type.Optional(Column),
    where: Type.Optional(WhereSchema),
    match: Type.Optional(
      Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$" }), Name, {
        description: "tag filters of the record table, e.g. {name: vcc_v}",
      }),
    ),
  },
  { additionalProperties: false },
);

const SubgroupSchema = Type.Object(
  {
    size: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: "consecutive readings, 1..1000" }),
    ),
    windowMs: Type.Optional(
      Type.Integer({ minimum: 1, description: "time window, ms (epoch-aligned)" }),
    ),
    minSize: Type.Optional(
      Type.Integer({ minimum: 1, description: "fewest readings a time window needs to count" }),
    ),
  },
  { additionalProperties: false },
);

export const CharacteristicSchema = Type.Object(
  {
    name: Name,
    source: SourceSchema,
    subgroup: SubgroupSchema,
    chart: oneOf(JOB_CHART_NAMES, "a chart"),
    rules: Type.Optional(oneOf(Object.keys(RULE_SETS) as RuleSetName[], "a rule set")),
    runLength: Type.Optional(
      Type.Integer({ minimum: 2, description: "points on one side that make a qcc run" }),
    ),
    lsl: Type.Optional(Type.Number({ description: "lower specification limit" })),
    usl: Type.Optional(Type.Number({ description: "upper specification limit" })),
    target: Type.Optional(Type.Number({ description: "target value for Cpm" })),
    sigma: Type.Optional(oneOf(Object.keys(SIGMA_NAMES), "a sigma estimator")),
    nsigmas: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: "limit width, standard errors, > 0" }),
    ),
    lambda: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1, description: "EWMA weight in (0, 1]" }),
    ),
    decisionInterval: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: "CUSUM decision interval h, > 0" }),
    ),
    seShift: Type.Optional(
      Type.Number({ minimum: 0, description: "CUSUM shift to detect, standard errors" }),
    ),
    headStart: Type.Optional(
      Type.Number({ minimum: 0, description: "CUSUM head start, standard errors" }),
    ),
    baseline: Type.Optional(
      Type.Object(
        {
          minSubgroups: Type.Integer({
            minimum: 2,
            description: "phase-I subgroups a baseline needs, >= 2",
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const SpcSectionSchema = Type.Object(
  {
    characteristics: Type.Optional(Type.Array(CharacteristicSchema)),
    autoApproveFirst: Type.Optional(Type.Boolean({ description: "true or false" })),
    settleMs: Type.Optional(Type.Integer({ minimum: 0, description: "an integer >= 0, ms" })),
    historySubgroups: Type.Optional(
      Type.Integer({ minimum: 15, description: "an integer >= 15 (the longest run rule)" }),
    ),
    capabilitySubgroups: Type.Optional(
      Type.Integer({ minimum: 2, description: "an integer >= 2" }),
    ),
    maxVisitMs: Type.Optional(Type.Integer({ minimum: 1, description: "an integer >= 1, ms" })),
    environmental: Type.Optional(Type.Array(Type.String({ pattern: "^[a-z][a-z0-9_]*$" }))),
    siteLines: Type.Optional(Type.Array(Name)),
    features: Type.Optional(
      Type.Object(
        {
          table: Type.Optional(Column),
          serialColumn: Type.Optional(Column),
          tsColumn: Type.Optional(Column),
        },
        { additionalProperties: false },
      ),
    ),
    writeBatchLines: Type.Optional(Type.Integer({ minimum: 1, description: "an integer >= 1" })),
    maxReadingsPerPass: Type.Optional(Type.Integer({ minimum: 1, description: "an integer >= 1" })),
  },
  { additionalProperties: false },
);

export type SpcSection = Static<typeof SpcSectionSchema>;
type CharacteristicConfig = Static<typeof CharacteristicSchema>;

/** Station filter of a characteristic; an unset part matches every value. */
export interface Where {
  site?: string;
  line?: string;
  station?: string;
}

/** A signal channel field: rows of the warehouse's `signal` table. */
export interface SignalSource {
  kind: "signal";
  measurement: string;
  field: string;
  where: Where;
}

/** A numeric field of a record table (`spi_board`, `test_measurement`, ...), one row per unit. */
export interface RecordSource {
  kind: "record";
  /** InfluxDB measurement the table mirrors (`spi` for `spi_board`). */
  measurement: string;
  table: string;
  field: string;
  where: Where;
  /** Further tag filters of the table (`name` of a test measurement, `kind` of a test). */
  match: Record<string, string>;
}

/** A column of the per-serial feature table. */
export interface FeatureSource {
  kind: "feature";
  feature: string;
  /**
   * Column of the unit's time that orders the units for this feature, when it should not be the
   * table's (`features.tsColumn`): best a time at which the feature is known (`reflow_complete`
   * for a reflow KPI), as a unit is judged once that time has settled.
   */
  time?: string;
  where: Where;
}

export type CharacteristicSource = SignalSource | RecordSource | FeatureSource;

/** How readings become subgroups: N consecutive readings, or epoch-aligned time windows. */
export type SubgroupSpec =
  | { kind: "size"; size: number }
  | { kind: "window"; windowMs: number; minSize: number };

/** A characteristic ready to monitor: validated, defaults applied. */
export interface Characteristic {
  name: string;
  source: CharacteristicSource;
  subgroup: SubgroupSpec;
  chart: JobChart;
  rules: RuleSetName;
  /** Points on one side that make a qcc `run`. */
  runLength: number;
  spec: { lsl?: number; usl?: number; target?: number };
  /** Phase-I options handed to the SPC engine. */
  limits: Partial<LimitsOptions>;
  baseline: { minSubgroups: number };
}

/** The per-serial feature table: which table, and which columns hold the serial and the time. */
export interface FeatureTableOptions {
  /** Table name. Default `unit_features`. */
  table: string;
  /** Column with the unit's serial. Default `serial`. */
  serialColumn: string;
  /** Column with the unit's time (epoch ms) that orders the units. Default `first_seen`. */
  tsColumn: string;
}

/** How the SPC job runs; the YAML `spc` section's settings besides the characteristics. */
export interface SpcJobOptions {
  /**
   * Approve the automatic first baseline at once (from the first `minSubgroups` subgroups), so a
   * fresh installation charts right away; false leaves it proposed for a person to approve.
   * Default true.
   */
  autoApproveFirst: boolean;
  /**
   * Only readings older than this are judged, so that the warehouse sync has delivered every
   * reading of a subgroup before the subgroup is closed, ms. Default 15000 (above the sync's 10 s interval, within the 30 s live goal).
   */
  settleMs: number;
  /** Past subgroups kept between runs, so run rules and EWMA/CUSUM continue across runs. Default 50. */
  historySubgroups: number;
  /** Most recent subgroups the per-run capability is computed from. Default 50. */
  capabilitySubgroups: number;
  /** Longest visit of a unit at a station looked back for, when naming the serials of a time range, ms. Default 86400000 (a day). */
  maxVisitMs: number;
  /** Signal channels whose readings apply to every station of their line. Default `env`, `nitrogen` (as alerts). */
  environmental: string[];
  /** Line names that stand for a whole site (a hall sensor). Default `hall` (as alerts). */
  siteLines: string[];
  /** Where `{feature: ...}` sources read from. */
  features: FeatureTableOptions;
  /** Lines per InfluxDB write request. Default 5000. */
  writeBatchLines: number;
  /**
   * Most readings judged in one pass; a backlog takes several passes, each committed before the
   * next, so memory stays bounded and a crash mid-backlog resumes where it stopped. Default 100000.
   */
  maxReadingsPerPass: number;
}

export const DEFAULT_SPC_JOB_OPTIONS: Readonly<SpcJobOptions> = Object.freeze({
  autoApproveFirst: true,
  settleMs: 15_000,
  historySubgroups: 50,
  capabilitySubgroups: 50,
  maxVisitMs: 86_400_000,
  environmental: [...DEFAULT_ALERTS.environmental],
  siteLines: [...DEFAULT_ALERTS.siteLines],
  features: Object.freeze({
    table: "unit_features",
    serialColumn: "serial",
    tsColumn: "first_seen",
  }),
  writeBatchLines: 5000,
  maxReadingsPerPass: 100_000,
});

/** Phase-I subgroups of the automatic first baseline when a characteristic does not say. */
export const DEFAULT_MIN_SUBGROUPS = 25;

/** The validated `spc` section. */
export interface SpcConfig {
  characteristics: Characteristic[];
  options: SpcJobOptions;
}

/** Problems with the `spc` section, one line each naming the field. */
export class SpcConfigError extends Error {
  readonly reason = "invalid_spc_config";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "SpcConfigError";
  }
}

function recordTableOf(measurement: string): RecordTable | undefined {
  return RECORD_TABLES.find((t) => t.measurement === measurement || t.table === measurement);
}

function resolveSource(
  source: CharacteristicConfig["source"],
  at: string,
  problems: string[],
): CharacteristicSource | undefined {
  const where = source.where ?? {};
  if (source.feature !== undefined) {
    if (source.measurement !== undefined || source.field !== undefined || source.match) {
      problems.push(`${at}: give either measurement and field, or feature, not both`);
      return undefined;
    }
    const feature: FeatureSource = { kind: "feature", feature: source.feature, where };
    if (source.time !== undefined) feature.time = source.time;
    return feature;
  }
  if (source.time !== undefined) {
    problems.push(`${at}.time: applies to feature sources; readings carry their own time`);
    return undefined;
  }
  if (source.measurement === undefined || source.field === undefined) {
    problems.push(
      `${at}: needs measurement and field (a reading) or feature (a unit_features column)`,
    );
    return undefined;
  }
  const { measurement, field } = source;
  if (RESULT_MEASUREMENTS.has(measurement) || measurement === "alert") {
    problems.push(
      `${at}.measurement=${JSON.stringify(measurement)}: a result of tracebox, not a reading`,
    );
    return undefined;
  }
  const table = recordTableOf(measurement);
  if (table === undefined) {
    if (source.match) {
      problems.push(
        `${at}.match: only record tables have tags to match; ${measurement} is a signal channel`,
      );
      return undefined;
    }
    return { kind: "signal", measurement, field, where };
  }
  const numeric = Object.entries(table.fields)
    .filter(([, type]) => type === "DOUBLE" || type === "BIGINT")
    .map(([name]) => name);
  if (!numeric.includes(field)) {
    problems.push(
      `${at}.field=${JSON.stringify(field)}: expected a numeric field of ${table.table}: ${numeric.join(", ") || "(none)"}`,
    );
    return undefined;
  }
  const matchable = table.tags.filter((tag) => !["site", "line", "station"].includes(tag));
  const match = source.match ?? {};
  for (const key of Object.keys(match)) {
    if (!matchable.includes(key)) {
      problems.push(
        `${at}.match.${key}: expected a tag of ${table.table}: ${matchable.join(", ")} (site, line, station go in where)`,
      );
      return undefined;
    }
  }
  if (table.table === "test_measurement" && match.name === undefined) {
    problems.push(
      `${at}.match.name: test_measurement needs the measurement's name, e.g. {name: vcc_v}`,
    );
    return undefined;
  }
  return {
    kind: "record",
    measurement: table.measurement,
    table: table.table,
    field,
    where,
    match,
  };
}

function resolveSubgroup(
  c: CharacteristicConfig,
  at: string,
  problems: string[],
): SubgroupSpec | undefined {
  const { size, windowMs, minSize } = c.subgroup;
  const spec = chartSpec(c.chart as JobChart);
  if ((size === undefined) === (windowMs === undefined)) {
    problems.push(
      `${at}.subgroup: give size (consecutive readings) or windowMs (time windows), one of them`,
    );
    return undefined;
  }
  if (size !== undefined) {
    if (minSize !== undefined) {
      problems.push(`${at}.subgroup.minSize: applies to time windows (windowMs) only`);
      return undefined;
    }
    if (c.chart === "imr" && size !== 1) {
      problems.push(`${at}.subgroup.size=${size}: an imr chart takes single readings, size 1`);
      return undefined;
    }
    if (spec.dispersion && spec.dispersion !== "mr" && size < 2) {
      problems.push(`${at}.subgroup.size=${size}: ${c.chart} needs subgroups of 2 or more`);
      return undefined;
    }
    if (c.chart === "xbar-r" && size > D2_MAX_SIZE) {
      problems.push(
        `${at}.subgroup.size=${size}: R charts are tabulated up to ${D2_MAX_SIZE}; use xbar-s`,
      );
      return undefined;
    }
    return { kind: "size", size };
  }
  if (c.chart === "imr" || c.chart === "np") {
    problems.push(
      `${at}.subgroup.windowMs: ${c.chart} needs equal subgroups; use subgroup.size (imr: 1)`,
    );
    return undefined;
  }
  const least = spec.input === "variables" ? 2 : 1;
  const resolvedMin = minSize ?? least;
  if (resolvedMin < least) {
    problems.push(
      `${at}.subgroup.minSize=${resolvedMin}: ${c.chart} needs windows of ${least} or more`,
    );
    return undefined;
  }
  return { kind: "window", windowMs: windowMs as number, minSize: resolvedMin };
}

function checkChartOptions(c: CharacteristicConfig, at: string, problems: string[]): void {
  const chart = c.chart as JobChart;
  const spec = chartSpec(chart);
  if (c.sigma !== undefined && spec.input === "attributes")
    problems.push(`${at}.sigma: a ${chart} chart's sigma is binomial or Poisson, not configurable`);
  if (c.lambda !== undefined && chart !== "ewma")
    problems.push(`${at}.lambda: applies to an ewma chart only`);
  for (const key of ["decisionInterval", "seShift", "headStart"] as const) {
    if (c[key] !== undefined && chart !== "cusum")
      problems.push(`${at}.${key}: applies to a cusum chart only`);
  }
  if (c.runLength !== undefined && (c.rules ?? "qcc") !== "qcc")
    problems.push(`${at}.runLength: applies to the qcc rule set only`);
  if (c.lsl !== undefined && c.usl !== undefined && !(c.lsl < c.usl))
    problems.push(`${at}: lsl ${c.lsl} must be below usl ${c.usl}`);
  if (c.target !== undefined && c.lsl === undefined && c.usl === undefined)
    problems.push(`${at}.target: needs lsl or usl (capability)`);
}

function resolveOptions(section: SpcSection): SpcJobOptions {
  const d = DEFAULT_SPC_JOB_OPTIONS;
  return {
    autoApproveFirst: section.autoApproveFirst ?? d.autoApproveFirst,
    settleMs: section.settleMs ?? d.settleMs,
    historySubgroups: section.historySubgroups ?? d.historySubgroups,
    capabilitySubgroups: section.capabilitySubgroups ?? d.capabilitySubgroups,
    maxVisitMs: section.maxVisitMs ?? d.maxVisitMs,
    environmental: section.environmental ?? [...d.environmental],
    siteLines: section.siteLines ?? [...d.siteLines],
    features: { ...d.features, ...section.features },
    writeBatchLines: section.writeBatchLines ?? d.writeBatchLines,
    maxReadingsPerPass: section.maxReadingsPerPass ?? d.maxReadingsPerPass,
  };
}

/** Validates the YAML `spc` section; throws {@link SpcConfigError} naming each bad field. */
export function parseSpcSection(raw: unknown): SpcConfig {
  const section = raw ?? {};
  const problems = [...Value.Errors(SpcSectionSchema, section)].map((e) => {
    const where = `spc${e.path.replaceAll("/", ".")}`;
    const description = (e.schema as { description?: string }).description;
    return `${where}=${JSON.stringify(e.value)}: ${description ? `expected ${description}` : e.message}`;
  });
  if (problems.length > 0) throw new SpcConfigError([...new Set(problems)]);
  const parsed = section as SpcSection;
  const characteristics: Characteristic[] = [];
  const names = new Set<string>();
  for (const [i, c] of (parsed.characteristics ?? []).entries()) {
    const at = `spc.characteristics.${i}`;
    if (names.has(c.name)) problems.push(`${at}.name=${JSON.stringify(c.name)}: used twice`);
    names.add(c.name);
    const before = problems.length;
    const source = resolveSource(c.source, `${at}.source`, problems);
    const subgroup = resolveSubgroup(c, at, problems);
    checkChartOptions(c, at, problems);
    if (problems.length > before || source === undefined || subgroup === undefined) continue;
    const chart = c.chart as JobChart;
    const sigma = c.sigma === undefined ? chartSpec(chart).sigma : SIGMA_NAMES[c.sigma];
    const limits: Partial<LimitsOptions> = {};
    if (sigma !== undefined) limits.sigmaMethod = sigma;
    if (c.nsigmas !== undefined) limits.nsigmas = c.nsigmas;
    if (c.lambda !== undefined) limits.lambda = c.lambda;
    if (c.decisionInterval !== undefined) limits.decisionInterval = c.decisionInterval;
    if (c.seShift !== undefined) limits.seShift = c.seShift;
    if (c.headStart !== undefined) limits.headStart = c.headStart;
    const spec: Characteristic["spec"] = {};
    if (c.lsl !== undefined) spec.lsl = c.lsl;
    if (c.usl !== undefined) spec.usl = c.usl;
    if (c.target !== undefined) spec.target = c.target;
    characteristics.push({
      name: c.name,
      source,
      subgroup,
      chart,
      rules: (c.rules ?? "qcc") as RuleSetName,
      runLength: c.runLength ?? DEFAULT_RULE_OPTIONS.runLength,
      spec,
      limits,
      baseline: { minSubgroups: c.baseline?.minSubgroups ?? DEFAULT_MIN_SUBGROUPS },
    });
  }
  if (problems.length > 0) throw new SpcConfigError(problems);
  return { characteristics, options: resolveOptions(parsed) };
}
