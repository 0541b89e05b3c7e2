import type { ChannelContext } from "./channels/index.ts";
import { type DecodeOptions, resolveDecodeOptions } from "./options.ts";
import type { Origin, StoredPoint } from "./point.ts";
import { quote, type Rejection, reject } from "./rejection.ts";
import { toEpochMs } from "./timestamp.ts";
import { parseTopic } from "./topic.ts";
import { checkPayload, isJsonObject } from "./validate.ts";

/** A message that maps to points; the topic levels are given back for routing and counting. */
export interface Decoded {
  ok: true;
  channel: string;
  site: string;
  line: string;
  station: string;
  points: StoredPoint[];
}

export type Decode = (topic: string, payload: Uint8Array) => Decoded | Rejection;

// fatal: a payload that is not UTF-8 is refused rather than decoded with U+FFFD, which could
// make two different serials one.
const utf8 = new TextDecoder("utf-8", { fatal: true });

class MessageContext implements ChannelContext {
  #now: number | undefined;
  constructor(
    readonly channel: string,
    readonly origin: Origin,
    readonly options: DecodeOptions,
  ) {}

  time = (ts: number | string, path: string): number | Rejection => {
    const ms = toEpochMs(ts);
    if (ms === undefined) return reject("bad_ts", `${path}: ${quote(ts)} is not a calendar time`);
    this.#now ??= this.options.now();
    const { maxPastMs, maxFutureMs } = this.options;
    if (ms < this.#now - maxPastMs || ms > this.#now + maxFutureMs) {
      const hint =
        typeof ts === "number" && ms > 0 && ms < 1e11 ? " (seconds? ts is in milliseconds)" : "";
      return reject(
        "ts_out_of_window",
        `${path}: ${quote(ts)} lies outside now -${maxPastMs} ms .. +${maxFutureMs} ms${hint}`,
      );
    }
    return ms;
  };
}

function decode(options: DecodeOptions, topic: string, payload: Uint8Array): Decoded | Rejection {
  const origin = parseTopic(topic, options.prefix);
  if ("ok" in origin) return origin;
  if (!(payload instanceof Uint8Array)) return reject("not_utf8", "/: payload is not bytes");
  if (payload.byteLength > options.maxPayloadBytes) {
    return reject(
      "payload_too_large",
      `/: ${payload.byteLength} bytes, more than ${options.maxPayloadBytes}`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return reject("not_utf8", "/: payload is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return reject("not_json", `/: ${error instanceof Error ? error.message : "not JSON"}`);
  }
  if (!isJsonObject(value)) return reject("not_object", `/: ${quote(value)} is not a JSON object`);
  const { site, line, station, channel } = origin;
  const points = checkPayload(
    value,
    options.maxItems,
    new MessageContext(channel, { site, line, station }, options),
  );
  if (!Array.isArray(points)) return points;
  return { ok: true, channel, site, line, station, points };
}

function safely(options: DecodeOptions, topic: string, payload: Uint8Array): Decoded | Rejection {
  try {
    return decode(options, topic, payload);
  } catch (error) {
    // Unreachable by design (the corpus checks it); a message must never take the ingestor down.
    return reject("internal_error", `/: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A decoder with its options resolved and checked once (throws RangeError on a bad option). */
export function createDecoder(options?: Partial<DecodeOptions>): Decode {
  const resolved = resolveDecodeOptions(options);
  return (topic, payload) => safely(resolved, topic, payload);
}

/**
 * One MQTT message to the points it stores, or why not. Never throws for any topic or payload;
 * throws RangeError only for invalid options (prefer `createDecoder` on the hot path).
 */
export function decodeMessage(
  topic: string,
  payload: Uint8Array,
  options?: Partial<DecodeOptions>,
): Decoded | Rejection {
  return safely(resolveDecodeOptions(options), topic, payload);
}
