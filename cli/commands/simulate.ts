import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { Option } from "commander";
import { ConfigError, loadConfig } from "../../config/index.ts";
import {
  connectPublisher,
  DEFAULT_PUBLISH_OPTIONS,
  DEFAULT_SIMULATOR_OPTIONS,
  NOMINAL_TAKT_MS,
  PublishError,
  plannedRunMs,
  publishMessages,
  redactUrl,
  resolveSimulatorOptions,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioName,
  type SimulatedMessage,
  SimulatorError,
  type SimulatorOptions,
  simulateLine,
  writeNdjson,
} from "../../simulator/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

const USAGE = 2;

/** Time the line needs to empty after the last board is loaded, with margin, ms. */
const DRAIN_ALLOWANCE_MS = 20 * 60_000;

interface SimulateCliOptions {
  seed: string;
  sites: string;
  lines: string;
  units?: string;
  duration?: string;
  start?: string;
  scenario: string[];
  signalRate: string;
  samplesPerMessage: string;
  profilerEvery: string;
  serialFormat: string;
  prefix?: string;
  speed: string;
  asFastAsPossible?: boolean;
  dryRun?: boolean;
  out?: string;
  mqttUrl?: string;
  maxInFlight: string;
  listScenarios?: boolean;
}

function usage(message: string): CliError {
  return new CliError(`simulate: ${message}`, USAGE);
}

function numberFlag(flag: string, text: string): number {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw usage(`${flag} '${text}' is not a number`);
  return value;
}

function integerFlag(flag: string, text: string): number {
  const value = numberFlag(flag, text);
  if (!Number.isSafeInteger(value)) throw usage(`${flag} '${text}' is not a whole number`);
  return value;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** "8h", "45m", "90s", "1500ms", "2d" → ms. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)\s*$/.exec(text);
  if (match === null) {
    throw usage(`--duration '${text}': expected a number with a unit, e.g. 8h, 45m, 90s`);
  }
  return Math.round(Number(match[1]) * (DURATION_UNITS[match[2] as string] as number));
}

/** "now", epoch ms, or ISO-8601 → epoch ms. */
export function parseStart(text: string, now: number): number {
  if (text === "now") return now;
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) {
    throw usage(`--start '${text}': expected "now", epoch milliseconds or ISO-8601 time`);
  }
  return parsed;
}

/**
 * Start of a published run when none is given: early enough that, at `speed`, the run ends
 * about now, so no timestamp lies in the ingestor's future and dashboards show it at once.
 * At speed 1 that is now itself: a live line.
 */
export function publishingStart(now: number, runMs: number, speed: number): number {
  const ahead = speed === 0 ? 1 : Math.max(0, 1 - 1 / speed);
  return Math.floor((now - (runMs + DRAIN_ALLOWANCE_MS) * ahead) / 1000) * 1000;
}

function scenarioList(): string {
  return SCENARIOS.map((scenario) => {
    const effect = scenario.effectSize;
    const size =
      effect.kind === "rates"
        ? `${effect.outcome}: ${(effect.exposedRate * 100).toFixed(1)} % when ${effect.exposed}, ${(effect.unexposedRate * 100).toFixed(2)} % when ${effect.unexposed} (rate ratio ${effect.rateRatio}, odds ratio ${effect.oddsRatio})`
        : `${effect.characteristic} +${effect.ratePerHour} °C/h: "${effect.rule}" after ~${effect.ruleAfterMinutes} min, spec (±${effect.specOffset} °C) after ~${effect.specAfterMinutes} min`;
    return `${scenario.name}\n  ${scenario.description}\n  cause:  ${scenario.cause}\n  effect: ${size}\n`;
  }).join("\n");
}

