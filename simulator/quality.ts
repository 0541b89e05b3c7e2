import { createHash } from "node:crypto";
import { COMPONENTS, type ComponentSpec, PRODUCT } from "./product.ts";
import type { Rng } from "./random.ts";
import { SCENARIO_PARAMETERS } from "./scenarios.ts";

// How a board turns out: paste deposits at the printer, solder joints in the oven, and what
// AOI, ICT and FCT then find. Every defect comes from a per-joint probability whose log-odds
// move with the process data that analytics can see (paste volume, hall humidity at print,
// O2 in the oven, the component lot), so the causes are in the data, not only in the outcome.

/** One inspected pad, as published on the `spi` channel. */
export interface PadReading {
  ref: string;
  volume_pct: number;
  height_um: number;
  area_pct: number;
  offset_x_um: number;
  offset_y_um: number;
}

/** A defect call, as published on the `test` channel. */
export interface DefectCall {
  code: string;
  ref?: string;
}

/** A measured test step, as published on the `test` channel. */
export interface Measurement {
  name: string;
  value: number;
  low?: number;
  high?: number;
  unit?: string;
}

/** A component placed on the board and where it came from. */
export interface Placement {
  ref: string;
  part: string;
  lot: string;
  supplier: string;
  date_code: string;
  reel: string;
}

/** What is true of a board, whether or not a test ever sees it. */
export interface BoardRecord {
  readonly serial: string;
  /** Boards loaded on this line before this one. */
  readonly index: number;
  pads: PadReading[];
  placements: Placement[];
  humidityAtPrintRh: number;
  o2DuringReflowPpm: number;
  /** Voids under U2's exposed pad, percent of the pad area. */
  voidPct: number;
  /** Joint defects present after reflow. */
  defects: DefectCall[];
  /** Defects AOI called (and so repair knows of). */
  aoiCalls: DefectCall[];
}

/** Paste volume a good print leaves, percent of aperture, by pad group. */
const NOMINAL_VOLUME_PCT: Readonly<Record<string, number>> = {
  fine_pitch: 92,
  qfn: 96,
  chip_0402: 101,
  chip_0603: 103,
  power: 104,
  connector: 98,
};

/** Limits of the SPI verdict, percent of aperture. */
export const SPI_LIMITS = { failLow: 40, failHigh: 170, warnLow: 55, warnHigh: 150 } as const;

/** Fine-pitch apertures lose this much volume per print since the last wipe, points. */
const WIPE_SAWTOOTH_PCT = 0.25;

/** Joint log-odds of insufficient solder per point of mean paste volume below 85 %. */
const LOG_ODDS_PER_MISSING_VOLUME = 0.18;

/** Share of each true defect AOI calls. */
const AOI_DETECTION: Readonly<Record<string, number>> = {
  insufficient_solder: 0.9,
  bridge: 0.97,
  tombstone: 0.99,
  missing_component: 0.995,
  misalignment: 0.9,
};

/** Limits of the FCT steps. */
export const FCT_LIMITS = {
  vin_current_ma: { low: 30, high: 60, unit: "mA" },
  v3v3_v: { low: 3.2, high: 3.4, unit: "V" },
  v1v8_v: { low: 1.75, high: 1.85, unit: "V" },
  u2_thermal_rise_c: { low: 0, high: 21.5, unit: "degC" },
  xtal_error_ppm: { low: -30, high: 30, unit: "ppm" },
  usb_enum_ms: { low: 0, high: 300, unit: "ms" },
} as const;

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function significant(value: number, digits: number): number {
  return Number(value.toPrecision(digits));
}

function firmwareChecksum(version: string): string {
  const digest = createHash("sha256").update(`${PRODUCT.name}/${version}`).digest("hex");
  return `sha256:${digest.slice(0, 16)}`;
}

/** The line's quality model; each step draws from its own stream. */
export class QualityModel {
  private readonly printRng: Rng;
  private readonly jointRng: Rng;
  private readonly aoiRng: Rng;
  private readonly ictRng: Rng;
  private readonly fctRng: Rng;
  private readonly lotRng: Rng;
  private readonly lotFactors = new Map<string, number>();

  constructor(rng: Rng) {
    this.printRng = rng.fork();
    this.jointRng = rng.fork();
    this.aoiRng = rng.fork();
    this.ictRng = rng.fork();
    this.fctRng = rng.fork();
    this.lotRng = rng.fork();
  }

