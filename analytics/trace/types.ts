/** One reading of one source at one millisecond: its fields by name (epoch ms in `ts`). */
export interface Sample {
  ts: number;
  /** Station of the sample (environment sensors: which sensor). */
  station?: string;
  /** Line of the sample (environment: the line, or the site-level line such as `hall`). */
  line?: string;
  /** The unit a sample rode on (a profiler), when it names one. */
  serial?: string;
  values: Record<string, number>;
}

/** A station event (IPC-1782 P1) during a visit. */
export interface StationEvent {
  ts: number;
  site: string;
  line: string;
  station: string;
  kind: string;
  code: string | null;
  message: string | null;
}

/** A unit's stay at a station: from `start` to `complete` (either may be missing, see `status`). */
export interface Visit {
  /** 1-based, in time order. */
  visit: number;
  site: string;
  line: string;
  station: string;
  product: string | null;
  panel: string | null;
  start: number | null;
  complete: number | null;
  result: string | null;
  /** `complete`; `open` (a start with no complete); `no_start` (a complete with no start). */
  status: "complete" | "open" | "no_start";
}

/** A visit with everything recorded at its station and on its line while the unit was there. */
export interface VisitRecord extends Visit {
  /** Signals of the station during the visit, by measurement, each sample at full ms resolution. */
  signals: Record<string, Sample[]>;
  /** The line's environment during the visit (`env` of the line and of the site's hall, `nitrogen`), by measurement. */
  environment: Record<string, Sample[]>;
  events: StationEvent[];
}

export interface SpiPad {
  ref: string;
  volume_pct: number | null;
  height_um: number | null;
  area_pct: number | null;
  offset_x_um: number | null;
  offset_y_um: number | null;
}

export interface SpiInspection {
  ts: number;
  site: string;
  line: string;
  station: string;
  product: string | null;
  result: string | null;
  pad_count: number | null;
  volume_pct_mean: number | null;
  volume_pct_min: number | null;
  volume_pct_max: number | null;
  pads: SpiPad[];
}

export interface TestMeasurement {
  name: string;
  value: number | null;
  low: number | null;
  high: number | null;
  unit: string | null;
  pass: boolean | null;
}

export interface TestDefect {
  code: string;
  ref: string | null;
  count: number | null;
}

export interface Firmware {
  version: string | null;
  checksum: string | null;
  mac: string | null;
  license: string | null;
}

export interface TestRecord {
  ts: number;
  site: string;
  line: string;
  station: string;
  kind: string;
  result: string | null;
  program: string | null;
  defect_count: number | null;
  firmware: Firmware | null;
  measurements: TestMeasurement[];
  defects: TestDefect[];
}

/** A component placed on the unit (IPC-1782 M3). */
export interface Placement {
  ts: number;
  site: string;
  line: string;
  station: string;
  ref: string;
  part: string | null;
  lot: string | null;
  supplier: string | null;
  date_code: string | null;
  reel: string | null;
}

/** A container holding the unit: level 1 is the box that holds the serial, 2 what holds that box, ... */
export interface Container {
  level: number;
  kind: string;
  container: string;
  /** What it holds on the way to the unit: the serial (level 1) or the container one level down. */
  holds: string;
  ts: number;
  site: string;
  line: string;
  station: string;
  destination: string | null;
}

export type ProcessLevel = "P1" | "P2" | "P3" | "P4";
export type MaterialLevel = "M1" | "M2" | "M3" | "M4";

/** Something that keeps a level from being supported. */
export interface Gap {
  level: ProcessLevel | MaterialLevel;
  /** Stable code: `missing-station`, `open-visit`, `no-signals`, `signal-gap`, `no-environment`, `ingest-outage`, `unknown-lot`, ... */
  kind: string;
  site: string | null;
  line: string | null;
  station: string | null;
  from: number | null;
  to: number | null;
  detail: string;
}

/** Which IPC-1782 levels the data of a unit supports, and why not the others. */
export interface Completeness {
  /** Highest P level supported together with every level below it (0: none). */
  processLevel: number;
  /** Highest M level supported together with every level below it (0: none). */
  materialLevel: number;
  levels: Record<ProcessLevel | MaterialLevel, boolean>;
  gaps: Gap[];
}

/** The full P3/P4 record of one serial. */
export interface SerialRecord {
  serial: string;
  product: string | null;
  visits: VisitRecord[];
  spi: SpiInspection[];
  tests: TestRecord[];
  materials: Placement[];
  containers: Container[];
  completeness: Completeness;
}
