import mqtt, { type IConnackPacket, type MqttClient } from "mqtt";
import type { WorkloadMessage } from "./workload.ts";

/** How the benchmark publishes; one TSDoc line per field. */
export interface PublisherOptions {
  /** Broker URL. */
  url: string;
  /** MQTT 5 connections publishing side by side; default 2. */
  connections: number;
  /** QoS 1 publishes awaiting their PUBACK per connection, at most; default 500, lowered to the broker's Receive Maximum. */
  window: number;
}

export const DEFAULT_PUBLISHER = { connections: 2, window: 500 } as const;

/** What a publishing run did; times are `performance.now()` ms. */
export interface Published {
  messages: number;
  points: number;
  bytes: number;
  firstPublishAt: number;
  lastAckAt: number;
  /** The in-flight window actually used per connection. */
  window: number;
  connections: number;
}

/** One MQTT 5 connection that keeps up to `window` QoS 1 publishes outstanding. */
export class WindowedPublisher {
  private outstanding = 0;
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(
    readonly client: MqttClient,
    readonly window: number,
  ) {}

  static async connect(url: string, window: number): Promise<WindowedPublisher> {
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      clientId: `bench-pub-${Math.random().toString(36).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 0,
    });
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.once("connect", resolve);
      client.once("error", (error) => {
        client.end(true);
        reject(error);
      });
    });
    // mqtt.js does not hold back for the broker's Receive Maximum, and Mosquitto disconnects a
    // client that exceeds it: the window stays within what the CONNACK allows.
    const brokerMaximum = connack.properties?.receiveMaximum ?? 65_535;
    return new WindowedPublisher(client, Math.max(1, Math.min(window, brokerMaximum)));
  }

  /** Resolves once the message may be sent without exceeding the window. */
  async slot(): Promise<void> {
    while (this.outstanding >= this.window) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    if (this.failure) throw this.failure;
  }

  /** Sends at QoS 1; `acked` runs on its PUBACK. Call slot() first. */
  publish(message: Pick<WorkloadMessage, "topic" | "payload">, acked?: () => void): void {
    this.outstanding += 1;
    this.client.publish(message.topic, message.payload, { qos: 1 }, (error) => {
      this.outstanding -= 1;
      if (error) this.failure ??= error;
      acked?.();
      const wake = this.waiting;
      this.waiting = undefined;
      wake?.();
    });
  }

  /** Resolves once every publish so far is acknowledged. */
  async drain(): Promise<void> {
    while (this.outstanding > 0) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

/**
 * Publishes every message as fast as the broker acknowledges them, over several connections that
 * take the next message from one shared sequence.
 */
export async function publishAll(
  messages: Iterator<WorkloadMessage>,
  options: PublisherOptions,
  progress: (acked: { messages: number; points: number }) => void = () => {},
): Promise<Published> {
  const publishers = await Promise.all(
    Array.from({ length: options.connections }, () =>
      WindowedPublisher.connect(options.url, options.window),
    ),
  );
  const done = { messages: 0, points: 0 };
  let bytes = 0;
  let firstPublishAt = 0;
  try {
    await Promise.all(
      publishers.map(async (publisher) => {
        for (;;) {
          await publisher.slot();
          const next = messages.next();
          if (next.done) break;
          const message = next.value;
          if (firstPublishAt === 0) firstPublishAt = performance.now();
          bytes += message.payload.length;
          publisher.publish(message, () => {
            done.messages += 1;
            done.points += message.points;
            progress(done);
          });
        }
        await publisher.drain();
      }),
    );
    return {
      ...done,
      bytes,
      firstPublishAt,
      lastAckAt: performance.now(),
      window: Math.min(...publishers.map((p) => p.window)),
      connections: publishers.length,
    };
  } finally {
    await Promise.all(publishers.map((p) => p.close()));
  }
}