  /**
   * The paste deposits of one print. `clogLossPct` is the volume lost by the clogged
   * apertures (stencil-clog scenario), `printsSinceWipe` drives the normal sawtooth.
   */
  print(clogLossPct: number, printsSinceWipe: number): PadReading[] {
    const rng = this.printRng;
    const boardShift = rng.normal(0, 2.5);
    const shiftX = rng.normal(0, 12);
    const shiftY = rng.normal(0, 12);
    const clogged: readonly string[] = SCENARIO_PARAMETERS.stencilClog.refs;
    const pads: PadReading[] = [];
    for (const component of COMPONENTS) {
      const nominal = NOMINAL_VOLUME_PCT[component.padGroup] ?? 100;
      const sd = component.padGroup === "fine_pitch" ? 5 : 4;
      let loss = component.padGroup === "fine_pitch" ? WIPE_SAWTOOTH_PCT * printsSinceWipe : 0;
      if (clogged.includes(component.ref)) loss += clogLossPct;
      for (const pad of component.pads) {
        const volume = nominal + boardShift - loss + rng.normal(0, sd);
        const heightRatio = 1 + rng.normal(0, 0.03) + (volume / 100 - 1) * 0.35;
        pads.push({
          ref: `${component.ref}.${pad}`,
          volume_pct: round(volume, 1),
          height_um: round(PRODUCT.stencilUm * heightRatio, 1),
          area_pct: round(volume / heightRatio, 1),
          offset_x_um: round(shiftX + rng.normal(0, 6), 1),
          offset_y_um: round(shiftY + rng.normal(0, 6), 1),
        });
      }
    }
    // Rare print faults: a smeared deposit or a skipped aperture.
    if (rng.chance(0.003)) {
      const pad = rng.pick(pads);
      pad.volume_pct = round(rng.between(175, 220), 1);
      pad.area_pct = round(pad.volume_pct / (pad.height_um / PRODUCT.stencilUm), 1);
    }
    if (rng.chance(0.002)) {
      const pad = rng.pick(pads);
      pad.volume_pct = round(rng.between(15, 35), 1);
      pad.area_pct = round(pad.volume_pct / (pad.height_um / PRODUCT.stencilUm), 1);
    }
    return pads;
  }

  /** Verdict of the solder-paste inspection. */
  spiVerdict(pads: readonly PadReading[]): "pass" | "warning" | "fail" {
    let verdict: "pass" | "warning" | "fail" = "pass";
    for (const pad of pads) {
      if (pad.volume_pct < SPI_LIMITS.failLow || pad.volume_pct > SPI_LIMITS.failHigh)
        return "fail";
      if (pad.volume_pct < SPI_LIMITS.warnLow || pad.volume_pct > SPI_LIMITS.warnHigh) {
        verdict = "warning";
      }
    }
    return verdict;
  }

  /** The joints the oven leaves: sets board.defects and board.voidPct. */
  solder(board: BoardRecord): void {
    const rng = this.jointRng;
    const humidity = SCENARIO_PARAMETERS.humidity;
    const humidityLogOdds =
      humidity.logOddsPerRh * Math.max(0, board.humidityAtPrintRh - humidity.thresholdRh);
    const volumes = padVolumesByRef(board.pads);
    const defects: DefectCall[] = [];
    for (const component of COMPONENTS) {
      const own = volumes.get(component.ref) ?? [];
      const mean = own.reduce((sum, value) => sum + value, 0) / Math.max(1, own.length);
      const base = component.baseline;
      const insufficient = sigmoid(
        logit(base.insufficient) +
          LOG_ODDS_PER_MISSING_VOLUME * Math.max(0, 85 - mean) +
          humidityLogOdds,
      );
      if (rng.chance(insufficient))
        defects.push({ code: "insufficient_solder", ref: component.ref });
      if (base.bridge > 0) {
        const most = Math.max(...own);
        const bridge = sigmoid(logit(base.bridge) + 0.12 * Math.max(0, most - 120));
        if (rng.chance(bridge)) defects.push({ code: "bridge", ref: component.ref });
      }
      if (base.tombstone > 0 && own.length === 2) {
        const imbalance = Math.abs((own[0] as number) - (own[1] as number));
        const tombstone = sigmoid(logit(base.tombstone) + 0.1 * Math.max(0, imbalance - 12));
        if (rng.chance(tombstone)) defects.push({ code: "tombstone", ref: component.ref });
      }
      if (rng.chance(base.missing)) defects.push({ code: "missing_component", ref: component.ref });
      if (rng.chance(base.misalignment)) defects.push({ code: "misalignment", ref: component.ref });
    }
    board.defects = defects;
    board.voidPct = Math.max(0, 10 + (6 * board.o2DuringReflowPpm) / 1000 + rng.normal(0, 3));
  }

  /** Automated optical inspection: calls most visible defects. */
  aoi(board: BoardRecord): DefectCall[] {
    const calls = board.defects.filter((defect) =>
      this.aoiRng.chance(AOI_DETECTION[defect.code] ?? 0),
    );
    board.aoiCalls = calls;
    return calls;
  }

