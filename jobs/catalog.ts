import { join, resolve } from "node:path";
import type { Alert } from "../alerts/index.ts";
import { runPredict } from "../analytics/predict/index.ts";
import { parseSpcSection, runSpc } from "../analytics/spc-job/index.ts";
import {
  archiveOlderThan,
  buildUnitFeatures,
  syncFromInflux,
  type Warehouse,
} from "../analytics/warehouse/index.ts";
import { runYield } from "../analytics/yield/index.ts";
import type { Config } from "../config/index.ts";
import type { InfluxClient } from "../influx/index.ts";
import type { JobName, JobsSection } from "./config.ts";
import type { Job } from "./types.ts";

/** What every job can use: the warehouse it owns, InfluxDB, the configuration and the alert sinks. */
export interface JobContext {
  warehouse: Warehouse;
  influx: InfluxClient;
  config: Config;
  jobs: JobsSection & { schedules: Record<JobName, string> };
  /** Sends an alert (an SPC violation, a high-risk unit) through the live alerts' sinks. */
  sendAlert(alert: Alert): void;
  /**
   * Runs `work` alone among all lanes' work of the same `key`: two lanes replacing the same tables
   * at once would fail on DuckDB's catalog write-write conflict. With `ifFree`, resolves undefined
   * at once instead of waiting when another holds the key (a live job must not wait for a nightly one).
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  exclusive<T>(
    key: string,
    work: () => Promise<T>,
    options: { ifFree: true },
  ): Promise<T | undefined>;
}

/** What rebuilds the per-unit feature tables (the features job, and predict before it trains). */
const UNIT_FEATURES = "unit-features";

type JobFactory = (schedule: string) => Job<JobContext>;

/** The lane of the long daily jobs: beside the live one (sync, spc, features, yield), not before it. */
export const NIGHTLY_LANE = "nightly";

/** Every job tracebox runs; adding one is one entry here. */
export const JOB_CATALOG: Partial<Record<JobName, JobFactory>> = {
  sync: (schedule) => ({
    name: "sync",
    schedule,
    async run(ctx) {
      const lateWindowMs = ctx.jobs.sync?.lateWindowMs;
      const result = await syncFromInflux(ctx.warehouse, ctx.influx, {
        ...(lateWindowMs === undefined ? {} : { lateWindowMs }),
        signal: ctx.signal,
      });
      return { rowsIn: result.rowsIn, rowsOut: result.rowsOut };
    },
  }),
  spc: (schedule) => ({
    name: "spc",
    schedule,
    async run(ctx) {
      const spc = parseSpcSection(ctx.config.sections.spc);
      const result = await runSpc({
        warehouse: ctx.warehouse,
        influx: ctx.influx,
        characteristics: spc.characteristics,
        options: spc.options,
        send: ctx.sendAlert,
        now: Date.now,
        log: ctx.log,
      });
      return { rowsIn: result.rowsIn, rowsOut: result.rowsOut };
    },
  }),
  features: (schedule) => ({
    name: "features",
    schedule,
    async run(ctx) {
      // While predict rebuilds the same tables (nightly), this tick is skipped rather than have
      // the live lane wait for it: that build brings the tables up to date as well.
      const built = await ctx.exclusive(UNIT_FEATURES, () => buildUnitFeatures(ctx.warehouse), {
        ifFree: true,
      });
      if (built === undefined) {
        ctx.log.info("feature tables being rebuilt by another job; skipped");
        return { rowsIn: 0, rowsOut: 0 };
      }
      return { rowsIn: built.units, rowsOut: built.units };
    },
  }),
  archive: (schedule) => ({
    name: "archive",
    schedule,
    lane: NIGHTLY_LANE,
    async run(ctx) {
      const days = ctx.jobs.archive?.olderThanDays;
      const lateWindowMs = ctx.jobs.sync?.lateWindowMs;
      const result = await archiveOlderThan(
        ctx.warehouse,
        join(resolve(ctx.config.dataDir), "archive"),
        {
          ...(days === undefined ? {} : { olderThanMs: days * 86_400_000 }),
          ...(lateWindowMs === undefined ? {} : { lateWindowMs }),
        },
      );
      return { rowsIn: result.rowsIn, rowsOut: result.rowsOut };
    },
  }),
  predict: (schedule) => ({
    name: "predict",
    schedule,
    lane: NIGHTLY_LANE,
    async run(ctx) {
      // Trained on the freshest per-unit features.
      await ctx.exclusive(UNIT_FEATURES, () => buildUnitFeatures(ctx.warehouse));
      const startedAt = Date.now();
      const threshold = ctx.jobs.predict?.riskThreshold;
      // One snapshot for every read: the features job may replace the tables meanwhile.
      const result = await ctx.warehouse.transaction(() =>
        runPredict({
          warehouse: ctx.warehouse,
          influx: ctx.influx,
          signal: ctx.signal,
          options: threshold === undefined ? {} : { riskThreshold: threshold },
        }),
      );
      for (const unit of result.atRisk) {
        ctx.sendAlert({
          id: `risk-${unit.target}/${unit.id}/${startedAt}`,
          rule: `risk-${unit.target}`,
          characteristic: `risk.${unit.target}`,
          state: "raised",
          value: unit.score,
          limit: threshold ?? 0.1,
          ts: startedAt,
          site: unit.site ?? "-",
          line: unit.line ?? "-",
          station: "predict",
          serials: [unit.id],
          source: "predict",
        });
      }
      return { rowsIn: result.rowsIn, rowsOut: result.rowsOut };
    },
  }),
  yield: (schedule) => ({
    name: "yield",
    schedule,
    async run(ctx) {
      const lookbackMs = ctx.jobs.yield?.lookbackMs;
      const result = await runYield(
        ctx.warehouse,
        ctx.influx,
        lookbackMs === undefined ? {} : { lookbackMs },
      );
      return { rowsIn: result.rowsIn, rowsOut: result.rowsOut };
    },
  }),
};
