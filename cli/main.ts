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
    // A service that cannot be reached at start (the broker, InfluxDB): what and where, not a
    // stack trace. The process exits 1, for its supervisor to restart it.
    const system = error as {
      syscall?: unknown;
      code?: unknown;
      address?: unknown;
      port?: unknown;
    };
    if (typeof system.syscall === "string" && typeof system.code === "string") {
      const where =
        system.address === undefined
          ? ""
          : ` ${String(system.address)}${system.port === undefined ? "" : `:${String(system.port)}`}`;
      process.stderr.write(
        `cannot ${system.syscall}${where}: ${system.code} (${(error as Error).message}); is the service running and the URL in the configuration right?\n`,
      );
      return 1;
    }
    throw error;
  }
}