  /** In-circuit test of a board that passed AOI. */
  ict(board: BoardRecord): { defects: DefectCall[]; measurements: Measurement[] } {
    const rng = this.ictRng;
    const defects: DefectCall[] = [];
    for (const escaped of board.defects) {
      if (board.aoiCalls.includes(escaped) || !rng.chance(0.8)) continue;
      defects.push({
        code: escaped.code === "bridge" ? "short" : "open",
        ref: escaped.ref as string,
      });
    }
    // Probe contact: a good board now and then reads open until the fixture is cleaned.
    if (rng.chance(0.006)) defects.push({ code: "open", ref: rng.pick(MEASURED).ref });
    const opens = new Set(defects.filter((d) => d.code === "open").map((d) => d.ref));
    const shorts = new Set(defects.filter((d) => d.code === "short").map((d) => d.ref));
    const measurements: Measurement[] = [];
    for (const component of MEASURED) {
      const check = component.ict as NonNullable<ComponentSpec["ict"]>;
      const placement = board.placements.find((p) => p.ref === component.ref);
      let value =
        check.nominal *
        this.valueFactor(placement, check.partTolerance) *
        (1 + rng.normal(0, check.partTolerance / 3));
      if (opens.has(component.ref))
        value = check.quantity === "capacitance" ? 0 : check.nominal * 1000;
      if (shorts.has(component.ref))
        value = check.quantity === "capacitance" ? check.nominal * 1000 : 0;
      const low = significant(check.nominal * (1 - check.limit), 4);
      const high = significant(check.nominal * (1 + check.limit), 4);
      value = significant(value, 4);
      measurements.push({
        name: `${component.ref}_${check.quantity}`,
        value,
        low,
        high,
        unit: check.unit,
      });
      if (
        (value < low || value > high) &&
        !opens.has(component.ref) &&
        !shorts.has(component.ref)
      ) {
        defects.push({ code: "wrong_value", ref: component.ref });
      }
    }
    return { defects, measurements };
  }

  /** Functional test of a board that passed ICT, with the firmware it was flashed with. */
  fct(
    board: BoardRecord,
    mac: string,
  ): {
    defects: DefectCall[];
    measurements: Measurement[];
    firmware: { version: string; checksum: string; mac: string };
  } {
    const rng = this.fctRng;
    const defects: DefectCall[] = [];
    const stale = rng.chance(0.003);
    const version = stale ? PRODUCT.staleFirmware : PRODUCT.firmware;
    if (stale) defects.push({ code: "firmware_mismatch", ref: "U1" });
    const regulatorFault = rng.chance(0.002);
    const overcurrent = rng.chance(0.002);
    const usbFault = rng.chance(0.001);
    const values = {
      vin_current_ma: overcurrent ? rng.normal(75, 5) : rng.normal(42, 2),
      v3v3_v: regulatorFault ? rng.normal(3.12, 0.02) : rng.normal(3.3, 0.015),
      v1v8_v: rng.normal(1.8, 0.01),
      u2_thermal_rise_c: 12 + 0.3 * board.voidPct + rng.normal(0, 1),
      xtal_error_ppm: rng.normal(0, 8),
      usb_enum_ms: usbFault ? rng.normal(450, 40) : rng.normal(180, 20),
    };
    const attributions: Record<keyof typeof values, DefectCall> = {
      vin_current_ma: { code: "overcurrent" },
      v3v3_v: { code: "v3v3_out_of_limit", ref: "U2" },
      v1v8_v: { code: "v1v8_out_of_limit", ref: "U3" },
      // The thermal step exists to catch voiding under the exposed pad; the tester's
      // diagnosis names it.
      u2_thermal_rise_c: { code: "void", ref: "U2" },
      xtal_error_ppm: { code: "xtal_frequency", ref: "Y1" },
      usb_enum_ms: { code: "usb_enumeration", ref: "J1" },
    };
    const measurements: Measurement[] = [];
    for (const name of Object.keys(values) as (keyof typeof values)[]) {
      const limits = FCT_LIMITS[name];
      const value = significant(values[name], 5);
      measurements.push({ name, value, low: limits.low, high: limits.high, unit: limits.unit });
      if (value < limits.low || value > limits.high) defects.push(attributions[name]);
    }
    return {
      defects,
      measurements,
      firmware: { version, checksum: firmwareChecksum(version), mac },
    };
  }

  /** The actual value of a passive relative to nominal: its lot's offset, or the bad lot's. */
  private valueFactor(placement: Placement | undefined, partTolerance: number): number {
    if (placement === undefined) return 1;
    const bad = SCENARIO_PARAMETERS.badLot;
    if (placement.lot === bad.lot && placement.part === bad.part) {
      return this.ictRng.normal(bad.valueFactor, bad.valueSpread);
    }
    let factor = this.lotFactors.get(placement.lot);
    if (factor === undefined) {
      // Lots sit inside the part tolerance: their offset spreads a sixth of it.
      factor = 1 + this.lotRng.normal(0, partTolerance / 6);
      this.lotFactors.set(placement.lot, factor);
    }
    return factor;
  }
}

const MEASURED = COMPONENTS.filter((component) => component.ict !== undefined);

/** Paste volumes of each reference designator's pads. */
export function padVolumesByRef(pads: readonly PadReading[]): Map<string, number[]> {
  const byRef = new Map<string, number[]>();
  for (const pad of pads) {
    const ref = pad.ref.slice(0, pad.ref.indexOf("."));
    const list = byRef.get(ref);
    if (list === undefined) byRef.set(ref, [pad.volume_pct]);
    else list.push(pad.volume_pct);
  }
  return byRef;
}
