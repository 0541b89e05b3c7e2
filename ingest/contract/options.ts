/** How the codec reads messages. */
export interface DecodeOptions {
  /** Topic prefix before `<site>/<line>/<station>/<channel>`; may hold several levels. Default "ems". */
  prefix: string;
  /** Largest payload accepted, bytes. Default 262144 (256 KiB). */
  maxPayloadBytes: number;
  /** How far before now a ts may lie, milliseconds. Default 2592000000 (30 days). */
  maxPastMs: number;
  /** How far after now a ts may lie, milliseconds. Default 300000 (5 minutes). */
  maxFutureMs: number;
  /** Largest number of samples, pads, placements, measurements, defects, serials, containers or values in one message. Default 10000. */
  maxItems: number;
  /** Clock for the window check, epoch milliseconds. Default Date.now. */
  now: () => number;
}

export const DEFAULT_DECODE_OPTIONS: Readonly<DecodeOptions> = Object.freeze({
  prefix: "ems",
  maxPayloadBytes: 256 * 1024,
  maxPastMs: 30 * 24 * 60 * 60 * 1000,
  maxFutureMs: 5 * 60 * 1000,
  maxItems: 10_000,
  now: Date.now,
});

const PREFIX_LEVEL = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Defaults filled in and every field checked; a bad value is a configuration error, thrown at
 * start-up with the field, the value and what was expected.
 */
export function resolveDecodeOptions(options?: Partial<DecodeOptions>): DecodeOptions {
  if (options === undefined) return DEFAULT_DECODE_OPTIONS;
  const resolved: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const { prefix, maxPayloadBytes, maxPastMs, maxFutureMs, maxItems, now } = resolved;
  if (typeof prefix !== "string" || !prefix.split("/").every((level) => PREFIX_LEVEL.test(level))) {
    throw new RangeError(
      `decode option prefix must be topic levels of [A-Za-z0-9_.-]{1,64} joined by "/": ${JSON.stringify(prefix)}`,
    );
  }
  for (const [name, value] of [
    ["maxPayloadBytes", maxPayloadBytes],
    ["maxItems", maxItems],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`decode option ${name} must be a positive integer: ${value}`);
    }
  }
  for (const [name, value] of [
    ["maxPastMs", maxPastMs],
    ["maxFutureMs", maxFutureMs],
  ] as const) {
    if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
      throw new RangeError(`decode option ${name} must be a number of milliseconds >= 0: ${value}`);
    }
  }
  if (typeof now !== "function") throw new RangeError("decode option now must be a function");
  return resolved;
}
