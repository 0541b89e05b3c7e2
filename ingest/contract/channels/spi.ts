import { PointBuilder, type StoredPoint } from "../point.ts";
import { isRejection, quote, reject } from "../rejection.ts";
import { SpiPayload } from "../schemas.ts";
import { defineChannel } from "./codec.ts";

export const spiChannel = defineChannel({
  schema: SpiPayload,
  toPoints(board, { origin, time }) {
    const ts = time(board.ts, "/ts");
    if (isRejection(ts)) return ts;
    const points: StoredPoint[] = [];
    const refs = new Map<string, number>();
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < board.pads.length; i++) {
      const pad = board.pads[i] as (typeof board.pads)[number];
      const first = refs.get(pad.ref);
      if (first !== undefined) {
        return reject(
          "duplicate_key",
          `/pads/${i}/ref: pad ${quote(pad.ref)} already given at /pads/${first}; one pad would overwrite the other`,
        );
      }
      refs.set(pad.ref, i);
      sum += pad.volume_pct;
      if (pad.volume_pct < min) min = pad.volume_pct;
      if (pad.volume_pct > max) max = pad.volume_pct;
      points.push(
        new PointBuilder("spi_pad", origin)
          .tag("serial", board.serial)
          .tag("ref", pad.ref)
          .float("volume_pct", pad.volume_pct)
          .float("height_um", pad.height_um)
          .float("area_pct", pad.area_pct)
          .float("offset_x_um", pad.offset_x_um)
          .float("offset_y_um", pad.offset_y_um)
          .build(ts),
      );
    }
    const summary = new PointBuilder("spi", origin)
      .tag("serial", board.serial)
      .tag("product", board.product)
      .string("result", board.result)
      .int("pad_count", board.pads.length);
    if (board.pads.length > 0) {
      const mean = Number.isFinite(sum) ? sum / board.pads.length : meanOfHuge(board.pads);
      summary
        .float("volume_pct_mean", mean)
        .float("volume_pct_min", min)
        .float("volume_pct_max", max);
    }
    points.unshift(summary.build(ts));
    return points;
  },
});

/** The mean when the plain sum overflows a double: dividing first keeps every term finite. */
function meanOfHuge(pads: readonly { volume_pct: number }[]): number {
  let mean = 0;
  for (const pad of pads) mean += pad.volume_pct / pads.length;
  return mean;
}
