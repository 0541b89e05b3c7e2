import { analyse, type RiskScore } from "./analyse.ts";
import { buildDataset, type Dataset } from "./dataset.ts";
import { type DesignatorDriver, findDesignatorDrivers } from "./designators.ts";
import { PredictError } from "./errors.ts";
import { driverLines, riskLines } from "./lines.ts";
import {
  DEFAULT_PREDICT_OPTIONS,
  PREDICT_TARGETS,
  type PredictOptions,
  type PredictTarget,
  resolvePredictOptions,
} from "./options.ts";
import {
  type FeatureTableLayout,
  readDesignatorRecords,
  readWarehouseFeatures,
  type WarehouseReader,
} from "./read.ts";
import { designatorWords } from "./words.ts";

/** What the daily predict job does, on top of {@link PredictOptions}. */
export interface RunPredictOptions extends Omit<PredictOptions, "target"> {
  /** Test steps to train for; one without an outcome column in the feature table is skipped. Default all of aoi, axi, ict, fct, any. */
  targets: readonly PredictTarget[];
  /** Where the feature table is and what its columns are called. Default `unit_features` (serial, ts, `<kind>_fail`). */
  layout: Partial<FeatureTableLayout>;
  /** Drivers written per target, strongest first. Default 50. */
  driversWritten: number;
  /** Line-protocol lines per InfluxDB write. Default 5000. */
  batchSize: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now: () => number;
  /** Fewest defects the target's test must have called at a reference designator for its lineage drivers (`unit_designator`); 0 turns them off. Default 5. */
  minDesignatorDefects: number;
}

export const DEFAULT_RUN_PREDICT_OPTIONS: Readonly<RunPredictOptions> = Object.freeze({
  ...DEFAULT_PREDICT_OPTIONS,
  // A daily job on a shared machine: one repeat of the outer CV is enough to watch the model's
  // quality drift; the five repeats of the published protocol are for `tracebox predict`.
  repeats: 1,
  targets: PREDICT_TARGETS,
  layout: Object.freeze({}),
  driversWritten: 50,
  batchSize: 5000,
  now: () => Date.now(),
  minDesignatorDefects: 5,
});

/** What the job needs: the warehouse to read, InfluxDB to write, and its options. */
export interface PredictJobContext {
  warehouse: WarehouseReader;
  influx: { write(lines: readonly string[]): Promise<void> };
  /** Stops between targets when aborted. */
  signal?: AbortSignal;
  options?: Partial<RunPredictOptions>;
}

/** One target's run, for the job's record. */
export interface TargetRun {
  target: PredictTarget;
  units: number;
  failed: number;
  untested: number;
  cvAuc: number | null;
  timeSplitAuc: number | null;
  drivers: number;
  /** Drivers of defects at a reference designator (lineage by designator), strongest first. */
  designatorDrivers: DesignatorDriver[];
}

export interface PredictRunResult {
  /** Units read from the feature table (per target trained). */
  rowsIn: number;
  /** Line-protocol lines written (drivers and risk scores). */
  rowsOut: number;
  targets: TargetRun[];
  /** Targets not trained, and why (no outcome column, one class only...). */
  skipped: { target: PredictTarget; reason: string }[];
  /** Untested units at or above the risk threshold, highest first: for the caller to raise alerts. */
  atRisk: (RiskScore & { target: PredictTarget })[];
}

