import { PointBuilder, type StoredPoint } from "../point.ts";
import { isRejection, type Rejection, reject } from "../rejection.ts";
import { SignalPayload, type SignalSample } from "../schemas.ts";
import { type ChannelContext, defineChannel } from "./codec.ts";

/** Any channel without a codec of its own: readings stored in the measurement named after it. */
export const signalChannel = defineChannel({
  schema: SignalPayload,
  toPoints(payload, context) {
    if (!("samples" in payload)) {
      const point = samplePoint(payload, "", context);
      return isRejection(point) ? point : [point];
    }
    const points: StoredPoint[] = [];
    // The same ts and serial twice would be one series and timestamp: the later sample would
    // silently replace the earlier one.
    const seen = new Map<string, Map<number, number>>();
    for (let i = 0; i < payload.samples.length; i++) {
      const sample = payload.samples[i] as SignalSample;
      const point = samplePoint(sample, `/samples/${i}`, context);
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

function samplePoint(
  sample: SignalSample,
  path: string,
  { channel, origin, time }: ChannelContext,
): StoredPoint | Rejection {
  const ts = time(sample.ts, `${path}/ts`);
  if (isRejection(ts)) return ts;
  const point = new PointBuilder(channel, origin).tag("serial", sample.serial);
  for (const key in sample.values) point.float(key, sample.values[key]);
  return point.build(ts);
}
