import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  analyse,
  buildDataset,
  DEFAULT_PREDICT_OPTIONS,
  type DesignatorDriver,
  type DesignatorRecord,
  type Driver,
  designatorWords,
  findDesignatorDrivers,
  outcomeWords,
  PREDICT_TARGETS,
  PredictError,
  type PredictOptions,
  type PredictReport,
  type PredictTarget,
  readDesignatorRecords,
  readUnitFile,
  readWarehouseFeatures,
  type UnitColumns,
  type WarehouseReader,
} from "../../analytics/predict/index.ts";
import type { SqlValue } from "../../analytics/warehouse/index.ts";
import { loadConfig } from "../../config/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

const USAGE = 2;
/** Fewest defects at a reference designator for its lineage drivers (as the daily job's default). */
const MIN_DESIGNATOR_DEFECTS = 5;
const FORMATS = ["json", "table"] as const;

interface PredictCliOptions {
  target?: string;
  input?: string;
  label?: string;
  time?: string;
  id?: string;
  exclude?: string;
  categorical?: string;
  warehouse?: string;
  folds?: string;
  repeats?: string;
  seed?: string;
  riskThreshold?: string;
  clipSd?: string;
  scaling?: string;
  extremes?: boolean;
  l1Ratio?: string;
  classWeight?: string;
  driversOnly?: boolean;
  top: string;
  format: string;
}

function usage(message: string): CliError {
  return new CliError(`predict: ${message}`, USAGE);
}

function count(flag: string, text: string | undefined, low: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= low)) {
    throw usage(`${flag} must be a whole number >= ${low}, got '${text}'`);
  }
  return value;
}

function positive(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text === "inf" ? Number.POSITIVE_INFINITY : Number(text);
  if (!(value > 0)) throw usage(`${flag} must be a positive number, got '${text}'`);
  return value;
}

function share(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value >= 0 && value <= 1))
    throw usage(`${flag} must be a number from 0 to 1, got '${text}'`);
  return value;
}

function oneOf<T extends string>(
  flag: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) {
    throw usage(`${flag} must be one of ${allowed.join(", ")}, got '${text}'`);
  }
  return text as T;
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined
    ? undefined
    : text
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
}

