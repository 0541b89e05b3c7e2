import { HallClimate, type Window } from "./conditions.ts";
import { EventQueue } from "./events.ts";
import { Line, NOMINAL_TAKT_MS, SETUP_MS } from "./line.ts";
import { resolveSimulatorOptions, type SimulatorOptions } from "./options.ts";
import { Rng } from "./random.ts";
import { SCENARIOS, type ScenarioName } from "./scenarios.ts";
import { SignalStream } from "./signals.ts";

/** One message of the simulated plant: publish `payload` (as JSON) on `topic` at `ts`. */
export interface SimulatedMessage {
  /** Simulated time of publishing, epoch ms; messages come in non-decreasing ts. */
  readonly ts: number;
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/** Where and when a scenario plays in a run. */
export interface ScenarioWindow extends Window {
  readonly name: ScenarioName;
  readonly site: string;
  /** The line, or "hall" for the site's hall. */
  readonly line: string;
}

/** Hall sensors of every site. */
const HALL_SENSORS = [
  { station: "env01", humidityOffset: 0.6, temperatureOffset: -0.2 },
  { station: "env02", humidityOffset: -0.5, temperatureOffset: 0.3 },
];
/** Line name of the site-level sensors. */
export const HALL = "hall";

export function siteName(index: number): string {
  return `plant${index + 1}`;
}

export function lineName(index: number): string {
  return `line${index + 1}`;
}

/** The length of the run that scenario windows are laid out on, ms. */
export function plannedRunMs(options: SimulatorOptions): number {
  return options.units === undefined
    ? SETUP_MS + options.durationMs
    : SETUP_MS + options.units * NOMINAL_TAKT_MS;
}

/** The scenario windows of a run: all on the first site, line scenarios on its first line. */
export function scenarioWindows(options: Partial<SimulatorOptions> = {}): ScenarioWindow[] {
  const resolved = resolveSimulatorOptions(options);
  const planned = plannedRunMs(resolved);
  return SCENARIOS.filter((scenario) => resolved.scenarios.includes(scenario.name)).map(
    (scenario) => ({
      name: scenario.name,
      site: siteName(0),
      line: scenario.target === "hall" ? HALL : lineName(0),
      from: resolved.start + Math.round(scenario.window.from * planned),
      to: resolved.start + Math.round(scenario.window.to * planned),
    }),
  );
}

/**
 * Simulates the plant (every site and line of `options`) and yields its MQTT messages in
 * simulated-time order. Pure: the same options give the same messages, byte for byte.
 */
export function* simulateLine(
  options: Partial<SimulatorOptions> = {},
): Generator<SimulatedMessage, void, undefined> {
  const resolved = resolveSimulatorOptions(options);
  const queue = new EventQueue(resolved.start);
  const outbox: SimulatedMessage[] = [];
  const emit = (topic: string, payload: object): void => {
    outbox.push({ ts: queue.now, topic, payload: payload as Record<string, unknown> });
  };
  const root = Rng.seeded(resolved.seed);
  const windows = scenarioWindows(resolved);
  let lineIndex = 0;
  for (let siteIndex = 0; siteIndex < resolved.sites; siteIndex++) {
    const site = siteName(siteIndex);
    const siteRng = root.fork();
    const humidity = windows.find((window) => window.site === site && window.line === HALL);
    const hall = new HallClimate(siteRng.fork(), resolved.start, humidity);
    const hallStreams = HALL_SENSORS.map((sensor) => {
      const noise = siteRng.fork();
      return new SignalStream(
        queue,
        (samples) => emit(`${resolved.prefix}/${site}/${HALL}/${sensor.station}/env`, { samples }),
        resolved.start,
        Math.min(resolved.signalRateHz, 1),
        resolved.samplesPerMessage,
        (t) => ({
          humidity_rh: round(hall.humidityRh(t) + sensor.humidityOffset + noise.normal(0, 0.3), 1),
          temperature_c: round(
            hall.temperatureC(t) + sensor.temperatureOffset + noise.normal(0, 0.05),
            2,
          ),
        }),
      );
    });
    let running = resolved.linesPerSite;
    for (let index = 0; index < resolved.linesPerSite; index++) {
      const line = lineName(index);
      const own: Partial<Record<ScenarioName, Window>> = {};
      for (const window of windows) {
        if (window.site === site && window.line === line) own[window.name] = window;
      }
      new Line({
        queue,
        options: resolved,
        site,
        line,
        siteIndex,
        lineIndex,
        rng: siteRng.fork(),
        hall,
        windows: own,
        emit,
        onFinished: () => {
          running -= 1;
          if (running === 0) for (const stream of hallStreams) stream.stop();
        },
      }).begin();
      lineIndex += 1;
    }
    for (const stream of hallStreams) stream.start();
  }
  while (queue.step()) {
    if (outbox.length > 0) yield* outbox.splice(0);
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
