import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A benchmark's command line: options, run, report; one TSDoc line per field. */
export interface BenchCommand<Options, Report> {
  /** `ingest` → `npm run bench:ingest`, results `<name>-<date>.json` and `<name>-latest.json`. */
  name: string;
  help: string;
  /** The options of argv, "help", or a thrown error naming the bad flag. */
  parse(argv: string[]): Options | "help";
  run(options: Options): Promise<Report>;
  /** The report for a terminal. */
  format(report: Report): string;
  /** Exit code of a finished run (1 when a goal it checks is missed); default 0. */
  exitCode?(report: Report): number;
}

/**
 * Parses argv, runs, prints the report on stdout and writes its JSON to
 * `<resultsDir>/<name>-<date>.json`, and to `<name>-latest.json` for a full (not `--quick`) run;
 * sets `process.exitCode` (2 for bad flags, 1 for a failure).
 */
export async function runBenchCommand<
  Options extends { quick: boolean; resultsDir: string },
  Report extends { startedAt: string },
>(command: BenchCommand<Options, Report>): Promise<void> {
  try {
    let options: Options | "help";
    try {
      options = command.parse(process.argv.slice(2));
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n\n${command.help}\n`);
      process.exitCode = 2;
      return;
    }
    if (options === "help") {
      process.stdout.write(`${command.help}\n`);
      return;
    }
    const report = await command.run(options);
    process.stdout.write(`${command.format(report)}\n`);
    mkdirSync(options.resultsDir, { recursive: true });
    const stamp = report.startedAt.replace(/[:.]/g, "-");
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const file = join(options.resultsDir, `${command.name}-${stamp}.json`);
    writeFileSync(file, json);
    if (!options.quick)
      writeFileSync(join(options.resultsDir, `${command.name}-latest.json`), json);
    process.stderr.write(`report written to ${file}\n`);
    process.exitCode = command.exitCode?.(report) ?? 0;
  } catch (error) {
    process.stderr.write(
      `bench:${command.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
