import type { LogLevel } from "./types.ts";

/** How a raw value (YAML scalar or environment string) becomes a typed one, or what was expected. */
export type Parse<T> = (raw: unknown) => { ok: true; value: T } | { ok: false; expected: string };

/** One configuration option: its YAML path, its environment variable, its type and its default. */
export interface OptionSpec<T = unknown> {
  /** Dotted path in the YAML file, e.g. `mqtt.url`. */
  path: string;
  /** Environment variable that overrides the file, e.g. `TRACEBOX_MQTT_URL`. */
  env: string;
  /** Default when neither the file nor the environment sets it; `undefined` means unset. */
  default: T | undefined;
  /** Masked in every printout and error message. */
  secret?: boolean;
  /** One line for the reference: what it is, its unit. */
  doc: string;
  parse: Parse<T>;
}

const str: Parse<string> = (raw) =>
  typeof raw === "string" && raw.length > 0
    ? { ok: true, value: raw }
    : typeof raw === "number"
      ? { ok: true, value: String(raw) }
      : { ok: false, expected: "a non-empty string" };

function url(protocols: string[]): Parse<string> {
  const expected = `a URL with scheme ${protocols.map((p) => `${p}//`).join(" or ")}`;
  return (raw) => {
    if (typeof raw !== "string") return { ok: false, expected };
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol) || parsed.hostname === "") {
        return { ok: false, expected };
      }
      return { ok: true, value: raw.replace(/\/+$/, "") };
    } catch {
      return { ok: false, expected };
    }
  };
}

function int(min: number, max: number): Parse<number> {
  const expected = `an integer from ${min} to ${max}`;
  return (raw) => {
    const n =
      typeof raw === "number"
        ? raw
        : typeof raw === "string" && /^-?\d+$/.test(raw.trim())
          ? Number(raw)
          : Number.NaN;
    return Number.isInteger(n) && n >= min && n <= max
      ? { ok: true, value: n }
      : { ok: false, expected };
  };
}

function oneOf<T extends string>(values: readonly T[]): Parse<T> {
  const expected = `one of ${values.join(", ")}`;
  return (raw) =>
    typeof raw === "string" && (values as readonly string[]).includes(raw)
      ? { ok: true, value: raw as T }
      : { ok: false, expected };
}

const bool: Parse<boolean> = (raw) => {
  if (typeof raw === "boolean") return { ok: true, value: raw };
  if (raw === "true" || raw === "1") return { ok: true, value: true };
  if (raw === "false" || raw === "0") return { ok: true, value: false };
  return { ok: false, expected: "true or false" };
};

const segment: Parse<string> = (raw) =>
  typeof raw === "string" && /^[A-Za-z0-9_.-]{1,64}(\/[A-Za-z0-9_.-]{1,64})*$/.test(raw)
    ? { ok: true, value: raw }
    : { ok: false, expected: "topic segments of [A-Za-z0-9_.-]{1,64} joined by /, no wildcards" };

const host: Parse<string> = (raw) =>
  typeof raw === "string" && /^[A-Za-z0-9.:-]+$/.test(raw)
    ? { ok: true, value: raw }
    : { ok: false, expected: "an IP address or host name to bind to" };

const LOG_LEVELS = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const satisfies readonly LogLevel[];

function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/**
 * Every option tracebox reads. The README's configuration reference is generated from this table
 * (`npm run docs:config`) and a test fails when the two differ.
 */
