import { once } from "node:events";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import {
  EXPORT_FORMATS,
  EXPORT_TABLE_NAMES,
  type ExportFormat,
  type ExportProgress,
  type ExportScope,
  type ExportTableName,
  exportRecords,
  openTraceStore,
  parseTime,
  recordJson,
  resolveScope,
  streamRecords,
  TraceError,
  type TraceOptions,
  type TraceStore,
} from "../../analytics/trace/index.ts";
import { loadConfig } from "../../config/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

/** Exit codes of the traceability commands, for scripts: 2 usage, 3 not found, 4 a source did not answer. */
export const EXIT = { usage: 2, notFound: 3, unavailable: 4 } as const;

/** A TraceError as the person at the terminal should see it, with its exit code. */
export function cliError(command: string, error: unknown): unknown {
  if (!(error instanceof TraceError)) return error;
  const code =
    error.reason === "bad-option" || error.reason === "output-exists"
      ? EXIT.usage
      : error.reason === "not-found"
        ? EXIT.notFound
        : error.reason === "source-unavailable"
          ? EXIT.unavailable
          : 1;
  return new CliError(`${command}: ${error.message}`, code);
}

/** Opens the trace store of the configuration, runs `work`, closes it; errors become CLI errors. */
export async function withTraceStore<T>(
  command: string,
  overrides: Partial<TraceOptions>,
  work: (store: TraceStore) => Promise<T>,
): Promise<T> {
  try {
    const { config } = loadConfig();
    const store = await openTraceStore(config, overrides);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    throw cliError(command, error);
  }
}

/** `--warehouse when-free|never`, shared by the traceability commands. */
export function warehouseOption(command: Command): Command {
  return command.option(
    "--warehouse <access>",
    "read the warehouse file read-only when no writer holds it (when-free), or never",
    "when-free",
  );
}

export function warehouseAccess(command: string, value: string): Partial<TraceOptions> {
  if (value !== "when-free" && value !== "never")
    throw new CliError(
      `${command}: --warehouse '${value}': expected when-free or never`,
      EXIT.usage,
    );
  return { warehouse: value };
}

/** A progress bar on stderr while a terminal watches; silent otherwise. */
export async function progressBar(
  label: string,
): Promise<{ update(p: ExportProgress): void; stop(): void }> {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const { default: progress } = await import("cli-progress");
  const bar = new progress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} serials | {phase}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    progress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.total, 0, { phase: p.phase });
        started = true;
      }
      bar.update(p.serials, { phase: p.phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

interface ExportCliOptions {
  serial?: string;
  lot?: string;
  from?: string;
  to?: string;
  line?: string;
  format: string;
  out?: string;
  table?: string;
  warehouse: string;
}

function usage(message: string): CliError {
  return new CliError(`export: ${message}`, EXIT.usage);
}

function scopeOf(o: ExportCliOptions): ExportScope {
  const given = [
    o.serial !== undefined,
    o.lot !== undefined,
    o.from !== undefined || o.to !== undefined,
  ].filter(Boolean).length;
  if (given !== 1) throw usage("give exactly one of --serial SN, --lot LOT, or --from T --to T");
  if (o.serial !== undefined) return { serial: o.serial };
  if (o.lot !== undefined) return { lot: o.lot };
  if (o.from === undefined || o.to === undefined)
    throw usage("a time range needs both --from and --to");
  try {
    return { from: parseTime(o.from), to: parseTime(o.to), line: o.line };
  } catch (error) {
    throw usage((error as Error).message);
  }
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

/** JSON to stdout: the record of one serial, or one record per line for a lot or a range. */
async function exportToStdout(store: TraceStore, scope: ExportScope): Promise<void> {
  await store.withSession(async (session) => {
    const serials = await resolveScope(session, scope);
    const single = "serial" in scope;
    for await (const record of streamRecords(session, serials, single))
      await write(`${JSON.stringify(recordJson(record))}\n`);
  });
}

/** `tracebox export`: the P3/P4 record of a serial, a lot or a time range, with a tamper-evident manifest. */
export const exportCommand: CommandModule = (program) => {
  const command = program
    .command("export")
    .description(
      "export the full record of a serial, a lot or a time range (JSON, CSV, Parquet or Arrow), with manifest.json (SHA-256 per file, hash chain over records)",
    )
    .option("--serial <serial>", "one unit")
    .option("--lot <lot>", "every unit a component lot went into")
    .option("--from <time>", "units with a visit from this time (epoch ms or ISO-8601)")
    .option("--to <time>", "... up to this time")
    .option("--line <line>", "with --from/--to: only this line")
    .option("--format <format>", `one of ${EXPORT_FORMATS.join(", ")}`, "json")
    .option(
      "--out <dir>",
      "directory to create with the files and manifest.json (JSON may go to stdout without it)",
    )
    .option(
      "--table <names>",
      `tabular formats: only these tables, comma-separated (${EXPORT_TABLE_NAMES.join(", ")})`,
    );
  warehouseOption(command).action(async (opts: ExportCliOptions) => {
    const scope = scopeOf(opts);
    if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format))
      throw usage(
        `unknown --format '${opts.format}' (expected one of: ${EXPORT_FORMATS.join(", ")})`,
      );
    const format = opts.format as ExportFormat;
    const tables = opts.table?.split(",").map((t) => t.trim()) as ExportTableName[] | undefined;
    for (const table of tables ?? []) {
      if (!EXPORT_TABLE_NAMES.includes(table))
        throw usage(`unknown table '${table}' (expected: ${EXPORT_TABLE_NAMES.join(", ")})`);
    }
    if (opts.out === undefined && format !== "json")
      throw usage(`--format ${format} writes one file per table: give --out DIR`);
    // One serial is many small queries (one thread each is cheapest); a lot or a range is bulk work.
    const threads = "serial" in scope ? {} : { threads: availableParallelism() };
    await withTraceStore(
      "export",
      { ...warehouseAccess("export", opts.warehouse), ...threads },
      async (store) => {
        if (opts.out === undefined) return exportToStdout(store, scope);
        const bar = await progressBar("export");
        try {
          const summary = await exportRecords(store, scope, {
            format,
            out: resolve(opts.out),
            tables,
            signingKey: process.env.TRACEBOX_EXPORT_KEY || undefined,
            onProgress: (p) => bar.update(p),
          });
          bar.stop();
          process.stderr.write(
            `exported ${summary.serials} serial${summary.serials === 1 ? "" : "s"} to ${summary.out}: ${summary.files.length} file${summary.files.length === 1 ? "" : "s"}, ${summary.files.reduce((n, f) => n + f.records, 0)} records; chain head ${summary.chainHead}\n`,
          );
          await write(
            `${JSON.stringify({ out: summary.out, format, serials: summary.serials, chainHead: summary.chainHead, files: summary.files.map((f) => ({ path: f.path, records: f.records, sha256: f.sha256 })) })}\n`,
          );
        } finally {
          bar.stop();
        }
      },
    );
  });
};
