import { PointBuilder, type StoredPoint } from "../point.ts";
import { isRejection, quote, reject } from "../rejection.ts";
import { MaterialPayload } from "../schemas.ts";
import { defineChannel } from "./codec.ts";

export const materialChannel = defineChannel({
  schema: MaterialPayload,
  toPoints(material, { origin, time }) {
    const ts = time(material.ts, "/ts");
    if (isRejection(ts)) return ts;
    const points: StoredPoint[] = [];
    const refs = new Map<string, number>();
    for (let i = 0; i < material.placements.length; i++) {
      const placement = material.placements[i] as (typeof material.placements)[number];
      const first = refs.get(placement.ref);
      if (first !== undefined) {
        return reject(
          "duplicate_key",
          `/placements/${i}/ref: ${quote(placement.ref)} already given at /placements/${first}; one would overwrite the other`,
        );
      }
      refs.set(placement.ref, i);
      points.push(
        new PointBuilder("placement", origin)
          .tag("serial", material.serial)
          .tag("ref", placement.ref)
          .string("part", placement.part)
          .string("lot", placement.lot)
          .string("supplier", placement.supplier)
          .string("date_code", placement.date_code)
          .string("reel", placement.reel)
          .build(ts),
      );
    }
    return points;
  },
});
