import { type LineConditions, OVEN } from "./conditions.ts";

/** A thermocouple of the profiler, glued to one spot of the board. */
export interface Thermocouple {
  /** Value name in the `profile` samples. */
  readonly field: string;
  readonly where: string;
  /** Thermal time constant of the spot in the oven's convection, s: heavier parts lag more. */
  readonly tauS: number;
}

export const THERMOCOUPLES: readonly Thermocouple[] = [
  { field: "tc1_c", where: "C7, 0402 capacitor", tauS: 42 },
  { field: "tc2_c", where: "U1 body, LQFP-48", tauS: 46 },
  { field: "tc3_c", where: "J1 shell, USB-C", tauS: 50 },
];

/** SAC305 liquidus, °C. */
export const LIQUIDUS_C = 217;

/** The windows a good SAC305 profile of this board stays in. */
export const PROFILE_WINDOWS = {
  /** Peak temperature, °C. */
  peakC: { low: 240, high: 250 },
  /** Time above liquidus (217 °C), s. */
  timeAboveLiquidusS: { low: 45, high: 90 },
  /** Time in the soak band 150-200 °C, s. */
  soakS: { low: 60, high: 120 },
} as const;

/**
 * The temperatures of a board's thermocouples on its way through the oven: each spot follows
 * the air it meets with its own lag (first-order heat transfer, solved exactly per step).
 */
export class BoardProfile {
  private readonly temperatures: number[];
  private clock: number;

  constructor(
    private readonly conditions: LineConditions,
    private readonly entry: number,
    /** Thermal mass of this board relative to nominal (board-to-board spread). */
    private readonly massFactor: number,
  ) {
    this.temperatures = THERMOCOUPLES.map(() => OVEN.ambientC);
    this.clock = entry;
  }

  /** Thermocouple readings at `t` (not before the last call), °C, in THERMOCOUPLES order. */
  advanceTo(t: number): readonly number[] {
    const stepMs = 100;
    while (this.clock < t) {
      const next = Math.min(t, this.clock + stepMs);
      const dtS = (next - this.clock) / 1000;
      const xCm = ((next - this.entry) / 60_000) * OVEN.conveyorCmMin;
      const air = this.conditions.airAt(xCm, next);
      for (let index = 0; index < THERMOCOUPLES.length; index++) {
        const tau = (THERMOCOUPLES[index] as Thermocouple).tauS * this.massFactor;
        const current = this.temperatures[index] as number;
        this.temperatures[index] = current + (air - current) * (1 - Math.exp(-dtS / tau));
      }
      this.clock = next;
    }
    return this.temperatures;
  }
}

/** Key figures of one thermocouple's trace. */
export interface ProfileKpis {
  /** Highest temperature, °C. */
  peakC: number;
  /** Time above liquidus, s. */
  timeAboveLiquidusS: number;
  /** Time between 150 and 200 °C on the way up, s. */
  soakS: number;
  /** Steepest rise over 10 s, °C/s. */
  maxRampCPerS: number;
}

/** KPIs of a trace of (ts ms, °C) readings in time order. */
export function profileKpis(trace: readonly { ts: number; value: number }[]): ProfileKpis {
  let peakC = Number.NEGATIVE_INFINITY;
  let aboveMs = 0;
  let soakMs = 0;
  let maxRamp = 0;
  let reachedPeak = false;
  let windowStart = 0;
  for (let index = 0; index < trace.length; index++) {
    const reading = trace[index] as { ts: number; value: number };
    if (reading.value > peakC) peakC = reading.value;
    if (index === 0) continue;
    const previous = trace[index - 1] as { ts: number; value: number };
    const dt = reading.ts - previous.ts;
    if (previous.value >= LIQUIDUS_C) aboveMs += dt;
    if (!reachedPeak && previous.value >= 150 && previous.value <= 200) soakMs += dt;
    if (previous.value >= LIQUIDUS_C) reachedPeak = true;
    while ((trace[windowStart + 1] as { ts: number }).ts <= reading.ts - 10_000) windowStart++;
    const first = trace[windowStart] as { ts: number; value: number };
    if (reading.ts - first.ts >= 10_000) {
      maxRamp = Math.max(maxRamp, ((reading.value - first.value) * 1000) / (reading.ts - first.ts));
    }
  }
  return {
    peakC,
    timeAboveLiquidusS: aboveMs / 1000,
    soakS: soakMs / 1000,
    maxRampCPerS: maxRamp,
  };
}
