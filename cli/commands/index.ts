import type { Command } from "commander";
import { baselineCommand } from "./baseline.ts";
import { configCommand } from "./config.ts";
import { demoCommand } from "./demo.ts";
import { exportCommand } from "./export.ts";
import { ingestCommand } from "./ingest.ts";
import { jobsCommand } from "./jobs.ts";
import { predictCommand } from "./predict.ts";
import { reportCommand } from "./report.ts";
import { serveCommand } from "./serve.ts";
import { servicesCommand } from "./services.ts";
import { simulateCommand } from "./simulate.ts";
import { spcCommand } from "./spc.ts";
import { traceCommand } from "./trace.ts";
import { verifyCommand } from "./verify.ts";

/** A CLI command: adds itself (name, options, action) to the program. */
export type CommandModule = (program: Command) => void;

/** Every command of `tracebox`; adding one is one file and one line here. */
export const commands: CommandModule[] = [
  baselineCommand,
  configCommand,
  demoCommand,
  exportCommand,
  ingestCommand,
  jobsCommand,
  predictCommand,
  reportCommand,
  serveCommand,
  servicesCommand,
  simulateCommand,
  spcCommand,
  traceCommand,
  verifyCommand,
];
