import { loadConfig } from "../../config/index.ts";
import { DEFAULT_SCHEDULES, type JobName, startJobs } from "../../jobs/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox jobs [--once NAME]`: the scheduled analytics (sync, spc, yield, archive, predict). */
export const jobsCommand: CommandModule = (program) => {
  program
    .command("jobs")
    .description(
      "run the analytics jobs on their schedules (the one process that owns the warehouse), or one job now with --once",
    )
    .option(
      "--once <job>",
      `run one job now and exit (non-zero on failure): ${Object.keys(DEFAULT_SCHEDULES).join(", ")}`,
    )
    .action(async (opts: { once?: string }) => {
      const { config } = loadConfig();
      if (opts.once) {
        if (!(opts.once in DEFAULT_SCHEDULES))
          throw new CliError(
            `--once ${opts.once}: expected one of ${Object.keys(DEFAULT_SCHEDULES).join(", ")}`,
            2,
          );
        const jobs = await startJobs(config, { only: [opts.once as JobName], serve: false });
        try {
          if (jobs.jobs.length === 0)
            throw new CliError(`job ${opts.once} is not available in this build`, 2);
          const run = await jobs.scheduler.runNow(opts.once);
          process.stdout.write(`${JSON.stringify(run)}\n`);
          if (run.status !== "ok")
            throw new CliError(`job ${opts.once} failed: ${run.error ?? run.status}`);
        } finally {
          await jobs.stop();
        }
        return;
      }
      const jobs = await startJobs(config, { serve: true });
      process.stderr.write(
        `jobs: ${jobs.jobs.map((j) => `${j.name} (${j.schedule})`).join(", ")}; metrics at ${jobs.statusUrl}/metrics\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGTERM", stop);
          process.off("SIGINT", stop);
          // The running job finishes; no new runs start.
          jobs.stop().then(resolve, resolve);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      });
    });
};
