export { JOB_CATALOG, type JobContext } from "./catalog.ts";
export {
  DEFAULT_SCHEDULES,
  type JobName,
  JobsConfigError,
  type JobsSection,
  parseJobsSection,
} from "./config.ts";
export { type JobsProcess, jobRunLine, startJobs } from "./process.ts";
export { Scheduler, type SchedulerOptions } from "./scheduler.ts";
export type { Job, JobResult, JobRun } from "./types.ts";
