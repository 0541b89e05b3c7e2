/** Where and how the local broker and database listen; every path is under `dir`. */
export interface LocalServicesOptions {
  /** Directory that holds the services' config, data, logs and pid files. */
  dir: string;
  /** Address both services bind to; default loopback. */
  host: string;
  /** Mosquitto's MQTT port; default 1883. */
  mqttPort: number;
  /** InfluxDB's HTTP port; default 8086. */
  influxPort: number;
  /** InfluxDB's backup/restore RPC port; default 8088. */
  influxRpcPort: number;
  /** Extra lines appended to mosquitto.conf (e.g. a TLS listener for tests). */
  mosquittoExtra?: string;
}

export const DEFAULT_LOCAL_SERVICES: Omit<LocalServicesOptions, "dir"> = {
  host: "127.0.0.1",
  mqttPort: 1883,
  influxPort: 8086,
  influxRpcPort: 8088,
};

/**
 * The broker is tuned for an ingestor that acknowledges late (after its write is durable):
 * a wide in-flight window per client, and a queue large enough that a stalled ingestor makes
 * the broker hold messages instead of dropping them (Mosquitto's default queue is 1000).
 */
export function mosquittoConf(options: LocalServicesOptions, paths: { data: string }): string {
  return [
    "# Written by `tracebox services up`; edit the template in services/configs.ts instead.",
    "per_listener_settings false",
    "persistence true",
    `persistence_location ${paths.data}/`,
    "autosave_interval 30",
    // Logged to stdout, which `up` sends to a file it opened itself.
    "log_dest stdout",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "connection_messages true",
    "# Unacknowledged QoS 1 messages per client in flight (MQTT 5 clients may ask for fewer).",
    "max_inflight_messages 1000",
    "# Messages held per persistent session while its client is slow or away; 0 would be unbounded.",
    "max_queued_messages 5000000",
    "max_queued_bytes 0",
    "persistent_client_expiration 14d",
    "set_tcp_nodelay true",
    "allow_anonymous true",
    // Started as root, Mosquitto would switch to the `mosquitto` user, which cannot write this
    // project-owned data dir; a local development broker keeps the caller's user instead.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    `listener ${options.mqttPort} ${options.host}`,
    options.mosquittoExtra ?? "",
    "",
  ].join("\n");
}

export function influxdbConf(options: LocalServicesOptions, dataDir: string): string {
  return `# Written by \`tracebox services up\`; edit the template in services/configs.ts instead.
reporting-disabled = true
bind-address = "${options.host}:${options.influxRpcPort}"

[meta]
  dir = "${dataDir}/meta"

[data]
  dir = "${dataDir}/data"
  wal-dir = "${dataDir}/wal"
  index-version = "tsi1"
  query-log-enabled = false
  trace-logging-enabled = false

[coordinator]
  log-queries-after = "0s"

[http]
  enabled = true
  bind-address = "${options.host}:${options.influxPort}"
  auth-enabled = false
  log-enabled = false
  write-tracing = false
  max-body-size = 0

[monitor]
  store-enabled = false

[continuous_queries]
  log-enabled = false
`;
}
