import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  approveBaseline,
  type Baseline,
  type Characteristic,
  listBaselines,
  parseSpcSection,
  proposeBaseline,
  SpcConfigError,
  SpcJobError,
} from "../../analytics/spc-job/index.ts";
import { Warehouse } from "../../analytics/warehouse/index.ts";
import { loadConfig } from "../../config/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

const USAGE = 2;
const SINGLE_WRITER =
  "\nThe warehouse (<dataDir>/warehouse.duckdb) is a DuckDB file that one process at a time may\nopen: stop the tracebox jobs process before running this, and start it again afterwards.";
const FORMATS = ["table", "json"] as const;

interface BaselineCliOptions {
  characteristic?: string;
  from?: string;
  to?: string;
  by?: string;
  reason?: string;
  version?: string;
  format: string;
}

function usage(message: string): CliError {
  return new CliError(`baseline: ${message}`, USAGE);
}

/** Epoch ms, or ISO-8601 with its offset (`Z`, `+01:00`), or a date alone (midnight UTC). */
export function parseInstant(flag: string, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const ms = iso.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw usage(
      `${flag} '${text}' is not a time (epoch ms, or ISO-8601 with an offset such as 2025-11-27T08:00:00Z)`,
    );
  }
  return ms;
}

function required(flag: string, value: string | undefined): string {
  if (value === undefined || value.trim() === "") throw usage(`${flag} is required`);
  return value;
}

const iso = (ms: number | null): string => (ms === null ? "-" : new Date(ms).toISOString());

function num(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : String(Number(value.toPrecision(7)));
}

function baselineText(b: Baseline): string {
  const { location } = b.limits;
  const limits =
    location.lcl !== null && location.ucl !== null
      ? `LCL ${num(location.lcl)}, UCL ${num(location.ucl)}`
      : "limits per point";
  const approval =
    b.approvedAt !== null ? `; approved ${iso(b.approvedAt)} by ${b.approvedBy ?? "-"}` : "";
  return [
    `${b.characteristic} v${b.version} ${b.status.padEnd(8)} ${iso(b.windowFrom)} .. ${iso(b.windowTo)}  ${b.subgroups} subgroups  ${b.limits.chart} centre ${num(location.center)} (${limits})`,
    `  created ${iso(b.createdAt)} by ${b.createdBy}: ${b.reason}${approval}`,
  ].join("\n");
}

function output(format: string, baselines: readonly Baseline[], footer?: string): string {
  if (format === "json") return `${JSON.stringify(baselines, null, 2)}\n`;
  if (baselines.length === 0) return "no baselines\n";
  return `${baselines.map(baselineText).join("\n")}\n${footer ? `${footer}\n` : ""}`;
}

/** The configured characteristics and the warehouse path, from `loadConfig()`. */
function configured(): { characteristics: Characteristic[]; path: string } {
  const { config } = loadConfig();
  try {
    const { characteristics } = parseSpcSection(config.sections.spc);
    return { characteristics, path: join(config.dataDir, "warehouse.duckdb") };
  } catch (error) {
    if (error instanceof SpcConfigError) {
      throw new CliError(`invalid configuration:\n${error.message}`, USAGE);
    }
    throw error;
  }
}

function characteristicNamed(all: readonly Characteristic[], name: string): Characteristic {
  const found = all.find((c) => c.name === name);
  if (found === undefined) {
    const names = all.map((c) => c.name).join(", ") || "none";
    throw usage(`unknown characteristic '${name}' (configured in spc.characteristics: ${names})`);
  }
  return found;
}

/**
 * Opens the warehouse, telling the person plainly when another process holds it: DuckDB lets one
 * process at a time open the file, and that is normally the jobs process.
 */
export async function openWarehouse(path: string): Promise<Warehouse> {
  if (!existsSync(path)) {
    throw new CliError(
      `no warehouse at ${path} yet: the jobs process creates it on its first sync`,
    );
  }
  try {
    return await Warehouse.open(path);
  } catch (error) {
    const message = (error as Error).message;
    if (/Could not set lock on file/i.test(message)) {
      const pid = message.match(/PID (\d+)/)?.[1];
      throw new CliError(
        `the warehouse ${path} is in use by another process${pid ? ` (PID ${pid})` : ""}, most likely the tracebox jobs process. DuckDB lets one process open it at a time: stop that process, run this command, then start it again.`,
      );
    }
    throw error;
  }
}

