import type { Alert } from "../alerts/index.ts";
import { parseSpcSection, runSpc } from "../analytics/spc-job/index.ts";
import { syncFromInflux, type Warehouse } from "../analytics/warehouse/index.ts";
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
}

type JobFactory = (schedule: string) => Job<JobContext>;

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
