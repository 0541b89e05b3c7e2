/** What the publisher sends and the direct writer stores; one TSDoc line per field. */
export interface WorkloadOptions {
  /** Points (InfluxDB lines) in the workload. */
  points: number;
  /** Samples per message: 1 sends single readings `{ts, values}`, more sends `{samples: [...]}`; default 200. */
  samplesPerMessage: number;
  /** Stations the messages rotate over, one series each (the station topic level); default 10. */
  stations: number;
  /** Topic prefix the ingestor subscribes to, e.g. `bench_3`. */
  prefix: string;
  /** ts of the first sample of every station, epoch ms; default six hours before now. */
  startMs: number;
  /** Time between two samples of one station, ms; default the largest of 1..10 that keeps the last ts before now. */
  stepMs: number;
}

export const DEFAULT_WORKLOAD = {
  samplesPerMessage: 200,
  stations: 10,
  /** How far back the first sample lies, ms: well inside the ingestor's 30-day window. */
  lookbackMs: 6 * 3600 * 1000,
} as const;

export const SITE = "plant1";
export const LINE = "smt1";
export const CHANNEL = "reflow";
/** Every point carries these fields; the count query counts the first. */
export const FIELDS = ["conveyor_mm_s", "o2_ppm", "z1_top_c"] as const;

/** One MQTT message of the workload. */
export interface WorkloadMessage {
  topic: string;
  payload: Buffer;
  points: number;
}

/** A reading of a reflow oven: three fields whose values vary with the point's index. */
export function readingValues(index: number): Record<(typeof FIELDS)[number], number> {
  return {
    z1_top_c: 245 + ((index * 7) % 101) / 10,
    o2_ppm: 400 + (index % 173),
    conveyor_mm_s: 12.5 + (index % 5) / 4,
  };
}

export function stationName(station: number): string {
  return `st${String(station).padStart(2, "0")}`;
}

export function topicOf(prefix: string, station: number): string {
  return `${prefix}/${SITE}/${LINE}/${stationName(station)}/${CHANNEL}`;
}

/**
 * The same line @influxdata/influxdb-client's Point serializes for the ingestor (tags and fields
 * sorted by key, numbers as JavaScript prints them); workload.test.ts holds the two equal.
 */
export function lineOf(station: number, index: number, ts: number): string {
  const v = readingValues(index);
  return `${CHANNEL},line=${LINE},site=${SITE},station=${stationName(station)} conveyor_mm_s=${v.conveyor_mm_s},o2_ppm=${v.o2_ppm},z1_top_c=${v.z1_top_c} ${ts}`;
}

/**
 * A deterministic workload in which no two points share series and timestamp: message m goes to
 * station m mod `stations`, and each station's samples follow each other `stepMs` apart.
 */
export class Workload {
  readonly options: WorkloadOptions;
  readonly messages: number;

  constructor(options: Pick<WorkloadOptions, "points" | "prefix"> & Partial<WorkloadOptions>) {
    const samplesPerMessage = options.samplesPerMessage ?? DEFAULT_WORKLOAD.samplesPerMessage;
    const stations = options.stations ?? DEFAULT_WORKLOAD.stations;
    const now = Date.now();
    const startMs = options.startMs ?? now - DEFAULT_WORKLOAD.lookbackMs;
    // Station 0 may get one message more than the others: its samples set the span.
    const perStation =
      Math.ceil(Math.ceil(options.points / samplesPerMessage) / stations) * samplesPerMessage;
    const room = Math.floor((now - startMs) / perStation);
    const stepMs = options.stepMs ?? Math.min(10, room);
    if (!Number.isInteger(options.points) || options.points < 1)
      throw new RangeError(`points must be a positive integer: ${options.points}`);
    if (!Number.isInteger(samplesPerMessage) || samplesPerMessage < 1)
      throw new RangeError(`samplesPerMessage must be a positive integer: ${samplesPerMessage}`);
    if (!Number.isInteger(stepMs) || stepMs < 1)
      throw new RangeError(
        `${options.points} points over ${stations} stations do not fit between ${new Date(startMs).toISOString()} and now at 1 ms apart`,
      );
    this.options = { ...options, samplesPerMessage, stations, startMs, stepMs };
    this.messages = Math.ceil(options.points / samplesPerMessage);
  }

  private *samples(message: number): Generator<{ index: number; ts: number }> {
    const { points, samplesPerMessage, stations, startMs, stepMs } = this.options;
    const round = Math.floor(message / stations);
    const first = message * samplesPerMessage;
    const count = Math.min(samplesPerMessage, points - first);
    for (let j = 0; j < count; j++) {
      yield { index: first + j, ts: startMs + (round * samplesPerMessage + j) * stepMs };
    }
  }

  message(m: number): WorkloadMessage {
    const station = m % this.options.stations;
    const samples = [...this.samples(m)];
    const body =
      this.options.samplesPerMessage === 1 && samples[0]
        ? { ts: samples[0].ts, values: readingValues(samples[0].index) }
        : { samples: samples.map((s) => ({ ts: s.ts, values: readingValues(s.index) })) };
    return {
      topic: topicOf(this.options.prefix, station),
      payload: Buffer.from(JSON.stringify(body)),
      points: samples.length,
    };
  }

  /** The messages in publishing order, built as they are taken. */
  *allMessages(): Generator<WorkloadMessage> {
    for (let m = 0; m < this.messages; m++) yield this.message(m);
  }

  /** The lines the ingestor stores for message `m`. */
  lines(m: number): string[] {
    const station = m % this.options.stations;
    return [...this.samples(m)].map((s) => lineOf(station, s.index, s.ts));
  }

  /** Every line of the workload as request bodies of at most `batchLines` lines each. */
  writeBodies(batchLines: number): Buffer[] {
    const bodies: Buffer[] = [];
    let batch: string[] = [];
    for (let m = 0; m < this.messages; m++) {
      for (const line of this.lines(m)) {
        batch.push(line);
        if (batch.length === batchLines) {
          bodies.push(Buffer.from(batch.join("\n")));
          batch = [];
        }
      }
    }
    if (batch.length > 0) bodies.push(Buffer.from(batch.join("\n")));
    return bodies;
  }
}