async function withWarehouse<T>(
  path: string,
  work: (warehouse: Warehouse) => Promise<T>,
): Promise<T> {
  const warehouse = await openWarehouse(path);
  try {
    return await work(warehouse);
  } catch (error) {
    if (error instanceof SpcJobError) throw new CliError(`baseline: ${error.message}`);
    throw error;
  } finally {
    warehouse.close();
  }
}

function formatOf(options: BaselineCliOptions): string {
  if ((FORMATS as readonly string[]).includes(options.format)) return options.format;
  throw usage(`unknown --format '${options.format}' (expected one of: ${FORMATS.join(", ")})`);
}

async function list(options: BaselineCliOptions): Promise<string> {
  const format = formatOf(options);
  const { path } = configured();
  const baselines = await withWarehouse(path, (w) => listBaselines(w, options.characteristic));
  return output(format, baselines);
}

async function propose(options: BaselineCliOptions): Promise<string> {
  const format = formatOf(options);
  const name = required("--characteristic", options.characteristic);
  const from = parseInstant("--from", required("--from", options.from));
  const to = parseInstant("--to", required("--to", options.to));
  if (!(from < to)) throw usage(`--from must be before --to`);
  const by = required("--by", options.by);
  const reason = required("--reason", options.reason);
  const { characteristics, path } = configured();
  const characteristic = characteristicNamed(characteristics, name);
  const baseline = await withWarehouse(path, (w) =>
    proposeBaseline(w, characteristic, { from, to, by, reason }),
  );
  return output(
    format,
    [baseline],
    `proposed; monitoring keeps its current limits until: tracebox baseline approve --characteristic ${name} --version ${baseline.version} --by <name>`,
  );
}

async function approve(options: BaselineCliOptions): Promise<string> {
  const format = formatOf(options);
  const name = required("--characteristic", options.characteristic);
  const by = required("--by", options.by);
  let version: number | undefined;
  if (options.version !== undefined) {
    version = Number(options.version);
    if (!Number.isInteger(version) || version < 1) {
      throw usage(`--version must be a whole number >= 1, got '${options.version}'`);
    }
  }
  const { characteristics, path } = configured();
  characteristicNamed(characteristics, name);
  const baseline = await withWarehouse(path, async (w) => {
    let chosen = version;
    if (chosen === undefined) {
      const proposed = (await listBaselines(w, name)).filter((b) => b.status === "proposed");
      chosen = proposed[proposed.length - 1]?.version;
      if (chosen === undefined) throw usage(`${name} has no proposed baseline to approve`);
    }
    return approveBaseline(w, name, chosen, { by });
  });
  return output(format, [baseline], "approved; the next SPC run judges against these limits");
}

/** `tracebox baseline list|propose|approve`: the versioned phase-I limits the SPC job judges against. */
export const baselineCommand: CommandModule = (program) => {
  const command = program
    .command("baseline")
    .description(
      "SPC baselines: list them, propose limits from a window of data, approve one for monitoring",
    )
    .addHelpText("after", SINGLE_WRITER);
  const common = (sub: ReturnType<typeof command.command>) =>
    sub
      .option("--characteristic <name>", "a characteristic of the spc section")
      .option("--format <format>", "table or json", "table")
      .addHelpText("after", SINGLE_WRITER);
  common(command.command("list").description("every baseline version, oldest first")).action(
    async (options: BaselineCliOptions) => {
      process.stdout.write(await list(options));
    },
  );
  common(
    command
      .command("propose")
      .description("compute limits over a window of readings and record them, not yet in use")
      .option("--from <time>", "window start: epoch ms or ISO-8601 with offset (included)")
      .option("--to <time>", "window end: epoch ms or ISO-8601 with offset (included)")
      .option("--by <name>", "who proposes it")
      .option("--reason <text>", "why (new paste lot, after maintenance, ...)"),
  ).action(async (options: BaselineCliOptions) => {
    process.stdout.write(await propose(options));
  });
  common(
    command
      .command("approve")
      .description("make a version the one monitoring judges against; the previous one is retired")
      .option("--version <n>", "the version to approve (default: the latest proposed)")
      .option("--by <name>", "who approves it"),
  ).action(async (options: BaselineCliOptions) => {
    process.stdout.write(await approve(options));
  });
};
