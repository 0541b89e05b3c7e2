import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";

/** Broker connection settings; one TSDoc line per field. */
export interface BrokerOptions {
  /** `mqtt://` or `mqtts://` URL. */
  url: string;
  /** Fixed client id, so the persistent session (and its queued messages) survives restarts. */
  clientId: string;
  username?: string;
  password?: string;
  /** PEM files for TLS: CA, client certificate, client key. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Topic filter to subscribe, e.g. `ems/#` or `$share/g/ems/#`. */
  filter: string;
  /** MQTT 5 Receive Maximum: unacknowledged QoS 1 messages the broker may send at once; default 1000. */
  receiveMaximum: number;
  /** Session kept by the broker while disconnected, seconds; default 7 days. */
  sessionExpirySeconds: number;
  /** Pause between reconnection attempts, ms; default 1000. */
  reconnectPeriodMs: number;
}

export const DEFAULT_BROKER_OPTIONS = {
  receiveMaximum: 1000,
  sessionExpirySeconds: 7 * 24 * 3600,
  reconnectPeriodMs: 1000,
} as const satisfies Partial<BrokerOptions>;

/** Proof of receipt of one QoS 1 message; releasing it sends the PUBACK. */
export interface AckToken {
  /** Which connection received it: an ack is only valid on that connection. */
  readonly epoch: number;
  readonly messageId: number | undefined;
}

export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  /** epoch ms */
  receivedAt: number;
  /** The broker marked it as a redelivery. */
  dup: boolean;
  ack: AckToken;
}

type SendPacket = (
  packet: Record<string, unknown>,
  cb?: (error?: Error) => void,
  ...rest: unknown[]
) => void;

/**
 * A persistent-session QoS 1 subscription that acknowledges a message only when told to.
 *
 * mqtt.js handles incoming packets one at a time and sends a PUBACK, then reads the next packet,
 * only after `handleMessage` calls back. Holding that callback until a batch is durable would stall
 * the connection at one message per write (~5 messages/s with a 200 ms flush). So the callback
 * returns at once and the PUBACK it triggers is held back here, then sent, in receive order, when
 * the caller releases the message after its group commit. MQTT requires QoS 1 PUBACKs in the order
 * the PUBLISHes arrived: releases happen batch after batch in receive order, and a held ack from an
 * earlier connection is dropped (the broker redelivers that message), never sent on a new one.
 * This reaches into mqtt.js's `_sendPacket`, so the mqtt version is pinned and the behaviour is
 * covered by the ingest integration tests (kill -9, broker restart).
 */
export class BrokerConnection {
  readonly client: MqttClient;
  private epoch = 0;
  private taking = true;
  private readonly send: SendPacket;

  constructor(
    readonly options: BrokerOptions,
    /** May return a promise: the next packet is read only when it settles (backpressure). */
    private readonly onMessage: (message: ReceivedMessage) => void | Promise<void>,
    private readonly events: {
      connected?: (reconnect: boolean) => void;
      disconnected?: (why: string) => void;
      error?: (error: Error) => void;
    } = {},
  ) {
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      clean: false,
      protocolVersion: 5,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: options.reconnectPeriodMs,
      // A refused CONNACK would otherwise end reconnecting for good: the 3.1.1 fallback below
      // needs the next attempt, and a broker that is unavailable or busy for a while (CONNACK
      // 3, 136, 137) must not leave the ingestor disconnected until it is restarted. Refused
      // credentials at start fail fast instead (`start`).
      reconnectOnConnackError: true,
      // Subscribed on every CONNACK below instead, which also covers an expired session.
      resubscribe: false,
      properties: {
        sessionExpiryInterval: options.sessionExpirySeconds,
        receiveMaximum: options.receiveMaximum,
      },
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
      ...(options.cert ? { cert: readFileSync(options.cert) } : {}),
      ...(options.key ? { key: readFileSync(options.key) } : {}),
      manualConnect: true,
    };
    const client = mqtt.connect(options.url, clientOptions);
    this.client = client;

    const internals = client as unknown as { _sendPacket: SendPacket };
    if (typeof internals._sendPacket !== "function")
      throw new Error("unsupported mqtt.js version: no _sendPacket");
    this.send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === "puback") {
        // Held: sent by release() once the message is durable. Let the client read on.
        cb?.();
        return;
      }
      this.send(packet, cb, ...rest);
    };

    client.handleMessage = (packet: IPublishPacket, callback) => {
      if (this.taking) {
        const room = this.onMessage({
          topic: packet.topic,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          receivedAt: Date.now(),
          dup: packet.dup,
          ack: { epoch: this.epoch, messageId: packet.qos > 0 ? packet.messageId : undefined },
        });
        if (room) {
          // The pipeline is full: read on only when it has room again.
          room.then(
            () => callback(),
            () => callback(),
          );
          return;
        }
      }
      // Not taken (stopping): never acknowledged, so the broker keeps it for the next session.
      callback();
    };

    let connectedBefore = false;
    client.on("connect", () => {
      this.epoch += 1;
      this.events.connected?.(connectedBefore);
      connectedBefore = true;
      // A resumed session keeps its subscription; subscribing again is harmless and covers a
      // session the broker expired while we were away.
      client.subscribe(options.filter, { qos: 1 }, (error) => {
        if (error) this.events.error?.(error);
      });
    });
    client.on("close", () => {
      this.events.disconnected?.("connection closed");
    });
    client.on("error", (error) => this.events.error?.(error));
  }

  /** Connects (and keeps reconnecting); resolves on the first CONNACK. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        const code = "code" in error ? Number((error as { code: unknown }).code) : Number.NaN;
        // An MQTT 3.1.1-only broker refuses version 5 (CONNACK code 1, or 132 "unsupported
        // protocol version"): fall back to 3.1.1 with the same persistent session semantics.
        if ((code === 1 || code === 132) && this.client.options.protocolVersion === 5) {
          this.client.options.protocolVersion = 4;
          delete this.client.options.properties;
          return;
        }
        // A refused CONNACK that may pass (server unavailable, busy): keep trying. Any other
        // refusal (credentials, client id, banned, …) will keep coming: fail fast.
        if (Number.isFinite(code) && code > 0 && ![3, 136, 137].includes(code)) {
          this.client.end(true);
          reject(error);
        }
      };
      this.client.once("connect", () => {
        this.client.off("error", fail);
        resolve();
      });
      this.client.on("error", fail);
      this.client.connect();
    });
  }

  /** Sends the PUBACKs of `tokens`, in order; tokens of an earlier connection are dropped. */
  release(tokens: readonly AckToken[]): number {
    let sent = 0;
    for (const token of tokens) {
      if (token.messageId === undefined || token.epoch !== this.epoch || !this.client.connected)
        continue;
      this.send({ cmd: "puback", messageId: token.messageId, reasonCode: 0 }, () => {});
      sent += 1;
    }
    return sent;
  }

  /**
   * Drops the connection of `epoch` (mqtt.js reconnects after `reconnectPeriodMs`): the broker then
   * delivers again every message of the session not yet acknowledged. Nothing is acknowledged on
   * that connection from here on (`release` drops its tokens), and a later connection is left
   * alone: its messages come again anyway.
   */
  redeliver(epoch: number): void {
    if (epoch !== this.epoch) return;
    this.epoch += 1;
    if (this.client.connected) this.client.stream.destroy();
  }

  /** Stops taking new messages; those still arriving stay unacknowledged (redelivered later). */
  stopTaking(): void {
    this.taking = false;
  }

  get isConnected(): boolean {
    return this.client.connected;
  }

  async close(): Promise<void> {
    await this.client.endAsync(false);
  }
}
