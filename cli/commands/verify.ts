import { verifyExport } from "../../analytics/trace/index.ts";
import { CliError } from "../errors.ts";
import { EXIT } from "./export.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox verify PATH`: exit 0 when an export is exactly as it was written, 1 with each thing that changed. */
export const verifyCommand: CommandModule = (program) => {
  program
    .command("verify <path>")
    .description(
      "check an export against its manifest.json: every file's SHA-256, every record's hash chain, no file added or missing (exit 0 if intact, 1 if not)",
    )
    .option(
      "--key-env <name>",
      "environment variable holding the key the manifest was signed with",
      "TRACEBOX_EXPORT_KEY",
    )
    .action(async (path: string, opts: { keyEnv: string }) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(opts.keyEnv))
        throw new CliError(
          `verify: --key-env '${opts.keyEnv}' is not an environment variable name`,
          EXIT.usage,
        );
      const key = process.env[opts.keyEnv] || undefined;
      const result = await verifyExport(path, { key });
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      if (!result.ok) {
        throw new CliError(
          `verify: ${path} FAILED\n${result.problems.map((p) => `  ${p}`).join("\n")}`,
          1,
        );
      }
      process.stdout.write(
        `${path}: OK — ${result.files} file${result.files === 1 ? "" : "s"}, ${result.records} records, chain head ${result.manifest?.chainHead}${result.manifest?.signature ? (key ? ", signature valid" : ", signed (not checked)") : ""}\n`,
      );
    });
};
