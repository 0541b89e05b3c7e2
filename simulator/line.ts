import {
  type HallClimate,
  LineConditions,
  OVEN,
  OVEN_TRANSIT_MS,
  type Window,
} from "./conditions.ts";
import type { EventQueue, ScheduledEvent } from "./events.ts";
import { boardSerial, boxId, macAddress, palletSscc, shipmentId, yymmdd } from "./identifiers.ts";
import { FeederBank, type ReelChange } from "./materials.ts";
import type { SimulatorOptions } from "./options.ts";
import { COMPONENTS, PRODUCT } from "./product.ts";
import { type BoardRecord, type Placement, QualityModel } from "./quality.ts";
import type { Rng } from "./random.ts";
import { BoardProfile, THERMOCOUPLES } from "./reflow.ts";
import { SCENARIO_PARAMETERS, type ScenarioName } from "./scenarios.ts";
import { type SignalSample, SignalStream } from "./signals.ts";

/** The stations of a line, in the order a board visits them. */
export const STATIONS = ["printer", "spi", "pnp", "reflow", "aoi", "ict", "fct", "pack"] as const;
export type StationName = (typeof STATIONS)[number];

interface StopCause {
  readonly code: string;
  readonly message: string;
}

interface StationSpec {
  /** Median cycle time, ms. */
  readonly cycleMs: number;
  /** Spread of the cycle time (sigma of its logarithm). */
  readonly cycleSpread: number;
  /** Boards that fit on the conveyor in front of the station. */
  readonly buffer: number;
  /** Mean time between unplanned stops, ms; undefined: the station does not stop. */
  readonly mtbfMs?: number;
  /** Median repair time of a stop, ms. */
  readonly repairMs?: number;
  readonly stops?: readonly StopCause[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const STATION_SPECS: Readonly<Record<StationName, StationSpec>> = {
  printer: {
    cycleMs: 17_000,
    cycleSpread: 0.05,
    buffer: 0,
    mtbfMs: 2 * HOUR,
    repairMs: 3 * MINUTE,
    stops: [
      { code: "PASTE_LOW", message: "solder paste roll below minimum; paste added" },
      { code: "BOARD_JAM", message: "board stuck on the transfer conveyor" },
      { code: "FIDUCIAL_NOT_FOUND", message: "fiducial recognition failed; board realigned" },
    ],
  },
  spi: {
    cycleMs: 14_000,
    cycleSpread: 0.05,
    buffer: 3,
    mtbfMs: 4 * HOUR,
    repairMs: 2 * MINUTE,
    stops: [
      { code: "BOARD_JAM", message: "board stuck at the inspection stop" },
      { code: "CAMERA_CALIBRATION", message: "height calibration drifted; recalibrated" },
    ],
  },
  pnp: {
    cycleMs: 24_000,
    cycleSpread: 0.03,
    buffer: 3,
    mtbfMs: 1.5 * HOUR,
    repairMs: 2.5 * MINUTE,
    stops: [
      { code: "NOZZLE_CLOG", message: "nozzle clogged; exchanged" },
      { code: "PICKUP_ERROR", message: "repeated pick-up errors; feeder reseated" },
      { code: "VISION_REJECT", message: "component vision rejects above threshold" },
    ],
  },
  reflow: { cycleMs: OVEN_TRANSIT_MS, cycleSpread: 0, buffer: 2 },
  aoi: {
    cycleMs: 18_000,
    cycleSpread: 0.05,
    buffer: Number.POSITIVE_INFINITY,
    mtbfMs: 4 * HOUR,
    repairMs: 2 * MINUTE,
    stops: [{ code: "BOARD_JAM", message: "board stuck at the inspection stop" }],
  },
  ict: {
    cycleMs: 21_000,
    cycleSpread: 0.04,
    buffer: 4,
    mtbfMs: 3 * HOUR,
    repairMs: 4 * MINUTE,
    stops: [{ code: "FIXTURE_CONTACT", message: "probe contact failures; fixture cleaned" }],
  },
  fct: {
    cycleMs: 22_000,
    cycleSpread: 0.04,
    buffer: 4,
    mtbfMs: 3 * HOUR,
    repairMs: 3 * MINUTE,
    stops: [
      { code: "USB_TIMEOUT", message: "tester lost the USB connection; restarted" },
      { code: "FIXTURE_CONTACT", message: "pogo pin contact failures; fixture cleaned" },
    ],
  },
  pack: {
    cycleMs: 8_000,
    cycleSpread: 0.1,
    buffer: 10,
    mtbfMs: 4 * HOUR,
    repairMs: 3 * MINUTE,
    stops: [{ code: "LABEL_PRINTER", message: "label printer out of labels; reloaded" }],
  },
};

/** Changeover to the product before the first board is loaded, ms. */
export const SETUP_MS = 2 * MINUTE;
/** The printer wipes the stencil's underside every this many prints. */
const WIPE_EVERY = 8;
const WIPE_MS = 20_000;
/** Boards a shift averages per hour on a line, from long runs; plans scenario windows for --units. */
export const NOMINAL_TAKT_MS = 25_500;

/** Where the shipments of the line go. */
const DESTINATION = "Distribution centre Venlo";

interface Unit extends BoardRecord {
  /** Boards of the day on this line before this one: the serial's sequence. */
  readonly sequence: number;
  printStart: number;
  reflowEntry: number;
  wipeDue: boolean;
}

interface Station {
  readonly name: StationName;
  readonly spec: StationSpec;
  readonly rng: Rng;
  readonly input: Unit[];
  busy: Unit | undefined;
  blocked: Unit | undefined;
  down: boolean;
  finishEvent: ScheduledEvent | undefined;
  /** Cycle time left when a stop paused the board in work, ms. */
  remainingMs: number | undefined;
  previous: Station | undefined;
  next: Station | undefined;
}

/** What a line needs from the simulation around it. */
export interface LineContext {
  readonly queue: EventQueue;
  readonly options: SimulatorOptions;
  readonly site: string;
  readonly line: string;
  readonly siteIndex: number;
  /** Index of the line over all sites: its letter in serials. */
  readonly lineIndex: number;
  readonly rng: Rng;
  readonly hall: HallClimate;
  /** Scenario windows that play on this line. */
  readonly windows: Partial<Record<ScenarioName, Window>>;
  /** Publishes a message at the current simulated time. */
  readonly emit: (topic: string, payload: object) => void;
  /** Called once when the last board has left the line. */
  readonly onFinished: () => void;
}

/** One SMT line: a discrete-event model of boards flowing through its stations. */
export class Line {
  private readonly stations: Station[];
  private readonly conditions: LineConditions;
  private readonly quality: QualityModel;
  private readonly feeders: FeederBank;
  private readonly streams: SignalStream[] = [];
  private readonly signalRng: Rng;
  private loaded = 0;
  private inProcess = 0;
  private finished = false;
  private serialDay = "";
  private serialSequence = 0;
  private macSequence = 0;
  private printsSinceWipe = 0;
  private clogPrints = 0;
  private lastOvenEntry = Number.NEGATIVE_INFINITY;
  private ovenWake: ScheduledEvent | undefined;
  private o2Alarm = false;
  private box: { id: string; serials: string[] } | undefined;
  private boxSequence = 0;
  private pallet: { id: string; boxes: string[] } | undefined;
  private palletSequence = 0;
  private readonly pallets: string[] = [];

  constructor(private readonly context: LineContext) {
    const rng = context.rng;
    this.conditions = new LineConditions(rng.fork(), context.options.start, {
      ...(context.windows["o2-rise"] ? { o2Rise: context.windows["o2-rise"] } : {}),
      ...(context.windows["zone-drift"] ? { zoneDrift: context.windows["zone-drift"] } : {}),
    });
    this.quality = new QualityModel(rng.fork());
    this.feeders = new FeederBank(rng.fork(), context.lineIndex, context.options.start);
    this.stations = STATIONS.map((name) => ({
      name,
      spec: STATION_SPECS[name],
      rng: rng.fork(),
      input: [],
      busy: undefined,
      blocked: undefined,
      down: false,
      finishEvent: undefined,
      remainingMs: undefined,
      previous: undefined,
      next: undefined,
    }));
    this.stations.forEach((station, index) => {
      station.previous = this.stations[index - 1];
      station.next = this.stations[index + 1];
    });
    this.signalRng = rng.fork();
  }

  /** Schedules the shift: changeover, signals, stops, scenarios, then the first board. */
  begin(): void {
    const { queue, options } = this.context;
    for (const station of this.stations) {
      this.event(station.name, "changeover", PRODUCT.name, `changeover to ${PRODUCT.name}`);
      this.scheduleStop(station);
    }
    this.startSignals();
    this.scheduleScenarios();
    queue.at(options.start + SETUP_MS, () => this.pull(this.station("printer")));
  }

  private station(name: StationName): Station {
    return this.stations.find((station) => station.name === name) as Station;
  }

  private topic(station: string, channel: string): string {
    const { options, site, line } = this.context;
    return `${options.prefix}/${site}/${line}/${station}/${channel}`;
  }

  private event(station: string, kind: string, code: string, message: string): void {
    this.context.emit(this.topic(station, "event"), {
      ts: this.context.queue.now,
      kind,
      code,
      message,
    });
  }

  // ---- flow ----------------------------------------------------------------------------

  private canLoad(): boolean {
    const { options, queue } = this.context;
    if (options.units !== undefined) return this.loaded < options.units;
    return queue.now < options.start + SETUP_MS + options.durationMs;
  }

  private load(): Unit {
    const now = this.context.queue.now;
    const day = yymmdd(now);
    if (day !== this.serialDay) {
      this.serialDay = day;
      this.serialSequence = 0;
    }
    this.serialSequence += 1;
    const unit: Unit = {
      serial: boardSerial(
        this.context.options.serialFormat,
        this.context.lineIndex,
        now,
        this.serialSequence,
      ),
      index: this.loaded,
      sequence: this.serialSequence,
      pads: [],
      placements: [],
      humidityAtPrintRh: 0,
      o2DuringReflowPpm: 0,
      voidPct: 0,
      defects: [],
      aoiCalls: [],
      printStart: now,
      reflowEntry: 0,
      wipeDue: false,
    };
    this.loaded += 1;
    this.inProcess += 1;
    return unit;
  }

  private pull(station: Station): void {
    if (this.finished || station.down || station.busy || station.blocked) return;
    if (station.name === "reflow") {
      this.pullOven(station);
      return;
    }
    let unit: Unit | undefined;
    if (station.name === "printer") {
      if (!this.canLoad()) {
        this.checkFinished();
        return;
      }
      unit = this.load();
    } else {
      unit = station.input.shift();
      if (unit === undefined) return;
    }
    station.busy = unit;
    this.unitEvent(station.name, unit, "start");
    let cycle = station.rng.logNormal(station.spec.cycleMs, station.spec.cycleSpread);
    if (station.name === "printer") {
      unit.printStart = this.context.queue.now;
      unit.wipeDue = this.printsSinceWipe + 1 >= WIPE_EVERY;
      if (unit.wipeDue) cycle += WIPE_MS;
    }
    station.finishEvent = this.context.queue.after(cycle, () => this.finish(station));
    if (station.name === "pnp") this.place(station, unit);
    this.release(station);
  }

  /** A slot opened in front of `station`: the board held upstream moves in. */
  private release(station: Station): void {
    const previous = station.previous;
    if (previous?.blocked === undefined) return;
    if (station.input.length >= station.spec.buffer) return;
    station.input.push(previous.blocked);
    previous.blocked = undefined;
    this.pull(previous);
  }

  private finish(station: Station): void {
    station.finishEvent = undefined;
    const unit = station.busy as Unit;
    station.busy = undefined;
    const result = this.complete(station, unit);
    this.unitEvent(station.name, unit, "complete", result);
    if (result === "fail" || station.next === undefined) {
      this.leave();
      this.pull(station);
      return;
    }
    const next = station.next;
    if (next.input.length < next.spec.buffer) {
      next.input.push(unit);
      this.pull(next);
      this.pull(station);
    } else {
      station.blocked = unit;
    }
  }

  private leave(): void {
    this.inProcess -= 1;
    this.checkFinished();
  }

  private checkFinished(): void {
    if (this.finished || this.inProcess > 0 || this.canLoad()) return;
    this.finished = true;
    for (const stream of this.streams) stream.stop();
    this.closeShipment();
    this.context.onFinished();
  }

  private unitEvent(
    station: StationName,
    unit: Unit,
    event: "start" | "complete",
    result?: "pass" | "fail",
  ): void {
    this.context.emit(this.topic(station, "unit"), {
      ts: this.context.queue.now,
      serial: unit.serial,
      event,
      product: PRODUCT.name,
      ...(result === undefined ? {} : { result }),
    });
  }

  // ---- stations --------------------------------------------------------------------------

  private complete(station: Station, unit: Unit): "pass" | "fail" {
    switch (station.name) {
      case "printer":
        return this.completePrint(unit);
      case "spi":
        return this.completeSpi(unit);
      case "pnp":
        this.context.emit(this.topic("pnp", "material"), {
          ts: this.context.queue.now,
          serial: unit.serial,
          placements: unit.placements,
        });
        return "pass";
      case "aoi":
        return this.completeAoi(unit);
      case "ict":
        return this.completeIct(unit);
      case "fct":
        return this.completeFct(unit);
      case "pack":
        this.pack(unit);
        return "pass";
      case "reflow":
        return "pass";
    }
  }

  private completePrint(unit: Unit): "pass" {
    const now = this.context.queue.now;
    const clog = this.context.windows["stencil-clog"];
    let clogLoss = 0;
    if (clog !== undefined && unit.printStart >= clog.from && unit.printStart < clog.to) {
      const { volumeLossPct, printsToFull } = SCENARIO_PARAMETERS.stencilClog;
      this.clogPrints += 1;
      clogLoss = volumeLossPct * Math.min(1, this.clogPrints / printsToFull);
    }
    unit.humidityAtPrintRh = this.context.hall.humidityRh(unit.printStart);
    unit.pads = this.quality.print(clogLoss, this.printsSinceWipe);
    const rng = this.signalRng;
    this.context.emit(this.topic("printer", "printer"), {
      ts: now,
      values: {
        squeegee_pressure_kg: round(rng.normal(6.5, 0.08), 2),
        print_speed_mm_s: 50,
        separation_speed_mm_s: 3,
        prints_since_wipe: this.printsSinceWipe,
        cycle_s: round((now - unit.printStart) / 1000, 1),
      },
    });
    this.printsSinceWipe = unit.wipeDue ? 0 : this.printsSinceWipe + 1;
    return "pass";
  }

  private completeSpi(unit: Unit): "pass" | "fail" {
    const result = this.quality.spiVerdict(unit.pads);
    this.context.emit(this.topic("spi", "spi"), {
      ts: this.context.queue.now,
      serial: unit.serial,
      product: PRODUCT.name,
      result,
      pads: unit.pads,
    });
    // A board with failed paste is washed and reprinted off-line: it leaves the line here.
    return result === "fail" ? "fail" : "pass";
  }

  private place(station: Station, unit: Unit): void {
    const placements: Placement[] = [];
    const changes: ReelChange[] = [];
    for (const component of COMPONENTS) {
      const { reel, change } = this.feeders.take(component.part);
      placements.push({
        ref: component.ref,
        part: reel.part,
        lot: reel.lot,
        supplier: reel.supplier,
        date_code: reel.dateCode,
        reel: reel.reel,
      });
      if (change) changes.push(change);
    }
    unit.placements = placements;
    for (const change of changes) {
      if (change.ranEmpty) {
        this.stop(
          station,
          "stop",
          "FEEDER_EMPTY",
          `feeder ${change.feeder} (${change.previous.part}) ran empty`,
          station.rng.logNormal(90_000, 0.3),
        );
      }
      this.splice(change);
    }
  }

  private splice(change: ReelChange): void {
    const { previous, next } = change;
    this.event(
      "pnp",
      "splice",
      change.feeder,
      `${next.part}: reel ${next.reel} (lot ${next.lot}, ${next.supplier}) replaces reel ${previous.reel} (lot ${previous.lot})`,
    );
  }

  private completeAoi(unit: Unit): "pass" | "fail" {
    const calls = this.quality.aoi(unit);
    const result = calls.length > 0 ? "fail" : "pass";
    this.context.emit(this.topic("aoi", "test"), {
      ts: this.context.queue.now,
      serial: unit.serial,
      kind: "aoi",
      result,
      program: PRODUCT.programs.aoi,
      ...(calls.length > 0 ? { defects: calls } : {}),
    });
    return result;
  }

  private completeIct(unit: Unit): "pass" | "fail" {
    const { defects, measurements } = this.quality.ict(unit);
    const result = defects.length > 0 ? "fail" : "pass";
    this.context.emit(this.topic("ict", "test"), {
      ts: this.context.queue.now,
      serial: unit.serial,
      kind: "ict",
      result,
      program: PRODUCT.programs.ict,
      ...(defects.length > 0 ? { defects } : {}),
      measurements,
    });
    return result;
  }

  private completeFct(unit: Unit): "pass" | "fail" {
    this.macSequence += 1;
    const mac = macAddress(this.context.lineIndex, this.macSequence);
    const { defects, measurements, firmware } = this.quality.fct(unit, mac);
    const result = defects.length > 0 ? "fail" : "pass";
    this.context.emit(this.topic("fct", "test"), {
      ts: this.context.queue.now,
      serial: unit.serial,
      kind: "fct",
      result,
      program: PRODUCT.programs.fct,
      ...(defects.length > 0 ? { defects } : {}),
      measurements,
      firmware,
    });
    return result;
  }

  private pack(unit: Unit): void {
    const now = this.context.queue.now;
    if (this.box === undefined) {
      this.boxSequence += 1;
      this.box = { id: boxId(this.context.lineIndex, now, this.boxSequence), serials: [] };
    }
    this.box.serials.push(unit.serial);
    if (this.box.serials.length >= this.context.options.boxSize) this.closeBox();
  }

  private closeBox(): void {
    const box = this.box;
    if (box === undefined) return;
    this.box = undefined;
    this.context.emit(this.topic("pack", "pack"), {
      ts: this.context.queue.now,
      container: box.id,
      kind: "box",
      serials: box.serials,
    });
    if (this.pallet === undefined) {
      this.palletSequence += 1;
      this.pallet = {
        id: palletSscc(this.context.siteIndex, this.context.lineIndex, this.palletSequence),
        boxes: [],
      };
    }
    this.pallet.boxes.push(box.id);
    if (this.pallet.boxes.length >= this.context.options.palletBoxes) this.closePallet();
  }

  private closePallet(): void {
    const pallet = this.pallet;
    if (pallet === undefined) return;
    this.pallet = undefined;
    this.context.emit(this.topic("pack", "pack"), {
      ts: this.context.queue.now,
      container: pallet.id,
      kind: "pallet",
      containers: pallet.boxes,
    });
    this.pallets.push(pallet.id);
  }

  /** End of the run: partial box and pallet are closed and everything ships. */
  private closeShipment(): void {
    this.closeBox();
    this.closePallet();
    if (this.pallets.length === 0) return;
    const now = this.context.queue.now;
    this.context.emit(this.topic("pack", "pack"), {
      ts: now,
      container: shipmentId(this.context.lineIndex, now, 1),
      kind: "shipment",
      containers: [...this.pallets],
      destination: DESTINATION,
    });
  }

  // ---- reflow ----------------------------------------------------------------------------

  private pullOven(oven: Station): void {
    if (oven.input.length === 0) return;
    const queue = this.context.queue;
    const pitchMs = (OVEN.boardPitchCm / OVEN.conveyorCmMin) * MINUTE;
    const earliest = this.lastOvenEntry + pitchMs;
    if (queue.now < earliest) {
      this.ovenWake ??= queue.at(earliest, () => {
        this.ovenWake = undefined;
        this.pullOven(oven);
      });
      return;
    }
    const unit = oven.input.shift() as Unit;
    this.lastOvenEntry = queue.now;
    unit.reflowEntry = queue.now;
    this.unitEvent("reflow", unit, "start");
    if (unit.index % this.context.options.profilerEvery === 0) this.profile(unit);
    queue.after(OVEN_TRANSIT_MS, () => this.ovenExit(unit));
    this.release(oven);
    if (oven.input.length > 0) this.pullOven(oven);
  }

  private ovenExit(unit: Unit): void {
    let o2 = 0;
    const points = 12;
    for (let index = 0; index < points; index++) {
      o2 += this.conditions.o2Ppm(unit.reflowEntry + ((index + 0.5) * OVEN_TRANSIT_MS) / points);
    }
    unit.o2DuringReflowPpm = o2 / points;
    this.quality.solder(unit);
    this.unitEvent("reflow", unit, "complete", "pass");
    const aoi = this.station("aoi");
    aoi.input.push(unit);
    this.pull(aoi);
  }

  private profile(unit: Unit): void {
    const { queue, options } = this.context;
    const rng = this.signalRng;
    const board = new BoardProfile(this.conditions, queue.now, rng.normal(1, 0.02));
    const noise = rng.fork();
    const stream = new SignalStream(
      queue,
      (samples) => this.publishSamples("reflow", "profile", samples),
      queue.now,
      options.profileRateHz,
      options.samplesPerMessage,
      (t) => {
        const temperatures = board.advanceTo(t);
        const values: Record<string, number> = {};
        THERMOCOUPLES.forEach((thermocouple, index) => {
          values[thermocouple.field] = round(
            (temperatures[index] as number) + noise.normal(0, 0.2),
            1,
          );
        });
        return values;
      },
      unit.serial,
      queue.now + OVEN_TRANSIT_MS,
    );
    stream.start();
  }

  // ---- signals ---------------------------------------------------------------------------

  private publishSamples(station: string, channel: string, samples: SignalSample[]): void {
    this.context.emit(this.topic(station, channel), { samples });
  }

  private startSignals(): void {
    const { queue, options } = this.context;
    const conditions = this.conditions;
    const ovenNoise = this.signalRng.fork();
    const ovenFields = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((zone) => [
      { field: `z${zone}_top_c`, zone, side: "top" as const },
      { field: `z${zone}_bot_c`, zone, side: "bot" as const },
    ]);
    const oven = new SignalStream(
      queue,
      (samples) => this.publishSamples("reflow", "reflow", samples),
      options.start,
      options.signalRateHz,
      options.samplesPerMessage,
      (t) => {
        const values: Record<string, number> = {};
        for (const { field, zone, side } of ovenFields) {
          values[field] = round(conditions.zoneC(zone, side, t) + ovenNoise.normal(0, 0.25), 1);
        }
        values.o2_ppm = Math.round(conditions.o2Ppm(t) + ovenNoise.normal(0, 15));
        values.conveyor_cm_min = round(OVEN.conveyorCmMin + ovenNoise.normal(0, 0.1), 2);
        return values;
      },
    );
    const n2Noise = this.signalRng.fork();
    const nitrogen = new SignalStream(
      queue,
      (samples) => this.publishSamples("n2", "nitrogen", samples),
      options.start,
      Math.min(options.signalRateHz, 10),
      options.samplesPerMessage,
      (t) => ({
        pressure_bar: round(conditions.n2PressureBar(t) + n2Noise.normal(0, 0.01), 3),
        flow_m3_h: round(conditions.n2FlowM3h(t) + n2Noise.normal(0, 0.1), 2),
      }),
    );
    this.streams.push(oven, nitrogen);
    oven.start();
    nitrogen.start();
  }

  // ---- stops and scenarios ---------------------------------------------------------------

  private scheduleStop(station: Station): void {
    const { mtbfMs, repairMs, stops } = station.spec;
    if (mtbfMs === undefined || repairMs === undefined || stops === undefined) return;
    this.context.queue.after(station.rng.exponential(mtbfMs), () => {
      if (this.finished) return;
      const cause = station.rng.pick(stops);
      this.stop(station, "stop", cause.code, cause.message, station.rng.logNormal(repairMs, 0.5));
      this.scheduleStop(station);
    });
  }

  /** Takes the station down for `downMs`; the board in work waits. */
  private stop(
    station: Station,
    kind: string,
    code: string,
    message: string,
    downMs: number,
  ): void {
    if (station.down) return;
    const queue = this.context.queue;
    station.down = true;
    this.event(station.name, kind, code, message);
    if (station.finishEvent !== undefined) {
      station.finishEvent.cancelled = true;
      station.remainingMs = station.finishEvent.at - queue.now;
      station.finishEvent = undefined;
    }
    queue.after(downMs, () => {
      station.down = false;
      this.event(station.name, "resume", code, `${station.name} running again`);
      if (station.busy !== undefined && station.remainingMs !== undefined) {
        station.finishEvent = queue.after(station.remainingMs, () => this.finish(station));
        station.remainingMs = undefined;
      }
      this.pull(station);
    });
  }

  private scheduleScenarios(): void {
    const { queue, windows } = this.context;
    const clog = windows["stencil-clog"];
    if (clog !== undefined) {
      queue.at(clog.from, () => {
        if (this.finished) return;
        this.event("printer", "warning", "WIPE_SOLVENT_LOW", "under-stencil wipe solvent low");
      });
      queue.at(clog.to, () => {
        if (this.finished) return;
        this.stop(
          this.station("printer"),
          "maintenance",
          "STENCIL_CLEAN",
          "stencil cleaned by hand, wipe solvent refilled",
          4 * MINUTE,
        );
      });
    }
    const badLot = windows["bad-lot"];
    if (badLot !== undefined) {
      const { part, supplier, lot, dateCode } = SCENARIO_PARAMETERS.badLot;
      queue.at(badLot.from, () => {
        if (this.finished) return;
        this.splice(this.feeders.forceLot(part, { supplier, lot, dateCode }));
      });
      queue.at(badLot.to, () => {
        if (this.finished) return;
        this.stop(
          this.station("pnp"),
          "stop",
          "MATERIAL_HOLD",
          `quality hold on lot ${lot} of ${part} (${supplier}); reel pulled`,
          6 * MINUTE,
        );
        this.splice(this.feeders.releaseLot(part));
      });
    }
    const drift = windows["zone-drift"];
    if (drift !== undefined) {
      queue.at(drift.to, () => {
        if (this.finished) return;
        this.event(
          "reflow",
          "maintenance",
          "TC_RECALIBRATED",
          "zone 7 top thermocouple replaced and recalibrated",
        );
      });
    }
    const o2 = windows["o2-rise"];
    if (o2 !== undefined) {
      const watch = (): void => {
        if (this.finished) return;
        const ppm = this.conditions.o2Ppm(queue.now);
        if (!this.o2Alarm && ppm > 2000) {
          this.o2Alarm = true;
          this.event(
            "reflow",
            "alarm",
            "O2_HIGH",
            `residual O2 ${Math.round(ppm)} ppm above 2000 ppm`,
          );
        } else if (this.o2Alarm && ppm < 1500) {
          this.o2Alarm = false;
          this.event(
            "reflow",
            "alarm_cleared",
            "O2_HIGH",
            `residual O2 back to ${Math.round(ppm)} ppm`,
          );
        }
        if (queue.now < o2.to + 30 * MINUTE) queue.after(10_000, watch);
      };
      queue.at(o2.from, watch);
    }
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
