import type { TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";
import {
  type ChannelCodec,
  type ChannelContext,
  RECORD_CODECS,
  signalChannel,
} from "./channels/index.ts";
import { TEXT_FORMATS } from "./formats.ts";
import type { StoredPoint } from "./point.ts";
import { quote, type Rejection, reject } from "./rejection.ts";
import { SignalBatch, SignalSample, Timestamp } from "./schemas.ts";
import { toEpochMs } from "./timestamp.ts";
import { checkSignalChannel, isRecordChannel } from "./topic.ts";

// Compiled once: the codec runs this per message.
const RECORD_CHECKS = new Map<string, TypeCheck<TSchema>>(
  Object.entries(RECORD_CODECS).map(([channel, codec]) => [
    channel,
    TypeCompiler.Compile(codec.schema),
  ]),
);
// The two signal forms are checked apart, picked by the `samples` key, so an error names the
// field that is wrong instead of "matches neither form".
const SAMPLE_CHECK = TypeCompiler.Compile(SignalSample);
const BATCH_CHECK = TypeCompiler.Compile(SignalBatch);

/** Top-level lists, bounded before the schema walks them. */
const LIST_KEYS = [
  "samples",
  "pads",
  "placements",
  "measurements",
  "defects",
  "serials",
  "containers",
];

/** Whether `value` is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function countKeysOver(value: unknown, limit: number): number | undefined {
  if (!isJsonObject(value)) return undefined;
  let count = 0;
  for (const _ in value) if (++count > limit) return Object.keys(value).length;
  return undefined;
}

function tooManyItems(payload: Record<string, unknown>, maxItems: number): Rejection | undefined {
  for (const key of LIST_KEYS) {
    const list = payload[key];
    if (Array.isArray(list) && list.length > maxItems) {
      return reject("too_many_items", `/${key}: ${list.length} items, more than ${maxItems}`);
    }
  }
  const count = countKeysOver(payload.values, maxItems);
  if (count !== undefined) {
    return reject("too_many_items", `/values: ${count} values, more than ${maxItems}`);
  }
  if (Array.isArray(payload.samples)) {
    for (let i = 0; i < payload.samples.length; i++) {
      const over = countKeysOver((payload.samples[i] as { values?: unknown })?.values, maxItems);
      if (over !== undefined) {
        return reject(
          "too_many_items",
          `/samples/${i}/values: ${over} values, more than ${maxItems}`,
        );
      }
    }
  }
  return undefined;
}

function allowedLiterals(schema: TSchema): string | undefined {
  const options = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!options?.every((option) => typeof option.const === "string")) return undefined;
  return options.map((option) => JSON.stringify(option.const)).join(", ");
}

/** The first schema error as a rejection: timestamps, serials and infinities get their own reasons. */
function classify(error: ValueError): Rejection {
  const path = error.path === "" ? "/" : error.path;
  const { value, schema } = error;
  const missing = error.type === ValueErrorType.ObjectRequiredProperty;
  if (schema === Timestamp) {
    if (missing) return reject("missing_ts", `${path}: required`);
    if (typeof value === "number" && !Number.isFinite(value)) {
      return reject("non_finite", `${path}: ${value} is not a finite number`);
    }
    return reject(
      "bad_ts",
      `${path}: ${quote(value)} is neither integer epoch milliseconds nor ISO-8601 with milliseconds and offset`,
    );
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    return reject("non_finite", `${path}: ${value} is not a finite number`);
  }
  const format = (schema as { format?: string }).format;
  if (format === "tracebox-serial") {
    return reject(
      "bad_serial",
      missing
        ? `${path}: required`
        : `${path}: ${quote(value)} is not a serial (${TEXT_FORMATS[format].rule})`,
    );
  }
  if (missing) return reject("invalid_field", `${path}: required`);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return "patternProperties" in schema
        ? reject(
            "invalid_field",
            `${path}: not a usable value name (letters, digits, underscore, not starting with a digit, at most 64; not time, site, line, station or serial)`,
          )
        : reject("invalid_field", `${path}: unknown property`);
    case ValueErrorType.StringFormat:
      return reject(
        "invalid_field",
        `${path}: ${quote(value)} breaks the rule: ${TEXT_FORMATS[format as keyof typeof TEXT_FORMATS]?.rule ?? format}`,
      );
    case ValueErrorType.Union: {
      const allowed = allowedLiterals(schema);
      if (allowed !== undefined) {
        return reject("invalid_field", `${path}: ${quote(value)} is not one of ${allowed}`);
      }
      break;
    }
  }
  return reject("invalid_field", `${path}: ${error.message}, got ${quote(value)}`);
}

/**
 * Schema, limits and the channel's own rules (duplicates, ranges), then the points. Shared by
 * the codec and by `validatePayload`, so a payload that validates is one that decodes.
 */
export function checkPayload(
  payload: Record<string, unknown>,
  maxItems: number,
  context: ChannelContext,
): StoredPoint[] | Rejection {
  const tooMany = tooManyItems(payload, maxItems);
  if (tooMany) return tooMany;
  let codec: ChannelCodec;
  let check: TypeCheck<TSchema>;
  if (isRecordChannel(context.channel)) {
    codec = RECORD_CODECS[context.channel];
    check = RECORD_CHECKS.get(context.channel) as TypeCheck<TSchema>;
  } else {
    codec = signalChannel;
    check = "samples" in payload ? BATCH_CHECK : SAMPLE_CHECK;
  }
  if (!check.Check(payload)) {
    const first = check.Errors(payload).First();
    return first ? classify(first) : reject("invalid_field", "/: does not match the schema");
  }
  return codec.toPoints(payload, context);
}

export type PayloadCheck = { ok: true } | Rejection;

/**
 * Whether `value` (a parsed JSON payload) is valid for `channel` under the contract: the schema
 * of docs/schema plus the rules a schema cannot state (unique keys, limits order, calendar
 * dates). The time window is not checked: that depends on the receiving clock.
 */
export function validatePayload(channel: string, value: unknown, maxItems = 10_000): PayloadCheck {
  try {
    if (!isRecordChannel(channel)) {
      const refused = checkSignalChannel(channel);
      if (refused) return refused;
    }
    if (!isJsonObject(value))
      return reject("not_object", `/: ${quote(value)} is not a JSON object`);
    const result = checkPayload(value, maxItems, {
      channel,
      origin: { site: "site", line: "line", station: "station" },
      time: timeWithoutWindow,
    });
    return Array.isArray(result) ? { ok: true } : result;
  } catch (error) {
    return reject("internal_error", `/: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function timeWithoutWindow(ts: number | string, path: string): number | Rejection {
  return toEpochMs(ts) ?? reject("bad_ts", `${path}: ${quote(ts)} is not a calendar time`);
}
