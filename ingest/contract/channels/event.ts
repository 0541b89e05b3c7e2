import { PointBuilder } from "../point.ts";
import { isRejection } from "../rejection.ts";
import { EventPayload } from "../schemas.ts";
import { defineChannel } from "./codec.ts";

export const eventChannel = defineChannel({
  schema: EventPayload,
  toPoints(event, { origin, time }) {
    const ts = time(event.ts, "/ts");
    if (isRejection(ts)) return ts;
    const point = new PointBuilder("event", origin)
      .tag("kind", event.kind)
      // A tag, not a field: two failures with different codes in the same millisecond are two points.
      .tag("code", event.code)
      .string("message", event.message)
      .boolean("seen", true);
    return [point.build(ts)];
  },
});
