// Fault scenarios: each one a cause with a known effect, so that analytics can be checked
// against a known answer. The parameters here drive the model (see conditions.ts and
// quality.ts); the effect sizes are what a run shows, measured over seeds 1-5 with 6,000
// boards each, and checked again by scenarios.test.ts.

export const SCENARIO_NAMES = [
  "humidity",
  "stencil-clog",
  "o2-rise",
  "bad-lot",
  "zone-drift",
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** A rate of an outcome among boards with and without the cause. */
export interface RateEffect {
  readonly kind: "rates";
  /** The outcome counted, per board. */
  readonly outcome: string;
  /** Which boards count as exposed, read from the published data. */
  readonly exposed: string;
  /** Which boards count as unexposed. */
  readonly unexposed: string;
  /** Share of exposed boards with the outcome. */
  readonly exposedRate: number;
  /** Share of unexposed boards with the outcome. */
  readonly unexposedRate: number;
  /** exposedRate / unexposedRate. */
  readonly rateRatio: number;
  /** Odds ratio of the outcome, exposed vs unexposed. */
  readonly oddsRatio: number;
}

/** A drift that an SPC run rule sees before it crosses a specification limit. */
export interface DriftEffect {
  readonly kind: "drift";
  /** The characteristic that drifts. */
  readonly characteristic: string;
  /** Drift rate, °C per hour. */
  readonly ratePerHour: number;
  /** Distance of the specification limit from the setpoint, °C. */
  readonly specOffset: number;
  /** Subgroup the rule is run on. */
  readonly subgroup: string;
  /** The run rule. */
  readonly rule: string;
  /** Median minutes from drift onset to the first rule violation (the 7th point); 8-23 over seeds 1-5. */
  readonly ruleAfterMinutes: number;
  /** Minutes from onset until the true value crosses the specification limit. */
  readonly specAfterMinutes: number;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  /** Where it happens: the first site's hall, or the first line of the first site. */
  readonly target: "hall" | "line";
  /** Start and end as fractions of the planned run (durationMs, or units × nominal takt). */
  readonly window: { readonly from: number; readonly to: number };
  readonly cause: string;
  readonly effect: string;
  readonly effectSize: RateEffect | DriftEffect;
}

function rates(
  outcome: string,
  exposed: string,
  unexposed: string,
  exposedRate: number,
  unexposedRate: number,
): RateEffect {
  return {
    kind: "rates",
    outcome,
    exposed,
    unexposed,
    exposedRate,
    unexposedRate,
    rateRatio: round(exposedRate / unexposedRate),
    oddsRatio: round(exposedRate / (1 - exposedRate) / (unexposedRate / (1 - unexposedRate))),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Model knobs of the scenarios, shared by the model and the tests. */
export const SCENARIO_PARAMETERS = {
  humidity: {
    /** Hall humidity at the top of the excursion, %RH. */
    peakRh: 70,
    /** Ramp up and ramp down, ms. */
    rampMs: 15 * 60_000,
    /** Humidity above which paste takes up water and wets worse, %RH. */
    thresholdRh: 55,
    /** Log-odds of insufficient solder per joint, per %RH above the threshold. */
    logOddsPerRh: 0.14,
  },
  stencilClog: {
    /** Loss of paste volume on the clogged pad group at full clog, percentage points. */
    volumeLossPct: 30,
    /** Prints from the first clogged print until the clog is full. */
    printsToFull: 60,
    /** The reference designators whose apertures clog. */
    refs: ["U1"],
    padGroup: "fine_pitch",
  },
  o2Rise: {
    /** Nitrogen supply pressure during the fault, bar (nominal 6.0). */
    lowPressureBar: 3,
    /** Ramp of the pressure drop and recovery, ms. */
    rampMs: 10 * 60_000,
  },
  badLot: {
    part: "200-0603-10U",
    supplier: "Norden Components",
    lot: "N2544-9117",
    dateCode: "2544",
    /** Mean capacitance of the lot relative to nominal. */
    valueFactor: 0.83,
    /** Spread of the lot's capacitance relative to nominal. */
    valueSpread: 0.035,
  },
  zoneDrift: {
    /** The drifting signal of the reflow channel. */
    field: "z7_top_c",
    /** Drift of the zone's true air temperature, °C per hour. */
    ratePerHour: 3,
  },
} as const;

/** Every scenario, with its documented cause and effect. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: "humidity",
    description: "Hall humidity excursion to 70 %RH (door left open in the rain, HVAC fault).",
    target: "hall",
    window: { from: 0.1, to: 0.35 },
    cause:
      "Hall env sensors (humidity_rh) climb from ~45 to 70 %RH within 15 min, hold, and fall back. Paste printed in humid air takes up water and wets worse in reflow; SPI volumes do not move.",
    effect: "More insufficient_solder calls at AOI on every component, not only fine pitch.",
    effectSize: rates(
      "board has an insufficient_solder defect at AOI",
      "printed while the hall's humidity_rh was >= 65 %RH",
      "printed while it was < 55 %RH",
      0.06,
      0.0077,
    ),
  },
  {
    name: "stencil-clog",
    description: "The printer's under-stencil wipe runs dry; the fine-pitch apertures of U1 clog.",
    target: "line",
    window: { from: 0.4, to: 0.6 },
    cause:
      "SPI volume_pct of the U1 pads (pad group fine_pitch) falls by up to 30 points over 60 prints while staying inside the SPI limits; a manual stencil clean (printer event STENCIL_CLEAN) ends it.",
    effect: "More insufficient_solder calls at AOI on U1.",
    effectSize: rates(
      "board has an insufficient_solder defect at AOI on U1",
      "mean SPI volume_pct of the U1 pads < 75",
      "mean SPI volume_pct of the U1 pads >= 85",
      0.093,
      0.0015,
    ),
  },
  {
    name: "o2-rise",
    description: "Nitrogen supply pressure drops; the reflow oven's O2 rises to ~2,800 ppm.",
    target: "line",
    window: { from: 0.65, to: 0.85 },
    cause:
      "n2 nitrogen pressure_bar falls from 6.0 to 3.0 bar; reflow o2_ppm rises from ~550 to ~2,800 ppm. Oxidation during reflow leaves voids under U2's exposed pad, which raise its thermal rise at FCT.",
    effect: "More FCT fails (u2_thermal_rise_c above its limit, defect void at U2).",
    effectSize: rates(
      "board fails FCT",
      "mean reflow o2_ppm during the board's reflow visit >= 2000",
      "mean o2_ppm during the visit < 1000",
      0.14,
      0.0073,
    ),
  },
  {
    name: "bad-lot",
    description: "A bad lot of the 10 uF 0603 capacitor (C3, C4) from one supplier.",
    target: "line",
    window: { from: 0.35, to: 0.65 },
    cause:
      "Feeder F17 gets reels of lot N2544-9117 of part 200-0603-10U from Norden Components (capacitance ~17 % low); a quality hold (pnp event MATERIAL_HOLD) pulls the lot.",
    effect: "ICT fails on C3 / C4 (capacitance below the low limit, defect wrong_value).",
    effectSize: rates(
      "board fails ICT",
      "C3 or C4 placed from lot N2544-9117",
      "neither from that lot",
      0.444,
      0.0071,
    ),
  },
  {
    name: "zone-drift",
    description: "The top heater of reflow zone 7 drifts upward slowly (failing thermocouple).",
    target: "line",
    window: { from: 0.55, to: 0.95 },
    cause:
      "reflow z7_top_c climbs 3 °C per hour above its 258 °C setpoint; an oven recalibration (reflow event TC_RECALIBRATED) ends it.",
    effect:
      "An SPC run rule on z7_top_c fires long before the ±5 °C zone specification is crossed.",
    effectSize: {
      kind: "drift",
      characteristic: "reflow z7_top_c",
      ratePerHour: 3,
      specOffset: 5,
      subgroup: "1-minute means, centre line and sigma from the hour before onset",
      rule: "7 subgroup means in a row above the centre line",
      ruleAfterMinutes: 13,
      specAfterMinutes: 100,
    },
  },
];

export function scenarioByName(name: ScenarioName): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (scenario === undefined) throw new RangeError(`unknown scenario ${name}`);
  return scenario;
}

/**
 * 0 outside [from, to], 1 inside after a linear ramp of `rampMs` at both ends: the shape of
 * an excursion that builds up and recovers.
 */
export function trapezoid(t: number, from: number, to: number, rampMs: number): number {
  if (t <= from || t >= to) return 0;
  const ramp = Math.max(1, Math.min(rampMs, (to - from) / 2));
  return Math.min(1, (t - from) / ramp, (to - t) / ramp);
}
