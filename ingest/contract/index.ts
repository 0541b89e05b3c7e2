// The MQTT contract v1 and its codec: decode(topic, payload) -> points | rejection.
export type { ChannelCodec, ChannelContext } from "./channels/index.ts";
export { RECORD_CODECS } from "./channels/index.ts";
export { MAX_STRING_FIELD_BYTES } from "./channels/pack.ts";
export { NO_REF } from "./channels/test.ts";
export { createDecoder, type Decode, type Decoded, decodeMessage } from "./decode.ts";
export { FIELD_KEY_PATTERN, ISO_TIMESTAMP_PATTERN, TEXT_FORMATS } from "./formats.ts";
export { jsonSchemas } from "./json-schema.ts";
export { DEFAULT_DECODE_OPTIONS, type DecodeOptions, resolveDecodeOptions } from "./options.ts";
export type { Origin, StoredPoint } from "./point.ts";
export { REJECT_REASONS, type Rejection, type RejectReason } from "./rejection.ts";
export {
  EventPayload,
  MaterialPayload,
  PAYLOAD_SCHEMAS,
  PackPayload,
  type PayloadName,
  SignalBatch,
  SignalPayload,
  SignalSample,
  SpiPayload,
  TestPayload,
  UnitPayload,
} from "./schemas.ts";
export { toEpochMs } from "./timestamp.ts";
export {
  checkSignalChannel,
  parseTopic,
  RECORD_CHANNELS,
  RESERVED_MEASUREMENT_PREFIXES,
  RESERVED_MEASUREMENTS,
  type RecordChannel,
  type Topic,
} from "./topic.ts";
export { type PayloadCheck, validatePayload } from "./validate.ts";
