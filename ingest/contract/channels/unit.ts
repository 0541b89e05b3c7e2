import { PointBuilder } from "../point.ts";
import { isRejection } from "../rejection.ts";
import { UnitPayload } from "../schemas.ts";
import { defineChannel } from "./codec.ts";

export const unitChannel = defineChannel({
  schema: UnitPayload,
  toPoints(unit, { origin, time }) {
    const ts = time(unit.ts, "/ts");
    if (isRejection(ts)) return ts;
    const point = new PointBuilder("unit", origin)
      .tag("serial", unit.serial)
      .tag("event", unit.event)
      .tag("product", unit.product)
      .string("result", unit.result)
      .string("panel", unit.panel)
      // A start carries no result; the constant field keeps every visit edge a storable point.
      .boolean("seen", true);
    return [point.build(ts)];
  },
});
