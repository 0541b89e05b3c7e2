/** Why a request to InfluxDB failed; `canRetry()` follows from it. */
export type InfluxErrorReason =
  | "network"
  | "timeout"
  | "server"
  | "bad_request"
  | "unauthorized"
  | "not_found"
  | "too_large"
  | "query";

const RETRYABLE: ReadonlySet<InfluxErrorReason> = new Set(["network", "timeout", "server"]);

/** Messages stay one readable line; the full server text is kept in `serverMessage`. */
const MAX_MESSAGE_CHARS = 500;

/** A failed InfluxDB request, with its retry decision. Messages never carry credentials. */
export class InfluxError extends Error {
  override readonly name = "InfluxError";
  readonly reason: InfluxErrorReason;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** InfluxDB's own error text (its `error` / `message` field), when it gave one. */
  readonly serverMessage?: string;
  readonly #retryAfterMs?: number;

  constructor(
    reason: InfluxErrorReason,
    message: string,
    details: {
      status?: number;
      serverMessage?: string;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(
      message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.reason = reason;
    if (details.status !== undefined) this.status = details.status;
    if (details.serverMessage !== undefined) this.serverMessage = details.serverMessage;
    if (details.retryAfterMs !== undefined) this.#retryAfterMs = details.retryAfterMs;
  }

  /** true for network errors, timeouts, 5xx, 429 */
  canRetry(): boolean {
    return RETRYABLE.has(this.reason);
  }

  /** ms from a Retry-After header, if any */
  retryAfter(): number | undefined {
    return this.#retryAfterMs;
  }
}

export function isInfluxError(error: unknown): error is InfluxError {
  return error instanceof InfluxError;
}

/**
 * The reason for an HTTP status. 429 counts as "server" (the server is overloaded, try later).
 * InfluxDB 1.x answers a write to a missing retention policy with a 500, which no retry can fix.
 */
export function reasonForStatus(status: number, serverMessage = ""): InfluxErrorReason {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 404) return "not_found";
  if (status === 413) return "too_large";
  if (status === 429) return "server";
  if (status >= 500) {
    return /retention policy not found/i.test(serverMessage) ? "not_found" : "server";
  }
  return "bad_request";
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); ms from `now`, or undefined. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse reads "-1" as a year: only something shaped like an HTTP date is a date.
  const at = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)
    ? Date.parse(trimmed)
    : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * InfluxDB's error text from a response body: 1.x answers `{"error": "..."}`, 2.x
 * `{"code": "...", "message": "..."}`, proxies answer with anything.
 */
export function serverMessageFrom(body: string, headerError?: string | null): string {
  const trimmed = body.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed) as { error?: unknown; message?: unknown };
      if (typeof parsed.error === "string") return parsed.error;
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      // not JSON after all: fall through to the raw text
    }
  }
  if (trimmed === "" && headerError) return headerError;
  return trimmed.length > 1000 ? `${trimmed.slice(0, 1000)}…` : trimmed;
}

/** The error for a non-2xx answer to `operation` (e.g. `write to "db"`). */
export function errorFromResponse(
  operation: string,
  status: number,
  body: string,
  headers: { get(name: string): string | null },
): InfluxError {
  const serverMessage = serverMessageFrom(body, headers.get("x-influxdb-error"));
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"));
  return new InfluxError(
    reasonForStatus(status, serverMessage),
    `InfluxDB ${operation} failed: ${status}${serverMessage ? ` ${serverMessage}` : ""}`,
    {
      status,
      ...(serverMessage ? { serverMessage } : {}),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  );
}

/**
 * The error for a request that got no answer. undici reports every transport failure as
 * `TypeError: fetch failed` with the system error (ECONNREFUSED, ...) as its cause.
 */
export function errorFromFailure(
  operation: string,
  error: unknown,
  timeoutMs: number,
): InfluxError {
  if (error instanceof InfluxError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "TimeoutError") {
    return new InfluxError("timeout", `InfluxDB ${operation} timed out after ${timeoutMs} ms`, {
      cause: error,
    });
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail =
    typeof cause?.message === "string" && cause.message !== ""
      ? cause.message
      : typeof cause?.code === "string"
        ? cause.code
        : error instanceof Error
          ? error.message
          : String(error);
  return new InfluxError("network", `InfluxDB ${operation} failed: ${detail}`, { cause: error });
}
