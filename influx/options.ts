import { InfluxError } from "./errors.ts";

/** Where and how to reach InfluxDB. */
export interface InfluxOptions {
  /** Base URL, e.g. `http://127.0.0.1:8086` (a path prefix behind a proxy is kept); credentials in it move to the Authorization header. No default. */
  url: string;
  /** Database the v1 API writes to and queries (with 2.x: the DBRP-mapped name). No default. */
  database: string;
  /** Retention policy to write into, created by `ensureDatabase` as the default policy; default: the database's default policy. */
  retentionPolicy?: string;
  /** InfluxQL duration for a policy we create (`30d`, `52w`, `INF`), default "INF" */
  retention?: string;
  /** InfluxDB 1.x user, sent with `password` as HTTP Basic auth; default none. */
  username?: string;
  /** InfluxDB 1.x password; default none. Removed from `client.options`. */
  password?: string;
  /** Token (InfluxDB 2/3/Cloud), sent as `Authorization: Token …`, wins over username/password; default none. Removed from `client.options`. */
  token?: string;
  /** InfluxDB 2 organisation; with `bucket`, writes go through the v2 API; default none. */
  org?: string;
  /** InfluxDB 2 bucket; with `org`, writes go through the v2 API; default none. */
  bucket?: string;
  /** per-request timeout, ms, default 10000 */
  timeoutMs?: number;
}

export const DEFAULT_INFLUX_OPTIONS = {
  retention: "INF",
  timeoutMs: 10_000,
} as const satisfies Partial<InfluxOptions>;

/** The options with defaults applied, the URL without credentials, and the secrets apart. */
export interface ResolvedInfluxOptions {
  /** What the client shows as `options`: no password, no token. */
  public: Readonly<InfluxOptions>;
  /** Base URL without credentials or trailing slash. */
  baseUrl: string;
  retention: string;
  timeoutMs: number;
  /** The Authorization header value, if any. */
  authorization: string | undefined;
  /** Only the v2 writer needs the raw token. */
  token: string | undefined;
  /** Set when writes go through the v2 API. */
  v2: { org: string; bucket: string } | undefined;
}

const DURATION = /^(INF|(\d+(ns|u|µ|ms|s|m|h|d|w))+)$/i;

function invalid(field: string, value: unknown, expected: string): InfluxError {
  return new InfluxError(
    "bad_request",
    `influx option ${field}=${String(value)}: expected ${expected}`,
  );
}

export function resolveInfluxOptions(options: InfluxOptions): ResolvedInfluxOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw invalid("url", "(unparsable)", "an http:// or https:// URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("url", url.protocol, "an http:// or https:// URL");
  }
  if (typeof options.database !== "string" || options.database === "") {
    throw invalid("database", options.database, "a non-empty database name");
  }
  const retention = options.retention ?? DEFAULT_INFLUX_OPTIONS.retention;
  if (!DURATION.test(retention)) {
    throw invalid("retention", retention, "an InfluxQL duration such as 30d, 26w or INF");
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_INFLUX_OPTIONS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalid("timeoutMs", timeoutMs, "a positive number of milliseconds");
  }
  if ((options.org === undefined) !== (options.bucket === undefined)) {
    throw invalid(
      "org/bucket",
      `${options.org ?? "(unset)"}/${options.bucket ?? "(unset)"}`,
      "both set (v2 API) or neither (v1 API)",
    );
  }

  // fetch refuses URLs with credentials, and a URL ends up in logs: move them to the header.
  const username =
    options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password =
    options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  url.username = "";
  url.password = "";
  const baseUrl = url.toString().replace(/\/+$/, "");

  const token = options.token;
  const authorization = token
    ? `Token ${token}`
    : username !== undefined
      ? `Basic ${Buffer.from(`${username}:${password ?? ""}`).toString("base64")}`
      : undefined;

  const { password: _password, token: _token, ...rest } = options;
  const publicOptions: InfluxOptions = {
    ...rest,
    url: baseUrl,
    retention,
    timeoutMs,
    ...(username === undefined ? {} : { username }),
  };

  return {
    public: Object.freeze(publicOptions),
    baseUrl,
    retention,
    timeoutMs,
    authorization,
    token,
    v2:
      options.org !== undefined && options.bucket !== undefined
        ? { org: options.org, bucket: options.bucket }
        : undefined,
  };
}
