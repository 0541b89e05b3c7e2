import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Cron = Type.String({
  minLength: 9,
  description: "a cron expression (six fields: seconds first)",
});

export const JobsSectionSchema = Type.Object(
  {
    /** The jobs process's metrics port is an option (`jobs.httpPort`), read by the config module. */
    httpPort: Type.Optional(Type.Integer()),
    schedules: Type.Optional(
      Type.Object(
        {
          sync: Type.Optional(Cron),
          features: Type.Optional(Cron),
          spc: Type.Optional(Cron),
          yield: Type.Optional(Cron),
          archive: Type.Optional(Cron),
          predict: Type.Optional(Cron),
        },
        { additionalProperties: false },
      ),
    ),
    sync: Type.Optional(
      Type.Object(
        {
          lateWindowMs: Type.Optional(
            Type.Integer({ minimum: 0, description: "a late-arrival window in ms >= 0" }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    archive: Type.Optional(
      Type.Object(
        {
          olderThanDays: Type.Optional(
            Type.Integer({ minimum: 1, description: "an age in whole days >= 1" }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    predict: Type.Optional(
      Type.Object(
        {
          riskThreshold: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              exclusiveMaximum: 1,
              description: "a failure probability in (0, 1)",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    yield: Type.Optional(
      Type.Object(
        {
          lookbackMs: Type.Optional(
            Type.Integer({ minimum: 60_000, description: "a look-back in ms >= 60000" }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type JobsSection = Static<typeof JobsSectionSchema>;

/**
 * Default schedules: sync every 10 s and SPC 5 s after it, so a subgroup's point reaches InfluxDB
 * within ~20 s of its last reading (the goal is 30 s); the per-unit feature table and yield every
 * minute; archive nightly; predict daily.
 */
export const DEFAULT_SCHEDULES = {
  sync: "*/10 * * * * *",
  features: "20 * * * * *",
  spc: "5-59/10 * * * * *",
  yield: "30 * * * * *",
  archive: "0 30 2 * * *",
  predict: "0 15 3 * * *",
} as const;

export type JobName = keyof typeof DEFAULT_SCHEDULES;

/** Problems with the `jobs` section, one line each naming the field. */
export class JobsConfigError extends Error {
  readonly reason = "invalid_jobs_config";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "JobsConfigError";
  }
}

export function parseJobsSection(
  raw: unknown,
): JobsSection & { schedules: Record<JobName, string> } {
  const section = raw ?? {};
  const problems = [...Value.Errors(JobsSectionSchema, section)].map((e) => {
    const description = (e.schema as { description?: string }).description;
    return `jobs${e.path.replaceAll("/", ".")}=${JSON.stringify(e.value)}: ${description ? `expected ${description}` : e.message}`;
  });
  if (problems.length > 0) throw new JobsConfigError(problems);
  const parsed = section as JobsSection;
  return { ...parsed, schedules: { ...DEFAULT_SCHEDULES, ...(parsed.schedules ?? {}) } };
}
