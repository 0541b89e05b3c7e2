import type { RecordChannel } from "../topic.ts";
import type { ChannelCodec } from "./codec.ts";
import { eventChannel } from "./event.ts";
import { materialChannel } from "./material.ts";
import { packChannel } from "./pack.ts";
import { signalChannel } from "./signal.ts";
import { spiChannel } from "./spi.ts";
import { testChannel } from "./test.ts";
import { unitChannel } from "./unit.ts";

export type { ChannelCodec, ChannelContext } from "./codec.ts";

/** The record channels; every other valid channel name is a signal channel. */
export const RECORD_CODECS: Record<RecordChannel, ChannelCodec> = {
  unit: unitChannel,
  spi: spiChannel,
  test: testChannel,
  material: materialChannel,
  event: eventChannel,
  pack: packChannel,
};

export { signalChannel };