function resolveRunOptions(options: Partial<RunPredictOptions>): RunPredictOptions {
  const merged: RunPredictOptions = { ...DEFAULT_RUN_PREDICT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  const { targets, layout, driversWritten, batchSize, now, minDesignatorDefects, ...predict } =
    merged;
  resolvePredictOptions(predict);
  const check = (ok: boolean, field: string, value: unknown, expected: string) => {
    if (!ok)
      throw new PredictError("bad-option", `${field} must be ${expected}, got ${String(value)}`);
  };
  check(
    Array.isArray(targets) &&
      targets.length > 0 &&
      targets.every((t) => PREDICT_TARGETS.includes(t)),
    "targets",
    JSON.stringify(targets),
    `a non-empty list of ${PREDICT_TARGETS.join(", ")}`,
  );
  check(
    Number.isInteger(driversWritten) && driversWritten >= 0,
    "driversWritten",
    driversWritten,
    "an integer >= 0",
  );
  check(Number.isInteger(batchSize) && batchSize >= 1, "batchSize", batchSize, "an integer >= 1");
  check(typeof now === "function", "now", typeof now, "a function");
  check(
    Number.isInteger(minDesignatorDefects) && minDesignatorDefects >= 0,
    "minDesignatorDefects",
    minDesignatorDefects,
    "an integer >= 0",
  );
  return merged;
}

/** The one value every unit shares, else "all". */
function common(dataset: Dataset, name: "site" | "line"): string | undefined {
  const values = dataset.attributes[name];
  if (values === undefined) return undefined;
  const distinct = new Set(values.filter((v) => v !== null));
  return distinct.size === 1 ? ([...distinct][0] as string) : "all";
}

/**
 * The daily predict job: for each target, reads the warehouse's feature table, finds the drivers,
 * judges and fits the risk model, and writes `defect_driver` and `risk` points to InfluxDB. A
 * target that cannot be trained (no outcome column, one class) is skipped with its reason; when
 * the feature table itself is missing, the PredictError (`features-unavailable`, retryable) is thrown.
 */
export async function runPredict(ctx: PredictJobContext): Promise<PredictRunResult> {
  const o = resolveRunOptions(ctx.options ?? {});
  const result: PredictRunResult = { rowsIn: 0, rowsOut: 0, targets: [], skipped: [], atRisk: [] };
  const at = o.now();
  for (const target of o.targets) {
    if (ctx.signal?.aborted) break;
    let features: Awaited<ReturnType<typeof readWarehouseFeatures>>;
    try {
      features = await readWarehouseFeatures(ctx.warehouse, target, o.layout);
    } catch (error) {
      // A missing outcome column skips one target; a missing table stops the job.
      if (error instanceof PredictError && error.reason === "no-outcome") {
        result.skipped.push({ target, reason: error.message });
        continue;
      }
      throw error;
    }
    const dataset = buildDataset(features.columns, {
      label: features.label,
      id: features.id,
      time: features.time,
      exclude: features.exclude,
    });
    result.rowsIn += dataset.ids.length;
    let run: ReturnType<typeof analyse>;
    try {
      run = analyse(dataset, { ...o, target });
    } catch (error) {
      if (
        error instanceof PredictError &&
        (error.reason === "single-class" ||
          error.reason === "no-features" ||
          error.reason === "bad-input")
      ) {
        result.skipped.push({ target, reason: error.message });
        continue;
      }
      throw error;
    }
    const designatorDrivers =
      o.minDesignatorDefects > 0
        ? findDesignatorDrivers(
            await readDesignatorRecords(
              ctx.warehouse,
              target,
              o.minDesignatorDefects,
              o.layout.designatorTable,
            ),
            { confidence: o.confidence, minLevelUnits: o.minLevelUnits },
            (ref) => designatorWords(target, ref),
          ).drivers
        : [];
    const stamp = { target, at, site: common(dataset, "site"), line: common(dataset, "line") };
    const lines = [
      ...driverLines(run.report.drivers.slice(0, o.driversWritten), stamp),
      ...driverLines(designatorDrivers.slice(0, o.driversWritten), stamp),
      ...riskLines(run.scores, stamp),
    ];
    for (let i = 0; i < lines.length; i += o.batchSize) {
      await ctx.influx.write(lines.slice(i, i + o.batchSize));
    }
    result.rowsOut += lines.length;
    result.atRisk.push(...run.report.risk.atRisk.map((s) => ({ ...s, target })));
    result.targets.push({
      target,
      units: run.report.n,
      failed: run.report.positives,
      untested: run.report.untested,
      cvAuc: run.report.cv?.auc ?? null,
      timeSplitAuc: run.report.timeSplit?.auc ?? null,
      drivers: run.report.drivers.length,
      designatorDrivers,
    });
  }
  result.atRisk.sort((a, b) => b.score - a.score);
  return result;
}