/** Progress on a terminal: a bar over simulated time; nothing when stderr is not a TTY. */
async function progressReporter(
  total: number,
  start: number,
): Promise<{ update(message: SimulatedMessage, count: number): void; stop(): void }> {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const { default: progress } = await import("cli-progress");
  const bar = new progress.SingleBar(
    {
      format: "simulate [{bar}] {percentage}% | {clock} | {messages} messages",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    progress.Presets.shades_classic,
  );
  bar.start(total, 0, { clock: new Date(start).toISOString(), messages: 0 });
  let stopped = false;
  return {
    update(message, count) {
      if (count % 500 !== 0) return;
      bar.update(Math.min(total, message.ts - start), {
        clock: new Date(message.ts).toISOString(),
        messages: count,
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(total);
      bar.stop();
    },
  };
}

/** `tracebox simulate`: a seeded SMT line publishing the MQTT contract, or writing it as NDJSON. */
export const simulateCommand: CommandModule = (program) => {
  const defaults = DEFAULT_SIMULATOR_OPTIONS;
  program
    .command("simulate")
    .description(
      "run a simulated SMT line (printer → SPI → pick-and-place → reflow → AOI → ICT → FCT → pack) and publish its data over MQTT, or write it as NDJSON",
    )
    .option(
      "--seed <n>",
      "seed of every random draw; the same seed gives the same messages",
      String(defaults.seed),
    )
    .option("--sites <n>", "number of sites (plant1, plant2, ...)", String(defaults.sites))
    .option("--lines <n>", "SMT lines per site (line1, line2, ...)", String(defaults.linesPerSite))
    .option("--units <n>", "boards to build per line (instead of --duration)")
    .option("--duration <time>", "simulated time boards are loaded, e.g. 8h, 45m (default 8h)")
    .option(
      "--start <time>",
      'simulated start: "now", epoch ms or ISO-8601 (default: 2026-11-27T06:00:00Z with --dry-run; when publishing, early enough that the run ends about now)',
    )
    .addOption(
      new Option(
        "--scenario <name>",
        `fault scenario to play, repeatable: ${SCENARIO_NAMES.join(", ")} (see --list-scenarios)`,
      )
        .argParser((value: string, previous: string[] = []) => {
          if (!(SCENARIO_NAMES as readonly string[]).includes(value)) {
            throw usage(
              `unknown --scenario '${value}' (expected one of: ${SCENARIO_NAMES.join(", ")})`,
            );
          }
          return [...previous, value];
        })
        .default([]),
    )
    .option("--signal-rate <hz>", "reflow oven sample rate, Hz", String(defaults.signalRateHz))
    .option(
      "--samples-per-message <n>",
      "signal samples batched per message",
      String(defaults.samplesPerMessage),
    )
    .option(
      "--profiler-every <n>",
      "every n-th board carries the reflow profiler",
      String(defaults.profilerEvery),
    )
    .option("--serial-format <format>", "datamatrix or gs1", defaults.serialFormat)
    .option(
      "--prefix <prefix>",
      "topic prefix (default: the configured mqtt.topicPrefix, else ems)",
    )
    .option(
      "--speed <factor>",
      "simulated time per wall-clock time when publishing; 0 = no waiting",
      String(DEFAULT_PUBLISH_OPTIONS.speed),
    )
    .option("--as-fast-as-possible", "same as --speed 0")
    .option("--dry-run", "write NDJSON ({topic, payload} per line) to stdout instead of publishing")
    .option("--out <file>", "write the NDJSON to this file (implies --dry-run)")
    .option(
      "--mqtt-url <url>",
      "broker to publish to (default: TRACEBOX_MQTT_URL / mqtt.url, else mqtt://127.0.0.1:1883)",
    )
    .option(
      "--max-in-flight <n>",
      "QoS 1 publishes awaiting PUBACK at once",
      String(DEFAULT_PUBLISH_OPTIONS.maxInFlight),
    )
    .option("--list-scenarios", "describe the fault scenarios and their effect sizes, then exit")
    .action(async (flags: SimulateCliOptions) => {
      if (flags.listScenarios) {
        process.stdout.write(scenarioList());
        return;
      }
      const dryRun = flags.dryRun === true || flags.out !== undefined;
      const speed = flags.asFastAsPossible ? 0 : numberFlag("--speed", flags.speed);
      if (speed < 0) throw usage(`--speed must be >= 0, got '${flags.speed}'`);
      const maxInFlight = integerFlag("--max-in-flight", flags.maxInFlight);
      if (maxInFlight < 1) throw usage(`--max-in-flight must be >= 1, got '${flags.maxInFlight}'`);
      if (flags.units !== undefined && flags.duration !== undefined) {
        throw usage("give --units or --duration, not both");
      }

      let config: ReturnType<typeof loadConfig>["config"] | undefined;
      const configured = () => {
        if (config) return config;
        try {
          config = loadConfig().config;
          return config;
        } catch (error) {
          if (error instanceof ConfigError) throw new CliError(`simulate: ${error.message}`);
          throw error;
        }
      };

      const partial: Partial<SimulatorOptions> = {
        seed: integerFlag("--seed", flags.seed),
        sites: integerFlag("--sites", flags.sites),
        linesPerSite: integerFlag("--lines", flags.lines),
        units: flags.units === undefined ? undefined : integerFlag("--units", flags.units),
        durationMs:
          flags.duration === undefined ? defaults.durationMs : parseDuration(flags.duration),
        scenarios: flags.scenario as ScenarioName[],
        signalRateHz: numberFlag("--signal-rate", flags.signalRate),
        samplesPerMessage: integerFlag("--samples-per-message", flags.samplesPerMessage),
        profilerEvery: integerFlag("--profiler-every", flags.profilerEvery),
        serialFormat: flags.serialFormat as SimulatorOptions["serialFormat"],
        prefix: flags.prefix ?? (dryRun ? defaults.prefix : configured().topicPrefix),
      };
      const runMs = plannedRunMs({ ...defaults, ...partial } as SimulatorOptions);
      partial.start =
        flags.start !== undefined
          ? parseStart(flags.start, Date.now())
          : dryRun
            ? defaults.start
            : publishingStart(Date.now(), runMs, speed);

      let options: SimulatorOptions;
      try {
        options = resolveSimulatorOptions(partial);
      } catch (error) {
        if (error instanceof SimulatorError) throw usage(error.message);
        throw error;
      }
      const lines = options.sites * options.linesPerSite;
      const expectedMs = options.units === undefined ? runMs : options.units * NOMINAL_TAKT_MS;
      const progress = await progressReporter(expectedMs + DRAIN_ALLOWANCE_MS, options.start);
      let count = 0;
      const onMessage = (message: SimulatedMessage) => progress.update(message, ++count);
      const messages = simulateLine(options);

      if (dryRun) {
        const out = flags.out === undefined ? process.stdout : createWriteStream(flags.out);
        try {
          await writeNdjson(messages, out, onMessage);
          if (out !== process.stdout) {
            out.end();
            await finished(out);
          }
        } catch (error) {
          throw new CliError(
            `simulate: cannot write ${flags.out ?? "stdout"}: ${(error as Error).message}`,
          );
        } finally {
          progress.stop();
        }
        if (process.stderr.isTTY) {
          process.stderr.write(
            `wrote ${count} messages of ${lines} line(s) to ${flags.out ?? "stdout"}\n`,
          );
        }
        return;
      }

      const url = flags.mqttUrl ?? configured().mqttUrl;
      const { mqttUsername: username, mqttPassword: password } = configured();
      try {
        const client = await connectPublisher(url, `tracebox-simulate-${process.pid}`, {
          username,
          password,
        });
        try {
          const summary = await publishMessages(
            messages,
            client,
            { speed, maxInFlight },
            onMessage,
          );
          progress.stop();
          if (process.stderr.isTTY) {
            process.stderr.write(
              `published ${summary.published} messages of ${lines} line(s) to ${redactUrl(url)}\n`,
            );
          }
        } finally {
          progress.stop();
          await client.endAsync();
        }
      } catch (error) {
        if (error instanceof PublishError) throw new CliError(`simulate: ${error.message}`);
        throw error;
      }
    });
};
