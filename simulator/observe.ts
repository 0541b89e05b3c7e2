import { OVEN } from "./conditions.ts";
import type { SimulatorOptions } from "./options.ts";
import { SCENARIO_PARAMETERS, type ScenarioName } from "./scenarios.ts";
import { HALL, lineName, type SimulatedMessage, scenarioWindows, siteName } from "./simulate.ts";

// Reads published messages back into per-board facts and signal series, the way analytics
// would see them. The tests check the documented scenario effects with it, and the effect
// sizes in SCENARIOS were measured with it.

/** A test verdict as published. */
export interface TestFacts {
  readonly result: "pass" | "fail";
  readonly defects: readonly { code: string; ref?: string }[];
}

/** What the messages tell about one board. */
export interface BoardFacts {
  readonly serial: string;
  /** Site and line of the board's first visit. */
  readonly site: string;
  readonly line: string;
  /** Start of the printer visit, epoch ms. */
  printedAt?: number;
  /** The reflow visit, epoch ms. */
  reflow?: { from: number; to?: number };
  /** SPI volume_pct of each reference designator's pads. */
  volumes?: Map<string, number[]>;
  placements?: readonly {
    ref: string;
    part: string;
    lot: string;
    supplier?: string;
    reel?: string;
  }[];
  aoi?: TestFacts;
  ict?: TestFacts;
  fct?: TestFacts;
}

/** One reading of a signal channel. */
export interface Reading {
  readonly ts: number;
  readonly serial?: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface Observation {
  /** Boards by serial, in the order they were first seen. */
  readonly boards: Map<string, BoardFacts>;
  /** Signal readings by topic, in time order. */
  readonly signals: Map<string, Reading[]>;
  /** Every message, when kept. */
  readonly messages: SimulatedMessage[];
}

interface Payload {
  ts?: number;
  serial?: string;
  event?: string;
  kind?: string;
  result?: "pass" | "fail";
  defects?: { code: string; ref?: string }[];
  pads?: { ref: string; volume_pct: number }[];
  placements?: BoardFacts["placements"];
  samples?: Reading[];
  values?: Record<string, number>;
}

/** Collects the facts of a run; `keep` also keeps every message. */
export function observe(messages: Iterable<SimulatedMessage>, keep = false): Observation {
  const boards = new Map<string, BoardFacts>();
  const signals = new Map<string, Reading[]>();
  const kept: SimulatedMessage[] = [];
  let site = "";
  let line = "";
  const board = (serial: string): BoardFacts => {
    let facts = boards.get(serial);
    if (facts === undefined) {
      facts = { serial, site, line };
      boards.set(serial, facts);
    }
    return facts;
  };
  for (const message of messages) {
    if (keep) kept.push(message);
    const levels = message.topic.split("/");
    const station = levels[levels.length - 2] as string;
    site = levels[levels.length - 4] as string;
    line = levels[levels.length - 3] as string;
    const channel = levels[levels.length - 1] as string;
    const payload = message.payload as Payload;
    switch (channel) {
      case "unit": {
        const facts = board(payload.serial as string);
        if (station === "printer" && payload.event === "start") facts.printedAt = payload.ts;
        if (station === "reflow" && payload.event === "start") {
          facts.reflow = { from: payload.ts as number };
        }
        if (station === "reflow" && payload.event === "complete" && facts.reflow) {
          facts.reflow.to = payload.ts;
        }
        break;
      }
      case "spi": {
        const volumes = new Map<string, number[]>();
        for (const pad of payload.pads ?? []) {
          const ref = pad.ref.split(".")[0] as string;
          const list = volumes.get(ref);
          if (list) list.push(pad.volume_pct);
          else volumes.set(ref, [pad.volume_pct]);
        }
        board(payload.serial as string).volumes = volumes;
        break;
      }
      case "material":
        board(payload.serial as string).placements = payload.placements;
        break;
      case "test": {
        const facts = board(payload.serial as string);
        const test: TestFacts = {
          result: payload.result as "pass" | "fail",
          defects: payload.defects ?? [],
        };
        if (payload.kind === "aoi") facts.aoi = test;
        if (payload.kind === "ict") facts.ict = test;
        if (payload.kind === "fct") facts.fct = test;
        break;
      }
      case "event":
      case "pack":
        break;
      default: {
        const readings = signals.get(message.topic) ?? [];
        if (payload.samples) readings.push(...payload.samples);
        else if (payload.values)
          readings.push({ ts: payload.ts as number, values: payload.values });
        signals.set(message.topic, readings);
      }
    }
  }
  return { boards, signals, messages: kept };
}

/** The last reading at or before `t` (the first reading when none is). */
export function readingAt(series: readonly Reading[], t: number): Reading | undefined {
  let low = 0;
  let high = series.length - 1;
  if (high < 0) return undefined;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((series[middle] as Reading).ts <= t) low = middle;
    else high = middle - 1;
  }
  return series[low];
}

