import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { type Config, loadConfig } from "../config/index.ts";
import { freePort } from "../services/index.ts";
import { uniqueDatabase } from "./services.ts";

/**
 * A configuration for one test: its own database, topic prefix, client id, data dir and HTTP port,
 * so tests sharing the run's broker and database never see each other's messages or points.
 */
export async function ingestTestConfig(
  services: { mqttUrl: string; influxUrl: string },
  env: NodeJS.ProcessEnv = {},
): Promise<{ config: Config; env: NodeJS.ProcessEnv }> {
  const id = uniqueDatabase("i");
  const full: NodeJS.ProcessEnv = {
    TRACEBOX_MQTT_URL: services.mqttUrl,
    TRACEBOX_INFLUX_URL: services.influxUrl,
    TRACEBOX_INFLUX_DB: id,
    TRACEBOX_TOPIC_PREFIX: `ems_${id}`,
    TRACEBOX_MQTT_CLIENT_ID: `ingest-${id}`,
    TRACEBOX_DATA_DIR: mkdtempSync(join(tmpdir(), "tracebox-ingest-")),
    TRACEBOX_HTTP_PORT: String(await freePort()),
    TRACEBOX_LOG_LEVEL: "warn",
    TRACEBOX_CONFIG: "/dev/null",
    ...env,
  };
  return { config: loadConfig({ env: full }).config, env: full };
}

/** A QoS 1 publisher that waits for every PUBACK. */
export async function publisher(
  url: string,
  options: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `pub-${Math.random().toString(36).slice(2)}`,
    ...options,
  });
}

/** Points of a measurement, counted with InfluxQL over the whole time range. */
export async function countPoints(
  influxUrl: string,
  db: string,
  measurement: string,
  field: string,
): Promise<number> {
  const q = `SELECT count("${field}") FROM "${measurement}"`;
  const response = await fetch(
    `${influxUrl}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(q)}`,
  );
  const body = (await response.json()) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/** Polls until `check` is true or the time is up; returns the last value seen. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await probe();
  }
  return value;
}
