import type { Static, TSchema } from "@sinclair/typebox";
import type { Origin, StoredPoint } from "../point.ts";
import type { Rejection } from "../rejection.ts";

/** What a channel's mapping may ask of the message it came in. */
export interface ChannelContext {
  /** The channel level of the topic; a signal channel's measurement. */
  channel: string;
  origin: Origin;
  /** Epoch ms of a schema-valid ts, or why it cannot be stored (`bad_ts`, `ts_out_of_window`); `path` is its JSON Pointer. */
  time(ts: number | string, path: string): number | Rejection;
}

/** A channel: its payload schema and how a valid payload becomes points. */
export interface ChannelCodec<T extends TSchema = TSchema> {
  schema: T;
  toPoints(payload: Static<T>, context: ChannelContext): StoredPoint[] | Rejection;
}

export function defineChannel<T extends TSchema>(codec: ChannelCodec<T>): ChannelCodec<T> {
  return codec;
}
