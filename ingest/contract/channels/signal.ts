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
      const point = samplePoint(payload, "", context, series);
      return isRejection(point) ? point : [point];
    }
    const points: StoredPoint[] = [];
    // The same ts and serial twice would be one series and timestamp: the later sample would
    // silently replace the earlier one.
    const seen = new Map<string, Map<number, number>>();
    for (let i = 0; i < payload.samples.length; i++) {
      const sample = payload.samples[i] as SignalSample;
      const point = samplePoint(sample, `/samples/${i}`, context, series);
      if (isRejection(point)) return point;
      const serial = sample.serial ?? "";
      let times = seen.get(serial);
      if (times === undefined) {
        times = new Map();
        seen.set(serial, times);
      }
      const first = times.get(point.ts);
      if (first !== undefined) {
        return reject(
          "duplicate_key",
          `/samples/${i}/ts: ${point.ts} repeats /samples/${first}/ts${sample.serial === undefined ? "" : " for the same serial"}; the later sample would overwrite the earlier`,
        );
      }
      times.set(point.ts, i);
      points.push(point);
    }
    return points;
  },
});

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
  path: string,
  { time }: ChannelContext,
  series: SeriesCache,
): StoredPoint | Rejection {
  const ts = time(sample.ts, `${path}/ts`);
  if (isRejection(ts)) return ts;
  return series.of(sample.serial).point(sample.values, ts);
}
