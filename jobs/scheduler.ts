import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Job, JobResult, JobRun } from "./types.ts";

export interface SchedulerOptions<Context> {
  jobs: Job<Context>[];
  context: Context;
  registry: Registry;
  log: Logger;
  /** The context of one job, when lanes differ (their own warehouse connection); default `context`. */
  contextFor?(job: Job<Context>): Context;
  /** Stores each finished run (the warehouse `job_run` table); a failure to record is logged, not fatal. */
  record?(run: JobRun, job: Job<Context>): Promise<void>;
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
}

/**
 * Runs jobs on their cron schedules, one at a time per lane (`Job.lane`, default "live"): the jobs
 * of a lane share one DuckDB connection, and two transactions on one connection are one
 * transaction (at second 20 the features job and the sync used to start together and both
 * failed). A job whose tick comes while another of its lane runs waits its turn, in tick order;
 * lanes run side by side, so the nightly archive and predict do not hold up the live sync and SPC.
 * A job never overlaps itself (a tick that finds it running or waiting is skipped and counted); a
 * failing job does not stop the others; `stop()` stops the schedules, lets the running jobs finish
 * and drops the waiting ones.
 */
export class Scheduler<Context> {
  private readonly tasks: ScheduledTask[] = [];
  /** Jobs running or waiting for their turn. */
  private readonly running = new Map<string, Promise<JobRun>>();
  /** Per lane, settles when the last job queued so far has finished: the next one waits for it. */
  private readonly turns = new Map<string, Promise<unknown>>();
  /** Runs asked for so far, and how many of the first ones `stop()` dropped if still waiting. */
  private asked = 0;
  private droppedBefore = 0;
  private readonly abort = new AbortController();
  private readonly runs: Counter<"job" | "status">;
  private readonly duration: Histogram<"job">;
  private readonly rows: Counter<"job" | "direction">;
  private readonly lastSuccess: Gauge<"job">;
  private readonly busy: Gauge<"job">;
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions<Context>) {
    const registers = [options.registry];
    this.runs = new Counter({
      name: "tracebox_job_runs_total",
      help: "Job runs by outcome (ok, failed, skipped-overlap, skipped-stopping).",
      labelNames: ["job", "status"] as const,
      registers,
    });
    this.duration = new Histogram({
      name: "tracebox_job_duration_seconds",
      help: "Duration of a job run.",
      labelNames: ["job"] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    });
    this.rows = new Counter({
      name: "tracebox_job_rows_total",
      help: "Rows read (in) and written (out) by jobs.",
      labelNames: ["job", "direction"] as const,
      registers,
    });
    this.lastSuccess = new Gauge({
      name: "tracebox_job_last_success_timestamp_seconds",
      help: "When each job last succeeded.",
      labelNames: ["job"] as const,
      registers,
    });
    this.busy = new Gauge({
      name: "tracebox_job_running",
      help: "1 while the job runs.",
      labelNames: ["job"] as const,
      registers,
    });
    this.now = options.now ?? Date.now;
    for (const job of options.jobs) {
      if (!cron.validate(job.schedule))
        throw new Error(
          `job ${job.name}: schedule ${JSON.stringify(job.schedule)} is not a valid cron expression`,
        );
      this.runs.inc({ job: job.name, status: "ok" }, 0);
      this.runs.inc({ job: job.name, status: "failed" }, 0);
    }
  }

  /** Starts every schedule. */
  start(): void {
    for (const job of this.options.jobs) {
      const task = cron.schedule(
        job.schedule,
        () => {
          void this.runNow(job.name);
        },
        { name: job.name, noOverlap: false },
      );
      this.tasks.push(task);
    }
  }

  /** Runs one job now (unless it is already running: then that run is skipped and reported). */
  runNow(name: string): Promise<JobRun> {
    const job = this.options.jobs.find((j) => j.name === name);
    if (!job)
      return Promise.reject(
        new Error(`no job named ${name}; jobs: ${this.options.jobs.map((j) => j.name).join(", ")}`),
      );
    const current = this.running.get(name);
    if (current) {
      this.runs.inc({ job: name, status: "skipped-overlap" });
      const t = this.now();
      return Promise.resolve({
        job: name,
        startedAt: t,
        endedAt: t,
        rowsIn: 0,
        rowsOut: 0,
        status: "skipped-overlap",
      });
    }
    const lane = job.lane ?? "live";
    const previous = this.turns.get(lane) ?? Promise.resolve();
    const ticket = this.asked++;
    const go = () => (ticket < this.droppedBefore ? this.dropped(job) : this.execute(job));
    // Whatever became of the run before, this one gets its turn.
    const run = previous.then(go, go).finally(() => this.running.delete(name));
    this.turns.set(lane, run);
    this.running.set(name, run);
    return run;
  }

  /** A run that never started: it was still waiting when `stop()` came. Counted, not recorded. */
  private dropped(job: Job<Context>): JobRun {
    this.runs.inc({ job: job.name, status: "skipped-stopping" });
    const t = this.now();
    return {
      job: job.name,
      startedAt: t,
      endedAt: t,
      rowsIn: 0,
      rowsOut: 0,
      status: "skipped-stopping",
    };
  }

  private async execute(job: Job<Context>): Promise<JobRun> {
    const { log } = this.options;
    const startedAt = this.now();
    const end = this.duration.startTimer({ job: job.name });
    this.busy.set({ job: job.name }, 1);
    let run: JobRun;
    try {
      const result: JobResult = await job.run({
        ...(this.options.contextFor?.(job) ?? this.options.context),
        log: log.child({ job: job.name }),
        signal: this.abort.signal,
      });
      run = {
        job: job.name,
        startedAt,
        endedAt: this.now(),
        rowsIn: result.rowsIn,
        rowsOut: result.rowsOut,
        status: "ok",
      };
      this.rows.inc({ job: job.name, direction: "in" }, result.rowsIn);
      this.rows.inc({ job: job.name, direction: "out" }, result.rowsOut);
      this.lastSuccess.set({ job: job.name }, run.endedAt / 1000);
      log.info(
        {
          job: job.name,
          rowsIn: result.rowsIn,
          rowsOut: result.rowsOut,
          ms: run.endedAt - startedAt,
        },
        "job done",
      );
    } catch (error) {
      run = {
        job: job.name,
        startedAt,
        endedAt: this.now(),
        rowsIn: 0,
        rowsOut: 0,
        status: "failed",
        error: error instanceof Error ? error.message : String(error),
      };
      log.error({ job: job.name, err: error }, "job failed");
    } finally {
      end();
      this.busy.set({ job: job.name }, 0);
    }
    this.runs.inc({ job: job.name, status: run.status });
    try {
      await this.options.record?.(run, job);
    } catch (error) {
      log.warn({ job: job.name, message: (error as Error).message }, "job run not recorded");
    }
    return run;
  }

  /** Stops the schedules; running jobs finish (they see `signal` aborted and may stop early at a safe point). */
  async stop(options: { abortRunning?: boolean } = {}): Promise<void> {
    for (const task of this.tasks) await task.stop();
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
    // What waits now is dropped; a run asked for afterwards (a final pass) runs.
    this.droppedBefore = this.asked;
    if (options.abortRunning) this.abort.abort();
    await Promise.allSettled(this.running.values());
  }
}
