import mqtt from "mqtt";

export interface Health {
  name: string;
  ok: boolean;
  detail: string;
}

/** Connects to the broker and disconnects: proves it accepts MQTT, not just TCP. */
export async function brokerHealth(
  url: string,
  auth: { username?: string; password?: string } = {},
): Promise<Health> {
  const started = performance.now();
  try {
    const client = await mqtt.connectAsync(url, {
      ...auth,
      connectTimeout: 3000,
      reconnectPeriod: 0,
      protocolVersion: 5,
    });
    await client.endAsync();
    return {
      name: "mosquitto",
      ok: true,
      detail: `MQTT 5 connect in ${(performance.now() - started).toFixed(0)} ms at ${url}`,
    };
  } catch (error) {
    return { name: "mosquitto", ok: false, detail: `${url}: ${(error as Error).message}` };
  }
}

/** InfluxDB's /ping: its version and round-trip time. */
export async function databaseHealth(url: string): Promise<Health> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(3000) });
    const version = response.headers.get("x-influxdb-version") ?? "unknown";
    return {
      name: "influxdb",
      ok: response.status === 204,
      detail: `InfluxDB ${version}, ping ${response.status} in ${(performance.now() - started).toFixed(0)} ms at ${url}`,
    };
  } catch (error) {
    return { name: "influxdb", ok: false, detail: `${url}: ${(error as Error).message}` };
  }
}
