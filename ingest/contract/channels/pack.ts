import { PointBuilder } from "../point.ts";
import { isRejection, quote, type Rejection, reject } from "../rejection.ts";
import { PackPayload } from "../schemas.ts";
import { defineChannel } from "./codec.ts";

/**
 * The lists are stored as one JSON text each, and InfluxDB documents 64 KB as the length limit
 * of a string field (1.6 stores more, newer engines need not): longer lists are refused.
 */
export const MAX_STRING_FIELD_BYTES = 65_535;

function firstDuplicate(list: readonly string[], path: string): Rejection | undefined {
  const seen = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as string;
    const first = seen.get(item);
    if (first !== undefined) {
      return reject(
        "duplicate_key",
        `${path}/${i}: ${quote(item)} already listed at ${path}/${first}`,
      );
    }
    seen.set(item, i);
  }
  return undefined;
}

function listText(
  list: readonly string[] | undefined,
  path: string,
): string | undefined | Rejection {
  if (list === undefined) return undefined;
  const duplicate = firstDuplicate(list, path);
  if (duplicate) return duplicate;
  const json = JSON.stringify(list);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > MAX_STRING_FIELD_BYTES) {
    return reject(
      "too_many_items",
      `${path}: ${list.length} entries make a ${bytes}-byte field, over InfluxDB's ${MAX_STRING_FIELD_BYTES}; split the container over messages with distinct ts`,
    );
  }
  return json;
}

export const packChannel = defineChannel({
  schema: PackPayload,
  toPoints(pack, { origin, time }) {
    const ts = time(pack.ts, "/ts");
    if (isRejection(ts)) return ts;
    const serials = listText(pack.serials, "/serials");
    if (isRejection(serials)) return serials;
    const containers = listText(pack.containers, "/containers");
    if (isRejection(containers)) return containers;
    const point = new PointBuilder("pack", origin)
      .tag("kind", pack.kind)
      .tag("container", pack.container)
      .string("serials", serials)
      .string("containers", containers)
      .string("destination", pack.destination)
      .int("count", (pack.serials?.length ?? 0) + (pack.containers?.length ?? 0));
    return [point.build(ts)];
  },
});
