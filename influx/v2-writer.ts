import {
  HttpError,
  type HttpHeaders,
  InfluxDB,
  RequestTimedOutError,
} from "@influxdata/influxdb-client";
import {
  errorFromFailure,
  InfluxError,
  parseRetryAfter,
  reasonForStatus,
  serverMessageFrom,
} from "./errors.ts";

/** Writes line protocol through the v2 API (`/api/v2/write`), for InfluxDB 2 / Cloud buckets. */
export class V2Writer {
  readonly #url: string;
  readonly #token: string | undefined;
  readonly #org: string;
  readonly #bucket: string;
  readonly #timeoutMs: number;

  constructor(options: {
    url: string;
    token: string | undefined;
    org: string;
    bucket: string;
    timeoutMs: number;
  }) {
    this.#url = options.url;
    this.#token = options.token;
    this.#org = options.org;
    this.#bucket = options.bucket;
    this.#timeoutMs = options.timeoutMs;
  }

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const operation = `v2 write to bucket "${this.#bucket}"`;
    // The library's `timeout` is a socket idle timeout; the signal bounds the whole request.
    // A fresh InfluxDB per call is how a per-request signal reaches its transport (cheap: no sockets
    // of its own, Node's global agent keeps connections alive).
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const influx = new InfluxDB({
      url: this.#url,
      ...(this.#token === undefined ? {} : { token: this.#token }),
      timeout: this.#timeoutMs,
      transportOptions: { signal: deadline },
    });
    const writeApi = influx.getWriteApi(this.#org, this.#bucket, "ms", {
      // One POST per call, no background timer, and no retries of its own: writeWithRetry and
      // the spool decide. writeFailed taking over also keeps the library from logging.
      batchSize: lines.length + 1,
      maxBatchBytes: Number.POSITIVE_INFINITY,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      writeFailed: (error) =>
        Promise.reject(toInfluxError(error, operation, this.#timeoutMs, deadline)),
    });
    try {
      writeApi.writeRecords(lines as string[]);
      await writeApi.flush();
    } finally {
      writeApi.dispose();
    }
  }
}

function header(headers: HttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The library's HttpError.canRetry() also retries 404 (bucket just created, on Cloud): a missing
 * bucket is a configuration problem here, so statuses map the same way as on the v1 path.
 */
export function toInfluxError(
  error: unknown,
  operation: string,
  timeoutMs: number,
  deadline?: AbortSignal,
): InfluxError {
  if (error instanceof HttpError) {
    const serverMessage = serverMessageFrom(
      error.body ?? "",
      header(error.headers, "x-influxdb-error"),
    );
    const retryAfterMs = parseRetryAfter(header(error.headers, "retry-after"));
    return new InfluxError(
      reasonForStatus(error.statusCode, serverMessage),
      `InfluxDB ${operation} failed: ${error.statusCode}${serverMessage ? ` ${serverMessage}` : ""}`,
      {
        status: error.statusCode,
        ...(serverMessage ? { serverMessage } : {}),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    );
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (deadline?.aborted || error instanceof RequestTimedOutError) {
    return new InfluxError("timeout", `InfluxDB ${operation} timed out after ${timeoutMs} ms`, {
      cause: error,
    });
  }
  if (name === "AbortError") {
    return new InfluxError("network", `InfluxDB ${operation} failed: response aborted`, {
      cause: error,
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    const message = error instanceof Error ? error.message : code;
    return new InfluxError("network", `InfluxDB ${operation} failed: ${message}`, { cause: error });
  }
  return errorFromFailure(operation, error, timeoutMs);
}
