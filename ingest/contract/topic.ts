import { quote, type Rejection, reject } from "./rejection.ts";

/** The channels whose payloads are unit-scoped records; any other valid name is a signal channel. */
export const RECORD_CHANNELS = ["unit", "spi", "test", "material", "event", "pack"] as const;
export type RecordChannel = (typeof RECORD_CHANNELS)[number];

/**
 * Measurements tracebox writes itself, beside those of the record channels. A signal channel of
 * the same name would mix station readings into them, so such a channel is refused. A module
 * that writes a new measurement adds its name here.
 */
export const RESERVED_MEASUREMENTS: ReadonlySet<string> = new Set([
  "spi_pad",
  "test_measurement",
  "test_defect",
  "placement",
  "alert",
  "yield",
  "defect_pareto",
  "risk",
  "defect_driver",
]);
/** Prefixes of measurement families tracebox writes (SPC results; its own ledgers: ingest, jobs). */
export const RESERVED_MEASUREMENT_PREFIXES: readonly string[] = ["spc_", "tracebox_"];

const SEGMENT = /^[A-Za-z0-9_.-]{1,64}$/;
const SIGNAL_CHANNEL = /^[a-z][a-z0-9_]{0,63}$/;
const SEGMENT_NAMES = ["site", "line", "station", "channel"] as const;

export interface Topic {
  site: string;
  line: string;
  station: string;
  channel: string;
}

/** Whether `channel` may be published as a signal channel (storage measurement of that name). */
export function checkSignalChannel(channel: string): Rejection | undefined {
  if (!SIGNAL_CHANNEL.test(channel)) {
    return reject(
      "bad_topic",
      `channel ${quote(channel)}: a signal channel is [a-z][a-z0-9_]* (at most 64), or one of ${RECORD_CHANNELS.join(", ")}`,
    );
  }
  if (
    RESERVED_MEASUREMENTS.has(channel) ||
    RESERVED_MEASUREMENT_PREFIXES.some((prefix) => channel.startsWith(prefix))
  ) {
    return reject(
      "bad_topic",
      `channel ${quote(channel)}: tracebox writes a measurement of that name itself; choose another channel name`,
    );
  }
  return undefined;
}

export function isRecordChannel(channel: string): channel is RecordChannel {
  return (RECORD_CHANNELS as readonly string[]).includes(channel);
}

/** `<prefix>/<site>/<line>/<station>/<channel>`, every level checked. */
export function parseTopic(topic: string, prefix: string): Topic | Rejection {
  if (typeof topic !== "string" || !topic.startsWith(`${prefix}/`)) {
    return reject("bad_topic", `topic ${quote(topic)} is not under the prefix "${prefix}/"`);
  }
  const segments = topic.slice(prefix.length + 1).split("/");
  if (segments.length !== 4) {
    return reject(
      "bad_topic",
      `topic ${quote(topic)} has ${segments.length} levels after the prefix; expected <site>/<line>/<station>/<channel>`,
    );
  }
  for (let i = 0; i < 4; i++) {
    const segment = segments[i] as string;
    if (!SEGMENT.test(segment)) {
      return reject(
        "bad_topic",
        `topic ${SEGMENT_NAMES[i]} ${quote(segment)} must be 1-64 of [A-Za-z0-9_.-]`,
      );
    }
  }
  const [site, line, station, channel] = segments as [string, string, string, string];
  if (!isRecordChannel(channel)) {
    const refused = checkSignalChannel(channel);
    if (refused) return refused;
  }
  return { site, line, station, channel };
}