/** Mean of `field` over the readings in [from, to]; undefined when there are none. */
export function meanOver(
  series: readonly Reading[],
  field: string,
  from: number,
  to: number,
): number | undefined {
  let sum = 0;
  let count = 0;
  for (const reading of series) {
    if (reading.ts < from) continue;
    if (reading.ts > to) break;
    const value = reading.values[field];
    if (value === undefined) continue;
    sum += value;
    count += 1;
  }
  return count === 0 ? undefined : sum / count;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Counts of an outcome in one group of boards. */
export interface GroupRate {
  readonly boards: number;
  readonly withOutcome: number;
  readonly rate: number;
}

/** Outcome rates of exposed and unexposed boards, as in a RateEffect. */
export interface RateComparison {
  readonly exposed: GroupRate;
  readonly unexposed: GroupRate;
  readonly rateRatio: number;
  readonly oddsRatio: number;
}

/**
 * Splits boards into exposed / unexposed (a board may be neither) and counts `outcome` in
 * each; boards for which `outcome` is undefined (never reached that test) are left out.
 */
export function compareRates(
  boards: Iterable<BoardFacts>,
  exposure: (board: BoardFacts) => boolean | undefined,
  outcome: (board: BoardFacts) => boolean | undefined,
): RateComparison {
  const counts = { exposed: [0, 0], unexposed: [0, 0] };
  for (const board of boards) {
    const exposed = exposure(board);
    if (exposed === undefined) continue;
    const happened = outcome(board);
    if (happened === undefined) continue;
    const group = exposed ? counts.exposed : counts.unexposed;
    group[0] = (group[0] as number) + 1;
    if (happened) group[1] = (group[1] as number) + 1;
  }
  const rate = ([boardsIn, withOutcome]: number[]): GroupRate => ({
    boards: boardsIn as number,
    withOutcome: withOutcome as number,
    rate: (withOutcome as number) / Math.max(1, boardsIn as number),
  });
  const exposed = rate(counts.exposed);
  const unexposed = rate(counts.unexposed);
  const odds = (p: number): number => p / (1 - p);
  return {
    exposed,
    unexposed,
    rateRatio: exposed.rate / unexposed.rate,
    oddsRatio: odds(exposed.rate) / odds(unexposed.rate),
  };
}

/** What the zone-drift scenario shows on its SPC chart. */
export interface DriftMeasure {
  /** Minutes from onset to the 7th of the first 7 subgroup means in a row above the centre line. */
  readonly ruleAfterMinutes: number | undefined;
  /** Minutes from onset to the first subgroup mean beyond the specification limit. */
  readonly specAfterMinutes: number | undefined;
  readonly centre: number;
}

function seriesEndingWith(observation: Observation, suffix: string): Reading[] {
  for (const [topic, readings] of observation.signals) {
    if (topic.endsWith(suffix)) return readings;
  }
  return [];
}

/**
 * Measures a scenario's documented effect on a run, with the exposure and outcome its
 * RateEffect names (or, for zone-drift, its DriftEffect). Line scenarios count the boards of
 * the first line of the first site, the humidity scenario every board of the first site.
 */
export function measureScenario(
  name: Exclude<ScenarioName, "zone-drift">,
  observation: Observation,
): RateComparison;
export function measureScenario(
  name: "zone-drift",
  observation: Observation,
  options: Partial<SimulatorOptions>,
): DriftMeasure;
export function measureScenario(
  name: ScenarioName,
  observation: Observation,
  options?: Partial<SimulatorOptions>,
): RateComparison | DriftMeasure {
  const site = siteName(0);
  const line = lineName(0);
  const onLine = [...observation.boards.values()].filter(
    (board) => board.site === site && board.line === line,
  );
  const hasDefect = (test: TestFacts | undefined, code: string, ref?: string) =>
    test === undefined
      ? undefined
      : test.defects.some(
          (defect) => defect.code === code && (ref === undefined || defect.ref === ref),
        );
  switch (name) {
    case "humidity": {
      const humidity = seriesEndingWith(observation, `/${site}/${HALL}/env01/env`);
      const inSite = [...observation.boards.values()].filter((board) => board.site === site);
      return compareRates(
        inSite,
        (board) => {
          if (board.printedAt === undefined) return undefined;
          const rh = readingAt(humidity, board.printedAt)?.values.humidity_rh;
          if (rh === undefined) return undefined;
          return rh >= 65 ? true : rh < 55 ? false : undefined;
        },
        (board) => hasDefect(board.aoi, "insufficient_solder"),
      );
    }
    case "stencil-clog":
      return compareRates(
        onLine,
        (board) => {
          const volumes = board.volumes?.get("U1");
          if (volumes === undefined) return undefined;
          const average = mean(volumes);
          return average < 75 ? true : average >= 85 ? false : undefined;
        },
        (board) => hasDefect(board.aoi, "insufficient_solder", "U1"),
      );
    case "o2-rise": {
      const oven = seriesEndingWith(observation, `/${site}/${line}/reflow/reflow`);
      return compareRates(
        onLine,
        (board) => {
          if (board.reflow?.to === undefined) return undefined;
          const o2 = meanOver(oven, "o2_ppm", board.reflow.from, board.reflow.to);
          if (o2 === undefined) return undefined;
          return o2 >= 2000 ? true : o2 < 1000 ? false : undefined;
        },
        (board) => (board.fct === undefined ? undefined : board.fct.result === "fail"),
      );
    }
    case "bad-lot": {
      const { lot, part } = SCENARIO_PARAMETERS.badLot;
      return compareRates(
        onLine,
        (board) =>
          board.placements?.some((placement) => placement.part === part && placement.lot === lot),
        (board) => (board.ict === undefined ? undefined : board.ict.result === "fail"),
      );
    }
    case "zone-drift": {
      const window = scenarioWindows(options).find((candidate) => candidate.name === "zone-drift");
      if (window === undefined) throw new RangeError("the run did not play zone-drift");
      const oven = seriesEndingWith(observation, `/${site}/${line}/reflow/reflow`);
      const field = SCENARIO_PARAMETERS.zoneDrift.field;
      const minute = 60_000;
      const subgroupMean = (from: number) => meanOver(oven, field, from, from + minute - 1);
      const baseline: number[] = [];
      for (let from = window.from - 60 * minute; from < window.from; from += minute) {
        const value = subgroupMean(from);
        if (value !== undefined) baseline.push(value);
      }
      const centre = mean(baseline);
      const spec = (OVEN.setpointsC[6] as number) + 5;
      let run = 0;
      let ruleAfterMinutes: number | undefined;
      let specAfterMinutes: number | undefined;
      for (let from = window.from, index = 1; from < window.to; from += minute, index++) {
        const value = subgroupMean(from);
        if (value === undefined) break;
        run = value > centre ? run + 1 : 0;
        if (run >= 7 && ruleAfterMinutes === undefined) ruleAfterMinutes = index;
        if (value > spec && specAfterMinutes === undefined) specAfterMinutes = index;
      }
      return { ruleAfterMinutes, specAfterMinutes, centre };
    }
  }
}
