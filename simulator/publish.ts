import { setTimeout as sleep } from "node:timers/promises";
import mqtt from "mqtt";
import type { SimulatedMessage } from "./simulate.ts";

/** How simulated messages are published. */
export interface PublishOptions {
  /** Simulated time per wall-clock time; 0 publishes as fast as the broker acknowledges. Default 60 (an 8 h shift in 8 min). */
  speed: number;
  /** QoS 1 publishes awaiting PUBACK at once, messages. Default 64. */
  maxInFlight: number;
}

export const DEFAULT_PUBLISH_OPTIONS: Readonly<PublishOptions> = Object.freeze({
  speed: 60,
  maxInFlight: 64,
});

/** The part of an MQTT client the publisher uses (mqtt.js's MqttClient has it). */
export interface PublishClient {
  publishAsync(topic: string, message: string, options: { qos: 1 }): Promise<unknown>;
}

/** Wall clock of the pacing; tests pass a fake one. */
export interface PublishClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const SYSTEM_CLOCK: PublishClock = {
  now: () => performance.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
};

/** What a publishing run did. */
export interface PublishSummary {
  /** Messages acknowledged by the broker. */
  readonly published: number;
  /** Simulated time of the last message, epoch ms; undefined when there was none. */
  readonly lastTs: number | undefined;
}

/** Why publishing stopped. */
export type PublishErrorReason = "connect_failed" | "publish_failed";

/** Publishing failed: the broker refused or went away for good. `retryable`: worth running again. */
export class PublishError extends Error {
  constructor(
    readonly reason: PublishErrorReason,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PublishError";
  }
}

/**
 * Publishes messages at QoS 1 in their simulated-time order, paced so that simulated time
 * runs `speed` times as fast as the wall clock, with at most `maxInFlight` unacknowledged.
 */
export async function publishMessages(
  messages: Iterable<SimulatedMessage>,
  client: PublishClient,
  options: Partial<PublishOptions> = {},
  onPublished?: (message: SimulatedMessage) => void,
  clock: PublishClock = SYSTEM_CLOCK,
): Promise<PublishSummary> {
  const { speed, maxInFlight } = { ...DEFAULT_PUBLISH_OPTIONS, ...options };
  if (!(Number.isFinite(speed) && speed >= 0)) {
    throw new RangeError(`publish option speed must be a number >= 0: ${speed}`);
  }
  if (!(Number.isSafeInteger(maxInFlight) && maxInFlight >= 1)) {
    throw new RangeError(`publish option maxInFlight must be a positive integer: ${maxInFlight}`);
  }
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let published = 0;
  let lastTs: number | undefined;
  let firstTs: number | undefined;
  let startedAt = 0;
  for (const message of messages) {
    if (failure !== undefined) break;
    if (firstTs === undefined) {
      firstTs = message.ts;
      startedAt = clock.now();
    }
    if (speed > 0) {
      const due = startedAt + (message.ts - firstTs) / speed;
      const wait = due - clock.now();
      // Waking for every message of a dense burst costs more than a few ms of jitter.
      if (wait > 4) await clock.sleep(wait);
    }
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (failure !== undefined) break;
    const pending: Promise<void> = client
      .publishAsync(message.topic, JSON.stringify(message.payload), { qos: 1 })
      .then(
        () => {
          published += 1;
          lastTs = message.ts;
          onPublished?.(message);
        },
        (error: unknown) => {
          failure ??= error;
        },
      )
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) {
    throw new PublishError(
      "publish_failed",
      `publish failed after ${published} messages: ${failure instanceof Error ? failure.message : String(failure)}`,
      true,
      { cause: failure },
    );
  }
  return { published, lastTs };
}

/** An MQTT connection to publish on. */
export interface MqttPublisher extends PublishClient {
  endAsync(): Promise<void>;
}

/** Connects to the broker at `url`; rejects with a PublishError when it cannot be reached. */
export async function connectPublisher(
  url: string,
  clientId: string,
  auth: { username?: string | undefined; password?: string | undefined } = {},
): Promise<MqttPublisher> {
  try {
    return await mqtt.connectAsync(
      url,
      {
        clientId,
        clean: true,
        connectTimeout: 10_000,
        reconnectPeriod: 1_000,
        ...(auth.username === undefined ? {} : { username: auth.username }),
        ...(auth.password === undefined ? {} : { password: auth.password }),
      },
      false,
    );
  } catch (error) {
    throw new PublishError(
      "connect_failed",
      `cannot connect to the MQTT broker at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`,
      true,
      { cause: error },
    );
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return url;
  }
}
