import { Command, CommanderError } from "commander";
import { AlertsConfigError } from "../alerts/index.ts";
import { SpcConfigError } from "../analytics/spc-job/index.ts";
import { ConfigError } from "../config/index.ts";
import { JobsConfigError } from "../jobs/index.ts";
import { commands } from "./commands/index.ts";
import { CliError } from "./errors.ts";

/** The `tracebox` program with every registered command. */
export function buildProgram(): Command {
  const program = new Command("tracebox")
    .description("The flight recorder for every board: SMT line data, tied to serials.")
    .exitOverride()
    .showHelpAfterError();
  for (const add of commands) add(program);
  return program;
}

/** Runs the `tracebox` CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (
      error instanceof ConfigError ||
      error instanceof AlertsConfigError ||
      error instanceof JobsConfigError ||
      error instanceof SpcConfigError
    ) {
      process.stderr.write(`invalid configuration:\n${error.message}\n`);
      return 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
