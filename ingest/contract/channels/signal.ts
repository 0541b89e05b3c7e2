import { SeriesLines, type StoredPoint } from "../point.ts";
import { isRejection, type Rejection, reject } from "../rejection.ts";
import { SignalPayload, type SignalSample } from "../schemas.ts";
import { type ChannelContext, defineChannel } from "./codec.ts";

/** Any channel without a codec of its own: readings stored in the measurement named after it. */
export const signalChannel = defineChannel({
  schema: SignalPayload,
  toPoints(payload, context) {
    const series = new SeriesCache(context);
    if (!("samples" in payload)) {
      const point = samplePoint(payload, undefined, context, series);
      return isRejection(point) ? point : [point];
    }
    const points: StoredPoint[] = [];
    // Readings usually come in time order without serials: then no two can share a ts, and the
    // search for a repeat below (a Map per serial) is skipped.
    let ordered = true;
    let previous = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < payload.samples.length; i++) {
      const sample = payload.samples[i] as SignalSample;
      const point = samplePoint(sample, i, context, series);
      if (isRejection(point)) return repeatIn(payload.samples, points) ?? point;
      if (ordered && (sample.serial !== undefined || point.ts <= previous)) ordered = false;
      previous = point.ts;
      points.push(point);
    }
    return (ordered ? undefined : repeatIn(payload.samples, points)) ?? points;
  },
});

/**
 * The first sample whose ts and serial repeat an earlier one's, among the samples that have
 * points: the two would be one series and timestamp, and the later would silently replace the
 * earlier.
 */
function repeatIn(
  samples: readonly SignalSample[],
  points: readonly StoredPoint[],
): Rejection | undefined {
  const seen = new Map<string, Map<number, number>>();
  for (let i = 0; i < points.length; i++) {
    const { serial } = samples[i] as SignalSample;
    const ts = (points[i] as StoredPoint).ts;
    let times = seen.get(serial ?? "");
    if (times === undefined) {
      times = new Map();
      seen.set(serial ?? "", times);
    }
    const first = times.get(ts);
    if (first !== undefined) {
      return reject(
        "duplicate_key",
        `/samples/${i}/ts: ${ts} repeats /samples/${first}/ts${serial === undefined ? "" : " for the same serial"}; the later sample would overwrite the earlier`,
      );
    }
    times.set(ts, i);
  }
  return undefined;
}

/** The series of one message: the station's, and one per serial that rides along. */
class SeriesCache {
  readonly #context: ChannelContext;
  #station: SeriesLines | undefined;
  readonly #bySerial = new Map<string, SeriesLines>();

  constructor(context: ChannelContext) {
    this.#context = context;
  }

  of(serial: string | undefined): SeriesLines {
    if (serial === undefined) {
      this.#station ??= this.#create(undefined);
      return this.#station;
    }
    let series = this.#bySerial.get(serial);
    if (series === undefined) {
      series = this.#create(serial);
      this.#bySerial.set(serial, series);
    }
    return series;
  }

  #create(serial: string | undefined): SeriesLines {
    const { channel, origin } = this.#context;
    const tags: Record<string, string> = {
      site: origin.site,
      line: origin.line,
      station: origin.station,
    };
    if (serial !== undefined) tags.serial = serial;
    return new SeriesLines(channel, tags);
  }
}

function samplePoint(
  sample: SignalSample,
  index: number | undefined,
  { time }: ChannelContext,
  series: SeriesCache,
): StoredPoint | Rejection {
  let ts = time(sample.ts, "");
  // The JSON Pointer is spelled out only for a rejection: not 200 strings a message for none.
  if (isRejection(ts)) ts = time(sample.ts, `${index === undefined ? "" : `/samples/${index}`}/ts`);
  if (isRejection(ts)) return ts;
  return series.of(sample.serial).point(sample.values, ts);
}