/** The warehouse's feature table through a read-only connection (the jobs process owns the file). */
async function readWarehouse(path: string, target: PredictTarget) {
  if (!existsSync(path)) {
    throw usage(
      `no warehouse at ${path} (the jobs process creates it; pass --input FILE to analyse a file)`,
    );
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  } catch (error) {
    throw new CliError(
      `predict: cannot open ${path} read-only (${(error as Error).message.split("\n")[0]}); while the jobs process holds it, the daily predict job writes the drivers and risk scores to InfluxDB`,
    );
  }
  const connection = await instance.connect();
  const reader: WarehouseReader = {
    async all<T>(sql: string, params: Record<string, SqlValue> = {}) {
      const result = await connection.runAndReadAll(sql, params);
      return result.getRowObjectsJS() as T[];
    },
  };
  try {
    const features = await readWarehouseFeatures(reader, target);
    const designators = await readDesignatorRecords(reader, target, MIN_DESIGNATOR_DEFECTS);
    return { ...features, designators };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// ---- table -------------------------------------------------------------------------------------

function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

function driverLine(rank: number, driver: Driver): string {
  const mark = driver.q < 0.05 ? "*" : " ";
  return `${String(rank).padStart(3)}.${mark} ${driver.summary}`;
}

function table(
  report: PredictReport & { designatorDrivers?: DesignatorDriver[] },
  source: string,
  top: number,
): string {
  const lines = [
    `predict ${report.target === "any" ? "any test" : report.target.toUpperCase()} · ${source} · ${report.n.toLocaleString("en-US")} units with an outcome, ${report.positives.toLocaleString("en-US")} failed (${percent(report.positives / report.n)}), ${report.untested.toLocaleString("en-US")} not yet tested`,
  ];
  const { cv, timeSplit, model } = report;
  if (cv) {
    lines.push(
      `model    L2 logistic, ${model.columns} columns, C = ${model.c.toPrecision(2)} · nested CV (${cv.k}-fold × ${cv.repeats}, inner ${cv.innerFolds}-fold): ROC AUC ${fixed(cv.auc)} ± ${fixed(cv.aucSd)}, PR AUC ${fixed(cv.prAuc)} (base rate ${fixed(report.positives / report.n)}), Brier ${fixed(cv.brier, 4)} (base rate alone ${fixed(cv.brierBaseRate, 4)})`,
    );
  } else {
    lines.push(
      `model    L2 logistic, ${model.columns} columns, C = ${model.c.toPrecision(2)} · not cross-validated`,
    );
  }
  if (timeSplit) {
    lines.push(
      `         time-ordered: trained on the earliest ${timeSplit.trainUnits.toLocaleString("en-US")}, tested on the latest ${timeSplit.testUnits.toLocaleString("en-US")} (${timeSplit.testFailed} failed): ROC AUC ${fixed(timeSplit.auc)}, PR AUC ${fixed(timeSplit.prAuc)}`,
    );
  }
  lines.push("");
  const shown = report.drivers.slice(0, top);
  const found = report.drivers.filter((d) => d.q < 0.05).length;
  lines.push(
    `drivers  ${found} of ${report.drivers.length} features at q < 0.05 (*), strongest evidence first; measured values compare their upper (or lower) quartile with the rest`,
  );
  for (const [i, driver] of shown.entries()) lines.push(driverLine(i + 1, driver));
  if (report.drivers.length > shown.length) {
    lines.push(`     ... ${report.drivers.length - shown.length} more (--top N, or --format json)`);
  }
  const designators = report.designatorDrivers ?? [];
  if (designators.length > 0) {
    lines.push("");
    lines.push(
      `at designators  ${designators.filter((d) => d.q < 0.05).length} of ${designators.length} at q < 0.05: defects the test called at a reference designator against that designator's lot, supplier and SPI pads`,
    );
    for (const [i, driver] of designators.slice(0, top).entries()) {
      lines.push(driverLine(i + 1, driver));
    }
  }
  if (report.untested > 0) {
    lines.push("");
    const { atRisk, threshold } = report.risk;
    lines.push(
      `at risk  ${atRisk.length} of ${report.untested} untested units score ${threshold} or more`,
    );
    for (const unit of atRisk.slice(0, top)) lines.push(`     ${unit.id}  ${fixed(unit.score)}`);
  }
  if (report.notes.length > 0) {
    lines.push("");
    lines.push("notes");
    for (const note of report.notes) lines.push(`     ${note}`);
  }
  return `${lines.join("\n")}\n`;
}

// ---- command -----------------------------------------------------------------------------------

async function runPredictCli(options: PredictCliOptions): Promise<string> {
  const format = options.format;
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usage(`unknown --format '${format}' (expected one of: ${FORMATS.join(", ")})`);
  }
  const target = (options.target ?? "any") as PredictTarget;
  if (!PREDICT_TARGETS.includes(target)) {
    throw usage(
      `unknown --target '${options.target}' (expected one of: ${PREDICT_TARGETS.join(", ")})`,
    );
  }
  if (options.input === undefined) {
    for (const flag of ["label", "time", "id", "categorical"] as const) {
      if (options[flag] !== undefined) throw usage(`--${flag} needs --input`);
    }
  } else if (options.label === undefined) {
    throw usage("--input needs --label COL (the outcome column: 1/0, true/false, fail/pass)");
  }
  const top = count("--top", options.top, 1) as number;
  const predictOptions: Partial<PredictOptions> = {
    target,
    folds: count("--folds", options.folds, 2),
    repeats: count("--repeats", options.repeats, 1),
    seed: count("--seed", options.seed, 0),
    riskThreshold: positive("--risk-threshold", options.riskThreshold),
    clipSd: positive("--clip-sd", options.clipSd),
    scaling: oneOf("--scaling", options.scaling, ["standard", "rank"] as const),
    extremes: options.extremes,
    l1Ratio: share("--l1-ratio", options.l1Ratio),
    classWeight: oneOf("--class-weight", options.classWeight, ["none", "balanced"] as const),
    driversOnly: options.driversOnly,
  };

  try {
    let columns: UnitColumns;
    let spec: Parameters<typeof buildDataset>[1];
    let source: string;
    let designators: DesignatorRecord[] = [];
    if (options.input !== undefined) {
      columns = await readUnitFile(options.input);
      spec = {
        label: options.label as string,
        id: options.id,
        time: options.time,
        exclude: list(options.exclude),
        categorical: list(options.categorical),
      };
      source = options.input;
    } else {
      const path =
        options.warehouse ?? join(resolve(loadConfig().config.dataDir), "warehouse.duckdb");
      const features = await readWarehouse(path, target);
      columns = features.columns;
      spec = {
        label: features.label,
        id: features.id,
        time: features.time,
        exclude: [...features.exclude, ...(list(options.exclude) ?? [])],
      };
      source = `${path} unit_features`;
      designators = features.designators;
    }
    const dataset = buildDataset(columns, spec);
    const words =
      options.input !== undefined && options.target === undefined
        ? outcomeWords(target, spec.label)
        : outcomeWords(target);
    const { report } = analyse(dataset, predictOptions, words);
    const designatorDrivers =
      designators.length > 0
        ? findDesignatorDrivers(
            designators,
            {
              confidence: predictOptions.confidence ?? DEFAULT_PREDICT_OPTIONS.confidence,
              minLevelUnits: DEFAULT_PREDICT_OPTIONS.minLevelUnits,
            },
            (ref) => designatorWords(target, ref),
          ).drivers
        : undefined;
    const full = designatorDrivers === undefined ? report : { ...report, designatorDrivers };
    return format === "json" ? `${JSON.stringify(full, null, 2)}\n` : table(full, source, top);
  } catch (error) {
    if (error instanceof PredictError)
      throw new CliError(`predict: ${error.message}`, error.reason === "bad-option" ? USAGE : 1);
    throw error;
  }
}

/** `tracebox predict`: defect drivers, model quality and risk of untested units. */
export const predictCommand: CommandModule = (program) => {
  program
    .command("predict")
    .description(
      "why boards fail a test: ranked drivers with effect sizes and q-values, a cross-validated risk model, and the risk of boards not yet tested",
    )
    .option("--target <test>", `${PREDICT_TARGETS.join(", ")} (default any)`)
    .option(
      "--input <file>",
      "CSV or Parquet of units, one row each (default: the warehouse's unit_features)",
    )
    .option(
      "--label <col>",
      "outcome column of --input: 1/0, 1/-1, true/false, fail/pass; empty = not yet tested",
    )
    .option("--time <col>", "time column of --input, for the time-ordered split")
    .option("--id <col>", "unit id column of --input (default serial when present)")
    .option(
      "--exclude <cols>",
      "comma-separated columns that are not features (known only after the test)",
    )
    .option("--categorical <cols>", "comma-separated numeric columns to read as categories")
    .option("--warehouse <file>", "DuckDB warehouse to read (default <dataDir>/warehouse.duckdb)")
    .option("--folds <k>", "outer cross-validation folds (default 5)")
    .option("--repeats <n>", "outer cross-validation repeats (default 5)")
    .option("--seed <n>", "seed of the fold shuffles (default 1)")
    .option(
      "--risk-threshold <p>",
      "probability of failing from which an untested unit is at risk (default 0.1)",
    )
    .option(
      "--clip-sd <k>",
      "clip standardised values at ± k training SDs (default inf: no clipping)",
    )
    .option(
      "--scaling <how>",
      "standard ((x − mean) / SD) or rank (normal scores, robust to outliers); default standard",
    )
    .option(
      "--extremes",
      "add each measured value's distance from its training median (a cause on both sides of a window)",
    )
    .option(
      "--l1-ratio <r>",
      "share of the penalty on absolute weights, 0 (ridge) to 1 (lasso); default 0",
    )
    .option("--class-weight <w>", "none or balanced (failing units weighted up); default none")
    .option("--drivers-only", "skip the cross-validation (drivers and the risk model only)")
    .option("--top <n>", "drivers and units listed by --format table", "15")
    .option("--format <format>", "json or table", "table")
    .action(async (options: PredictCliOptions) => {
      process.stdout.write(await runPredictCli(options));
    });
};
