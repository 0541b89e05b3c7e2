import type { Rng } from "./random.ts";
import { SCENARIO_PARAMETERS, trapezoid } from "./scenarios.ts";

// The true physical state of the hall and of a line over time. Sensors read it with their
// own noise; the quality model uses it directly. Every quantity is a function of time, so
// the order in which the event loop asks for it changes nothing.

/**
 * A slowly wandering deviation around zero: an AR(1) series on knots `spacingMs` apart,
 * linearly interpolated. Knots are drawn lazily, in time order, from the process's own stream.
 */
export class Wander {
  private readonly knots: number[] = [];
  private readonly innovation: number;

  constructor(
    private readonly rng: Rng,
    private readonly origin: number,
    private readonly spacingMs: number,
    private readonly sd: number,
    /** Correlation from one knot to the next. */
    private readonly phi: number,
  ) {
    this.innovation = sd * Math.sqrt(1 - phi * phi);
  }

  at(t: number): number {
    const position = Math.max(0, t - this.origin) / this.spacingMs;
    const index = Math.floor(position);
    this.extend(index + 1);
    const a = this.knots[index] as number;
    const b = this.knots[index + 1] as number;
    return a + (b - a) * (position - index);
  }

  private extend(index: number): void {
    while (this.knots.length <= index) {
      const previous = this.knots[this.knots.length - 1];
      this.knots.push(
        previous === undefined
          ? this.rng.normal(0, this.sd)
          : this.phi * previous + this.rng.normal(0, this.innovation),
      );
    }
  }
}

/** A window of simulated time, epoch ms. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** The hall of a site: humidity and temperature. */
export class HallClimate {
  private readonly humidityWander: Wander;
  private readonly temperatureWander: Wander;

  constructor(
    rng: Rng,
    start: number,
    /** The humidity excursion, when the scenario plays in this hall. */
    private readonly humidityExcursion: Window | undefined,
  ) {
    this.humidityWander = new Wander(rng.fork(), start, 10 * 60_000, 2.5, 0.9);
    this.temperatureWander = new Wander(rng.fork(), start, 10 * 60_000, 0.6, 0.9);
  }

  /** Relative humidity, %RH. */
  humidityRh(t: number): number {
    const base = 45 + this.humidityWander.at(t);
    const excursion = this.humidityExcursion;
    if (excursion === undefined) return base;
    const { peakRh, rampMs } = SCENARIO_PARAMETERS.humidity;
    return base + (peakRh - base) * trapezoid(t, excursion.from, excursion.to, rampMs);
  }

  /** Air temperature, °C. */
  temperatureC(t: number): number {
    return 23 + this.temperatureWander.at(t);
  }
}

/** Reflow oven: heated zones 1-8 (top and bottom heaters) and two cooling zones. */
export const OVEN = {
  /** Air temperature setpoints of heated zones 1-8, °C. */
  setpointsC: [160, 175, 185, 195, 205, 235, 258, 258],
  /** Cooling zone air temperatures, °C. */
  coolingC: [60, 40],
  /** Length of every zone, cm. */
  zoneLengthCm: 40,
  /** Conveyor from the entrance to zone 1, cm; and from the last zone to the exit. */
  entryCm: 15,
  exitCm: 20,
  /** Conveyor speed, cm/min. */
  conveyorCmMin: 80,
  /** Board length plus the gap the oven keeps between boards, cm. */
  boardPitchCm: 27,
  /** Room temperature at the ends of the oven, °C. */
  ambientC: 25,
} as const;

/** Time a board spends in the oven, entrance to exit, ms. */
export const OVEN_TRANSIT_MS = Math.round(
  ((OVEN.entryCm +
    OVEN.zoneLengthCm * (OVEN.setpointsC.length + OVEN.coolingC.length) +
    OVEN.exitCm) /
    OVEN.conveyorCmMin) *
    60_000,
);

/** A line's shielding gas supply and reflow oven. */
export class LineConditions {
  private readonly pressureWander: Wander;
  private readonly o2Wander: Wander;
  private readonly zoneWanders: Wander[];

  constructor(
    rng: Rng,
    start: number,
    private readonly faults: { o2Rise?: Window; zoneDrift?: Window },
  ) {
    this.pressureWander = new Wander(rng.fork(), start, 5 * 60_000, 0.04, 0.8);
    this.o2Wander = new Wander(rng.fork(), start, 5 * 60_000, 60, 0.85);
    // Top then bottom heater of each zone.
    this.zoneWanders = OVEN.setpointsC.flatMap(() => [
      new Wander(rng.fork(), start, 2 * 60_000, 0.35, 0.85),
      new Wander(rng.fork(), start, 2 * 60_000, 0.35, 0.85),
    ]);
  }

  /** Nitrogen supply pressure, bar. */
  n2PressureBar(t: number): number {
    const base = 6 + this.pressureWander.at(t);
    const fault = this.faults.o2Rise;
    if (fault === undefined) return base;
    const { lowPressureBar, rampMs } = SCENARIO_PARAMETERS.o2Rise;
    return base + (lowPressureBar - base) * trapezoid(t, fault.from, fault.to, rampMs);
  }

  /** Nitrogen flow into the oven, m³/h: follows the supply pressure. */
  n2FlowM3h(t: number): number {
    return 18 * Math.sqrt(Math.max(0, this.n2PressureBar(t)) / 6);
  }

  /** Residual oxygen in the oven, ppm: rises as the nitrogen supply weakens. */
  o2Ppm(t: number): number {
    const deficit = Math.max(0, 5.2 - this.n2PressureBar(t));
    return Math.max(50, 550 + this.o2Wander.at(t) + 1000 * deficit);
  }

  /** True air temperature of heated zone `zone` (1-8), top or bottom heater, °C. */
  zoneC(zone: number, side: "top" | "bot", t: number): number {
    const setpoint = OVEN.setpointsC[zone - 1] as number;
    const wander = this.zoneWanders[(zone - 1) * 2 + (side === "top" ? 0 : 1)] as Wander;
    let value = setpoint + wander.at(t);
    const drift = this.faults.zoneDrift;
    if (drift !== undefined && zone === 7 && side === "top" && t > drift.from && t < drift.to) {
      value += (SCENARIO_PARAMETERS.zoneDrift.ratePerHour * (t - drift.from)) / 3600_000;
    }
    return value;
  }

  /** Air temperature a board meets `x` cm past the oven entrance, °C (mean of top and bottom). */
  airAt(xCm: number, t: number): number {
    const inZones = xCm - OVEN.entryCm;
    const heated = OVEN.setpointsC.length;
    const zones = heated + OVEN.coolingC.length;
    if (inZones < 0 || inZones >= zones * OVEN.zoneLengthCm) return OVEN.ambientC;
    const index = Math.floor(inZones / OVEN.zoneLengthCm);
    const here = this.zoneAir(index, t);
    // Air mixes across the curtain between zones: the first 15 % of a zone blends from the
    // previous zone's temperature.
    const fraction = (inZones - index * OVEN.zoneLengthCm) / OVEN.zoneLengthCm;
    if (fraction >= 0.15) return here;
    const before = index === 0 ? OVEN.ambientC : this.zoneAir(index - 1, t);
    return before + (here - before) * (0.5 + fraction / 0.3);
  }

  private zoneAir(index: number, t: number): number {
    const heated = OVEN.setpointsC.length;
    if (index >= heated) return OVEN.coolingC[index - heated] as number;
    return (this.zoneC(index + 1, "top", t) + this.zoneC(index + 1, "bot", t)) / 2;
  }
}
