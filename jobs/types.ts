import type { Logger } from "pino";

/** What one run did: rows read and rows written. */
export interface JobResult {
  rowsIn: number;
  rowsOut: number;
}

/** A scheduled job: a name, a cron schedule (seconds allowed) and a run. */
export interface Job<Context = unknown> {
  name: string;
  /** node-cron expression; six fields means the first one is seconds. */
  schedule: string;
  /**
   * Jobs of one lane run one at a time, on that lane's own warehouse connection; lanes run side by
   * side. Default "live" (sync, spc, features, yield: the 30 s path); the long nightly jobs have a
   * lane of their own, so the live path does not wait for them.
   */
  lane?: string;
  run(ctx: Context & { log: Logger; signal: AbortSignal }): Promise<JobResult>;
}

/** One run as recorded in the warehouse `job_run` table and in the metrics. */
export interface JobRun {
  job: string;
  startedAt: number;
  endedAt: number;
  rowsIn: number;
  rowsOut: number;
  /** skipped-overlap: the job was running or waiting; skipped-stopping: its turn came after stop(). */
  status: "ok" | "failed" | "skipped-overlap" | "skipped-stopping";
  error?: string;
}
