import { SCENARIO_NAMES, type ScenarioName } from "./scenarios.ts";

/** How the simulated plant runs. */
export interface SimulatorOptions {
  /** Seed of every random draw (unsigned 32-bit integer); the same seed gives the same messages. Default 1. */
  seed: number;
  /** Number of sites (plant1, plant2, ...). Default 1. */
  sites: number;
  /** Number of SMT lines per site (line1, line2, ...). Default 1. */
  linesPerSite: number;
  /** Boards to build per line; when set, the run ends once they have all left the line. Default undefined (run for durationMs). */
  units: number | undefined;
  /** Simulated time during which boards are loaded, ms; ignored when units is set. Default 28800000 (one 8 h shift). */
  durationMs: number;
  /** Simulated start, epoch ms. Default 1795759200000 (2026-11-27T06:00:00Z). */
  start: number;
  /** Fault scenarios to play, by name (see SCENARIOS). Default none. */
  scenarios: readonly ScenarioName[];
  /** Sample rate of the reflow oven signals, Hz (nitrogen: at most 10 Hz, hall sensors: at most 1 Hz). Default 10. */
  signalRateHz: number;
  /** Samples per signal message (the last message of a run may hold fewer). Default 100. */
  samplesPerMessage: number;
  /** Every n-th board carries the reflow profiler. Default 40. */
  profilerEvery: number;
  /** Sample rate of the profiler's thermocouples, Hz. Default 10. */
  profileRateHz: number;
  /** Boards per box at the pack station. Default 20. */
  boxSize: number;
  /** Boxes per pallet. Default 12. */
  palletBoxes: number;
  /** Serial style: "datamatrix" (TBA2611270001A7) or "gs1" (GS1 element string with GTIN and serial). Default "datamatrix". */
  serialFormat: "datamatrix" | "gs1";
  /** Topic prefix before `<site>/<line>/<station>/<channel>`. Default "ems". */
  prefix: string;
}

export const DEFAULT_SIMULATOR_OPTIONS: Readonly<SimulatorOptions> = Object.freeze({
  seed: 1,
  sites: 1,
  linesPerSite: 1,
  units: undefined,
  durationMs: 8 * 60 * 60 * 1000,
  start: Date.UTC(2026, 10, 27, 6, 0, 0),
  scenarios: [],
  signalRateHz: 10,
  samplesPerMessage: 100,
  profilerEvery: 40,
  profileRateHz: 10,
  boxSize: 20,
  palletBoxes: 12,
  serialFormat: "datamatrix",
  prefix: "ems",
});

/** Why the simulator refused to run. */
export type SimulatorErrorReason = "invalid_option";

/** A bad option: names the field, the value and what was expected. Not retryable. */
export class SimulatorError extends Error {
  readonly retryable = false;

  constructor(
    readonly reason: SimulatorErrorReason,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "SimulatorError";
  }
}

const PREFIX_LEVEL = /^[A-Za-z0-9_.-]{1,64}$/;

function integerIn(
  field: string,
  value: unknown,
  low: number,
  high: number,
): SimulatorError | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= low && value <= high) {
    return undefined;
  }
  return new SimulatorError(
    "invalid_option",
    field,
    `option ${field} must be an integer from ${low} to ${high}: ${JSON.stringify(value)}`,
  );
}

function numberIn(
  field: string,
  value: unknown,
  low: number,
  high: number,
): SimulatorError | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > low && value <= high) {
    return undefined;
  }
  return new SimulatorError(
    "invalid_option",
    field,
    `option ${field} must be a number above ${low} and at most ${high}: ${JSON.stringify(value)}`,
  );
}

/** Problems of a full options object, first one first; empty when it can run. */
export function checkSimulatorOptions(options: SimulatorOptions): SimulatorError[] {
  const problems = [
    integerIn("seed", options.seed, 0, 0xffff_ffff),
    integerIn("sites", options.sites, 1, 9),
    integerIn("linesPerSite", options.linesPerSite, 1, 9),
    options.units === undefined ? undefined : integerIn("units", options.units, 1, 1_000_000),
    options.units === undefined
      ? integerIn("durationMs", options.durationMs, 60_000, 31 * 24 * 3600_000)
      : undefined,
    integerIn("start", options.start, 0, 8.64e15),
    numberIn("signalRateHz", options.signalRateHz, 0, 1000),
    integerIn("samplesPerMessage", options.samplesPerMessage, 1, 500),
    integerIn("profilerEvery", options.profilerEvery, 1, 1_000_000),
    numberIn("profileRateHz", options.profileRateHz, 0, 100),
    integerIn("boxSize", options.boxSize, 1, 1000),
    integerIn("palletBoxes", options.palletBoxes, 1, 1000),
  ];
  if (options.serialFormat !== "datamatrix" && options.serialFormat !== "gs1") {
    problems.push(
      new SimulatorError(
        "invalid_option",
        "serialFormat",
        `option serialFormat must be "datamatrix" or "gs1": ${JSON.stringify(options.serialFormat)}`,
      ),
    );
  }
  if (
    typeof options.prefix !== "string" ||
    !options.prefix.split("/").every((level) => PREFIX_LEVEL.test(level))
  ) {
    problems.push(
      new SimulatorError(
        "invalid_option",
        "prefix",
        `option prefix must be topic levels of [A-Za-z0-9_.-]{1,64} joined by "/": ${JSON.stringify(options.prefix)}`,
      ),
    );
  }
  if (!Array.isArray(options.scenarios)) {
    problems.push(
      new SimulatorError("invalid_option", "scenarios", "option scenarios must be a list of names"),
    );
  } else {
    for (const name of options.scenarios) {
      if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
        problems.push(
          new SimulatorError(
            "invalid_option",
            "scenarios",
            `unknown scenario ${JSON.stringify(name)}; known: ${SCENARIO_NAMES.join(", ")}`,
          ),
        );
      }
    }
  }
  return problems.filter((problem): problem is SimulatorError => problem !== undefined);
}

/** Defaults filled in for the fields left out; throws the first problem as a SimulatorError. */
export function resolveSimulatorOptions(options: Partial<SimulatorOptions> = {}): SimulatorOptions {
  const resolved: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const [problem] = checkSimulatorOptions(resolved);
  if (problem) throw problem;
  return resolved;
}
