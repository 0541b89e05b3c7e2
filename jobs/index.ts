export { Scheduler, type SchedulerOptions } from "./scheduler.ts";
export type { Job, JobResult, JobRun } from "./types.ts";