export const OPTIONS = {
  mqttUrl: option({
    path: "mqtt.url",
    env: "TRACEBOX_MQTT_URL",
    default: "mqtt://127.0.0.1:1883",
    doc: "Broker URL (`mqtt://` or `mqtts://` for TLS).",
    parse: url(["mqtt:", "mqtts:", "tcp:", "ssl:"]),
  }),
  mqttUsername: option({
    path: "mqtt.username",
    env: "TRACEBOX_MQTT_USERNAME",
    default: undefined,
    doc: "Broker user name.",
    parse: str,
  }),
  mqttPassword: option({
    path: "mqtt.password",
    env: "TRACEBOX_MQTT_PASSWORD",
    default: undefined,
    secret: true,
    doc: "Broker password.",
    parse: str,
  }),
  mqttClientId: option({
    path: "mqtt.clientId",
    env: "TRACEBOX_MQTT_CLIENT_ID",
    default: "tracebox-ingest",
    doc: "Fixed client id of the ingestor, so its persistent session survives restarts.",
    parse: str,
  }),
  mqttCa: option({
    path: "mqtt.ca",
    env: "TRACEBOX_MQTT_CA",
    default: undefined,
    doc: "PEM file of the CA that signed the broker's certificate (TLS).",
    parse: str,
  }),
  mqttCert: option({
    path: "mqtt.cert",
    env: "TRACEBOX_MQTT_CERT",
    default: undefined,
    doc: "PEM file of the client certificate (TLS client authentication).",
    parse: str,
  }),
  mqttKey: option({
    path: "mqtt.key",
    env: "TRACEBOX_MQTT_KEY",
    default: undefined,
    secret: true,
    doc: "PEM file of the client key (TLS client authentication).",
    parse: str,
  }),
  topicPrefix: option({
    path: "mqtt.topicPrefix",
    env: "TRACEBOX_TOPIC_PREFIX",
    default: "ems",
    doc: "Root of the stations' topics: `<prefix>/<site>/<line>/<station>/<channel>`.",
    parse: segment,
  }),
  ingestGroup: option({
    path: "ingest.group",
    env: "TRACEBOX_INGEST_GROUP",
    default: undefined,
    doc: "Shared-subscription group: N ingestors with the same group split the load (`$share/<group>/<prefix>/#`).",
    parse: segment,
  }),
  influxUrl: option({
    path: "influx.url",
    env: "TRACEBOX_INFLUX_URL",
    default: "http://127.0.0.1:8086",
    doc: "InfluxDB base URL (v1 HTTP API: `/write`, `/query`).",
    parse: url(["http:", "https:"]),
  }),
  influxDb: option({
    path: "influx.database",
    env: "TRACEBOX_INFLUX_DB",
    default: "tracebox",
    doc: "InfluxDB database (created when missing).",
    parse: str,
  }),
  influxRetentionPolicy: option({
    path: "influx.retentionPolicy",
    env: "TRACEBOX_INFLUX_RP",
    default: undefined,
    doc: "Retention policy to write into (created when missing, with `influx.retention`).",
    parse: str,
  }),
  influxRetention: option({
    path: "influx.retention",
    env: "TRACEBOX_INFLUX_RETENTION",
    default: "INF",
    doc: "Duration of the retention policy, InfluxQL syntax (`30d`, `52w`, `INF`).",
    parse: (raw) =>
      typeof raw === "string" && /^(INF|(\d+(ms|s|m|h|d|w))+)$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, expected: "an InfluxQL duration such as 30d, 26w or INF" },
  }),
  influxToken: option({
    path: "influx.token",
    env: "TRACEBOX_INFLUX_TOKEN",
    default: undefined,
    secret: true,
    doc: "Token (InfluxDB 2/3/Cloud); sent as `Authorization: Token …`.",
    parse: str,
  }),
  influxUsername: option({
    path: "influx.username",
    env: "TRACEBOX_INFLUX_USERNAME",
    default: undefined,
    doc: "InfluxDB 1.x user name.",
    parse: str,
  }),
  influxPassword: option({
    path: "influx.password",
    env: "TRACEBOX_INFLUX_PASSWORD",
    default: undefined,
    secret: true,
    doc: "InfluxDB 1.x password.",
    parse: str,
  }),
  influxOrg: option({
    path: "influx.org",
    env: "TRACEBOX_INFLUX_ORG",
    default: undefined,
    doc: "InfluxDB 2 organisation; with `influx.bucket`, writes go through the v2 API.",
    parse: str,
  }),
  influxBucket: option({
    path: "influx.bucket",
    env: "TRACEBOX_INFLUX_BUCKET",
    default: undefined,
    doc: "InfluxDB 2 bucket; with `influx.org`, writes go through the v2 API.",
    parse: str,
  }),
  dataDir: option({
    path: "dataDir",
    env: "TRACEBOX_DATA_DIR",
    default: "./data",
    doc: "Where tracebox keeps its spool, dead-letter, warehouse and local services' data.",
    parse: str,
  }),
  httpHost: option({
    path: "http.host",
    env: "TRACEBOX_HTTP_HOST",
    default: "127.0.0.1",
    doc: "Address the metrics / health endpoint binds to (loopback unless you expose it).",
    parse: host,
  }),
  httpPort: option({
    path: "http.port",
    env: "TRACEBOX_HTTP_PORT",
    default: 9464,
    doc: "Port of `/metrics` and `/healthz`.",
    parse: int(1, 65535),
  }),
  jobsHttpPort: option({
    path: "jobs.httpPort",
    env: "TRACEBOX_JOBS_HTTP_PORT",
    default: 9465,
    doc: "Port of the jobs process's `/metrics` and `/healthz`.",
    parse: int(1, 65535),
  }),
  apiPort: option({
    path: "api.port",
    env: "TRACEBOX_API_PORT",
    default: 9470,
    doc: "Port of `tracebox serve` (the traceability HTTP API).",
    parse: int(1, 65535),
  }),
  apiToken: option({
    path: "api.token",
    env: "TRACEBOX_API_TOKEN",
    default: undefined,
    secret: true,
    doc: "Bearer token the HTTP API requires; mandatory when it binds beyond loopback.",
    parse: str,
  }),
  exportKey: option({
    path: "export.key",
    env: "TRACEBOX_EXPORT_KEY",
    default: undefined,
    secret: true,
    doc: "HMAC key that signs export manifests (tamper evidence beyond the SHA-256 chain); unset: unsigned.",
    parse: str,
  }),
  logLevel: option({
    path: "log.level",
    env: "TRACEBOX_LOG_LEVEL",
    default: "info" as LogLevel,
    doc: "Log level: fatal, error, warn, info, debug, trace, silent.",
    parse: oneOf(LOG_LEVELS),
  }),
  batchSize: option({
    path: "ingest.batchSize",
    env: "TRACEBOX_INGEST_BATCH_SIZE",
    default: 20_000,
    doc: "Points per InfluxDB write, at most.",
    parse: int(1, 1_000_000),
  }),
  batchMaxAgeMs: option({
    path: "ingest.batchMaxAgeMs",
    env: "TRACEBOX_INGEST_BATCH_MAX_AGE_MS",
    default: 100,
    doc: "Longest a point waits for its batch to fill, milliseconds.",
    parse: int(0, 60_000),
  }),
  spoolMaxBytes: option({
    path: "ingest.spoolMaxBytes",
    env: "TRACEBOX_INGEST_SPOOL_MAX_BYTES",
    default: 1024 * 1024 * 1024,
    doc: "Largest on-disk spool, bytes; when full, the ingestor stops acknowledging (the broker holds the messages).",
    parse: int(1024, Number.MAX_SAFE_INTEGER),
  }),
  receiveMaximum: option({
    path: "ingest.receiveMaximum",
    env: "TRACEBOX_INGEST_RECEIVE_MAXIMUM",
    default: 1000,
    doc: "Unacknowledged QoS 1 messages the broker may send at once (MQTT 5 Receive Maximum).",
    parse: int(1, 65535),
  }),
  maxPayloadBytes: option({
    path: "ingest.maxPayloadBytes",
    env: "TRACEBOX_INGEST_MAX_PAYLOAD_BYTES",
    default: 256 * 1024,
    doc: "Largest accepted message, bytes; larger ones go to the dead-letter.",
    parse: int(64, 256 * 1024 * 1024),
  }),
  maxPastMs: option({
    path: "ingest.maxPastMs",
    env: "TRACEBOX_INGEST_MAX_PAST_MS",
    default: 30 * 24 * 3600 * 1000,
    doc: "Oldest accepted `ts`, milliseconds before now.",
    parse: int(0, Number.MAX_SAFE_INTEGER),
  }),
  maxFutureMs: option({
    path: "ingest.maxFutureMs",
    env: "TRACEBOX_INGEST_MAX_FUTURE_MS",
    default: 5 * 60 * 1000,
    doc: "Newest accepted `ts`, milliseconds after now (clock skew).",
    parse: int(0, Number.MAX_SAFE_INTEGER),
  }),
  manageServicesInstall: option({
    path: "services.install",
    env: "TRACEBOX_SERVICES_INSTALL",
    default: true,
    doc: "`services up` installs Debian's mosquitto / influxdb packages when missing and running as root.",
    parse: bool,
  }),
} as const;

export type OptionName = keyof typeof OPTIONS;
