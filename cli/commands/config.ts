import { loadConfig, mask, OPTIONS, type OptionName, type OptionSpec } from "../../config/index.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox config`: the effective configuration, secrets masked, and where each value came from. */
export const configCommand: CommandModule = (program) => {
  program
    .command("config")
    .description("print the effective configuration (secrets masked) and the source of each value")
    .option("--json", "print JSON instead of a table")
    .action((opts: { json?: boolean }) => {
      const { config, sources } = loadConfig();
      const rows = (Object.entries(OPTIONS) as [OptionName, OptionSpec][]).map(([name, spec]) => ({
        key: spec.env,
        path: spec.path,
        value: mask(spec, config[name]),
        source: sources[name],
      }));
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ file: config.file ?? null, options: rows }, null, 2)}\n`,
        );
        return;
      }
      const width = Math.max(...rows.map((r) => r.key.length));
      const valueWidth = Math.min(48, Math.max(...rows.map((r) => r.value.length)));
      process.stdout.write(`config file: ${config.file ?? "(none)"}\n`);
      for (const r of rows) {
        process.stdout.write(
          `${r.key.padEnd(width)}  ${r.value.padEnd(valueWidth)}  ${r.source}\n`,
        );
      }
    });
};
