import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { ActiveAlert } from "../monitor.ts";
import type { Alert, AlertSink } from "../types.ts";

/** tracebox publishes under its own root, never under the stations' prefix, so it never ingests its own output. */
export const ALERT_ROOT = "tracebox/alert";

export interface MqttSinkOptions {
  url: string;
  /** Client id of the alert publisher; default `<ingest client id>-alerts`. */
  clientId: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** Retained state is complete once no message came for this long after subscribing, ms; default 250. */
  restoreQuietMs?: number;
}

type Retained = Alert & { active?: ActiveAlert[] };

function stationTopic(a: { site: string; line: string; station: string }): string {
  return `${ALERT_ROOT}/${a.site}/${a.line}/${a.station}`;
}

/**
 * Connects with MQTT 5, or with 3.1.1 when the broker refuses version 5 (CONNACK 1, "unacceptable
 * protocol version", or 132): the sink uses nothing 3.1.1 lacks.
 */
async function connectWithFallback(url: string, options: IClientOptions): Promise<MqttClient> {
  try {
    return await mqtt.connectAsync(url, options);
  } catch (error) {
    const code = Number((error as { code?: unknown }).code);
    if (options.protocolVersion !== 5 || (code !== 1 && code !== 132)) throw error;
    return await mqtt.connectAsync(url, { ...options, protocolVersion: 4 });
  }
}

/**
 * Publishes each alert retained at `tracebox/alert/<site>/<line>/<station>`, QoS 1. The payload is
 * the alert plus `active`: every alert raised at that station after this change, so the retained
 * message alone is the station's current state for a line controller that connects later.
 */
export class MqttAlertSink implements AlertSink {
  readonly name = "mqtt";
  private readonly active = new Map<string, Map<string, ActiveAlert>>();
  private pending = 0;
  private idle: (() => void)[] = [];

  private constructor(
    private readonly client: MqttClient,
    restored: ActiveAlert[],
  ) {
    for (const a of restored) this.activeAt(stationTopic(a)).set(a.rule, a);
  }

  /** Connects, reads the retained alert state (to carry raised alerts across a restart), and is ready to publish. */
  static async create(
    options: MqttSinkOptions,
  ): Promise<{ sink: MqttAlertSink; restored: ActiveAlert[] }> {
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 1000,
      // A broker restarting may refuse a CONNACK or two (unavailable, busy): keep reconnecting.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
      ...(options.cert ? { cert: readFileSync(options.cert) } : {}),
      ...(options.key ? { key: readFileSync(options.key) } : {}),
    };
    const client = await connectWithFallback(options.url, clientOptions);
    const restored: ActiveAlert[] = [];
    const seen = new Map<string, Retained>();
    let last = Date.now();
    const onMessage = (topic: string, payload: Buffer, packet: { retain: boolean }) => {
      last = Date.now();
      if (!packet.retain || payload.length === 0) return;
      try {
        seen.set(topic, JSON.parse(payload.toString("utf8")) as Retained);
      } catch {
        // someone else's malformed retained message: not ours to restore
      }
    };
    client.on("message", onMessage);
    await client.subscribeAsync(`${ALERT_ROOT}/#`, { qos: 1 });
    // The broker sends retained messages right after the SUBACK; a quiet spell means they are all in.
    const quietMs = options.restoreQuietMs ?? 250;
    const started = Date.now();
    last = started;
    while (Date.now() - last < quietMs && Date.now() - started < 10 * quietMs) {
      await new Promise((resolve) => setTimeout(resolve, quietMs / 5));
    }
    client.off("message", onMessage);
    await client.unsubscribeAsync(`${ALERT_ROOT}/#`);
    for (const state of seen.values()) for (const a of state.active ?? []) restored.push(a);
    return { sink: new MqttAlertSink(client, restored), restored };
  }

  private activeAt(topic: string): Map<string, ActiveAlert> {
    let map = this.active.get(topic);
    if (!map) {
      map = new Map();
      this.active.set(topic, map);
    }
    return map;
  }

  send(alert: Alert): void {
    const topic = stationTopic(alert);
    const active = this.activeAt(topic);
    if (alert.state === "raised") {
      active.set(alert.rule, {
        id: alert.id,
        rule: alert.rule,
        site: alert.site,
        line: alert.line,
        station: alert.station,
        limit: alert.limit,
        ts: alert.ts,
      });
    } else {
      active.delete(alert.rule);
    }
    this.pending += 1;
    this.client.publish(
      topic,
      JSON.stringify({ ...alert, active: [...active.values()] }),
      { qos: 1, retain: true },
      () => {
        this.pending -= 1;
        if (this.pending === 0) for (const wake of this.idle.splice(0)) wake();
      },
    );
  }

  async drain(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise((resolve) => setTimeout(resolve, timeoutMs)),
    ]);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
