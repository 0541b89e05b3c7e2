import { join, resolve } from "node:path";
import { Point } from "@influxdata/influxdb-client";
import { Registry } from "prom-client";
import { type AlertService, startAlerts } from "../alerts/index.ts";
import { parseSpcSection } from "../analytics/spc-job/index.ts";
import { Warehouse } from "../analytics/warehouse/index.ts";
import { type Config, createLogger, startStatusServer } from "../config/index.ts";
import { createInfluxClient, influxOptionsFrom } from "../influx/index.ts";
import { JOB_CATALOG, type JobContext } from "./catalog.ts";
import { type JobName, parseJobsSection } from "./config.ts";
import { Scheduler } from "./scheduler.ts";
import type { Job, JobRun } from "./types.ts";

/** The running jobs process: owns the warehouse, runs the schedules, serves its metrics. */
export interface JobsProcess {
  scheduler: Scheduler<JobContext>;
  /** The warehouse this process owns (for `--once` callers and tests; never open it elsewhere). */
  warehouse: Warehouse;
  jobs: Job<JobContext>[];
  statusUrl: string | undefined;
  stop(): Promise<void>;
}

/** A job run as a point of `tracebox_job`, for the pipeline-health dashboard. */
export function jobRunLine(run: JobRun): string {
  return new Point("tracebox_job")
    .tag("job", run.job)
    .tag("status", run.status)
    .floatField("duration_s", (run.endedAt - run.startedAt) / 1000)
    .intField("rows_in", run.rowsIn)
    .intField("rows_out", run.rowsOut)
    .stringField("error", run.error ?? "")
    .timestamp(String(run.endedAt))
    .toLineProtocol() as string;
}

/**
 * Opens `<dataDir>/warehouse.duckdb` (this process is its one writer), connects InfluxDB and the
 * alert sinks, and builds the jobs. `serve` starts the schedules and the status endpoint; without
 * it the caller runs jobs by hand (`--once`).
 */
export async function startJobs(
  config: Config,
  options: { only?: JobName[]; serve: boolean },
): Promise<JobsProcess> {
  const log = createLogger("jobs", config.logLevel);
  const section = parseJobsSection(config.sections.jobs);
  // Validated at start, not at the first run: a bad characteristic stops the process with its field named.
  parseSpcSection(config.sections.spc);
  const warehouse = await Warehouse.open(join(resolve(config.dataDir), "warehouse.duckdb"));
  const influx = createInfluxClient(influxOptionsFrom(config));
  const registry = new Registry();
  const names = (Object.keys(JOB_CATALOG) as JobName[]).filter(
    (n) => !options.only || options.only.includes(n),
  );
  let alerts: AlertService | undefined;
  if (names.some((n) => n === "spc" || n === "predict")) {
    alerts = await startAlerts({
      section: config.sections.alerts,
      mqtt: {
        url: config.mqttUrl,
        clientId: `${config.mqttClientId}-jobs`,
        username: config.mqttUsername,
        password: config.mqttPassword,
        ca: config.mqttCa,
        cert: config.mqttCert,
        key: config.mqttKey,
      },
      influx,
      registry,
      log: log.child({ part: "alerts" }),
    });
  }
  const jobs = names.map((n) =>
    (JOB_CATALOG[n] as NonNullable<(typeof JOB_CATALOG)[JobName]>)(section.schedules[n]),
  );
  const held = new Map<string, { last: Promise<unknown>; holders: number }>();
  function exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  function exclusive<T>(
    key: string,
    work: () => Promise<T>,
    options: { ifFree: true },
  ): Promise<T | undefined>;
  function exclusive<T>(
    key: string,
    work: () => Promise<T>,
    options?: { ifFree: true },
  ): Promise<T | undefined> {
    const state = held.get(key) ?? { last: Promise.resolve(), holders: 0 };
    if (options?.ifFree && state.holders > 0) return Promise.resolve(undefined);
    state.holders += 1;
    const run = state.last.then(work, work).finally(() => {
      state.holders -= 1;
    });
    state.last = run.catch(() => undefined);
    held.set(key, state);
    return run;
  }
  const context: JobContext = {
    warehouse,
    influx,
    config,
    jobs: section,
    sendAlert: (alert) => (alerts ? alerts.send(alert) : log.warn({ alert }, "alert with no sink")),
    exclusive,
  };
  // Every lane but the live one gets a connection of its own: its transactions run beside the
  // live lane's (one connection's statements are one transaction).
  const lanes = new Map<string, JobContext>([["live", context]]);
  for (const job of jobs) {
    const lane = job.lane ?? "live";
    if (!lanes.has(lane)) lanes.set(lane, { ...context, warehouse: await warehouse.connect() });
  }
  const contextFor = (job: Job<JobContext>) => lanes.get(job.lane ?? "live") ?? context;
  const scheduler = new Scheduler<JobContext>({
    jobs,
    context,
    contextFor,
    registry,
    log,
    async record(run, job) {
      // On the job's own connection: the other lane may be inside a transaction on its one.
      await contextFor(job).warehouse.run(
        "INSERT INTO job_run (job, started_at, ended_at, rows_in, rows_out, status, error) VALUES ($job, $started, $ended, $in, $out, $status, $error)",
        {
          job: run.job,
          started: BigInt(run.startedAt),
          ended: BigInt(run.endedAt),
          in: BigInt(run.rowsIn),
          out: BigInt(run.rowsOut),
          status: run.status,
          error: run.error ?? null,
        },
      );
      await influx
        .write([jobRunLine(run)])
        .catch((error: Error) =>
          log.warn({ message: error.message }, "job run not written to InfluxDB"),
        );
    },
  });

  try {
    await influx.ensureDatabase();
  } catch (error) {
    log.warn(
      { message: (error as Error).message },
      "InfluxDB not ready; jobs will retry on their schedules",
    );
  }
  let status: Awaited<ReturnType<typeof startStatusServer>> | undefined;
  if (options.serve) {
    status = await startStatusServer({
      host: config.httpHost,
      port: config.jobsHttpPort,
      registry,
      health: () => ({
        healthy: true,
        detail: { jobs: jobs.map((j) => ({ name: j.name, schedule: j.schedule })) },
      }),
    });
    scheduler.start();
    log.info(
      { jobs: jobs.map((j) => `${j.name} ${j.schedule}`), warehouse: warehouse.path },
      "jobs scheduled",
    );
  }

  return {
    scheduler,
    warehouse,
    jobs,
    statusUrl: status?.url,
    async stop() {
      await scheduler.stop();
      await status?.close();
      await alerts?.stop();
      for (const lane of lanes.values()) if (lane !== context) lane.warehouse.close();
      warehouse.close();
    },
  };
}
