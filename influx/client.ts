import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { errorFromFailure, errorFromResponse, InfluxError } from "./errors.ts";
import {
  answerError,
  encodeParams,
  type QueryParam,
  type QueryResult,
  quoteIdent,
  type RawAnswer,
  rows,
  type Series,
  toQueryResult,
  toSeries,
} from "./influxql.ts";
import { type InfluxOptions, type ResolvedInfluxOptions, resolveInfluxOptions } from "./options.ts";
import { V2Writer } from "./v2-writer.ts";

/** How a query's answer is shaped. */
export interface QueryOptions {
  /** Time column as epoch milliseconds ("ms") or RFC 3339 strings ("rfc3339"); default "ms". */
  epoch?: "ms" | "rfc3339";
  /** Database to query; default the client's `database`. */
  database?: string;
  /** Retention policy that unqualified measurements are read from; default the client's `retentionPolicy`, else the database's default. */
  retentionPolicy?: string;
}

/** Options of a chunked query. */
export interface ChunkedQueryOptions extends QueryOptions {
  /** Rows per chunk the server sends; default 10000. */
  chunkSize?: number;
}

/** One chunk of a chunked answer: some series (or part of one) of one statement. */
export interface QueryChunk {
  /** Index of the statement (0 for a single-statement query). */
  statementId: number;
  series: Series[];
  /** true when the next chunk continues this statement (InfluxDB's `partial`). */
  partial: boolean;
}

export interface InfluxClient {
  /** One POST of line-protocol lines (already serialized, ms precision). Resolves on 2xx, rejects with InfluxError. */
  write(lines: readonly string[]): Promise<void>;
  /**
   * The same as `write`, for line protocol already in UTF-8 with every line ended by `\n`: what a
   * hot writer builds once per message, so that no string per line lives until the write.
   */
  writeText(text: Uint8Array): Promise<void>;
  /** InfluxQL with bound parameters ($name, sent as the `params` form field as InfluxDB 1.x supports). Returns the series. */
  query(
    influxql: string,
    params?: Record<string, QueryParam>,
    opts?: QueryOptions,
  ): Promise<QueryResult>;
  /** A query answered in chunks (`chunked=true`), read as they arrive: for results too large to hold at once. */
  queryChunks(
    influxql: string,
    params?: Record<string, QueryParam>,
    opts?: ChunkedQueryOptions,
  ): AsyncIterable<QueryChunk>;
  /**
   * A query answered as CSV (`Accept: application/csv`, `chunked=true`), its bytes as they arrive,
   * for a reader that parses CSV natively. InfluxDB 1.x writes the header `name,tags,time,<columns>`
   * once, then one row per point; `tags` is the series' tags as `k=v,k=v` (sorted, empty values
   * left out, `,` ` ` `=` escaped with a backslash, a backslash itself not); an empty answer has no
   * bytes. An error InfluxDB writes instead of the header rejects.
   */
  queryCsv(
    influxql: string,
    params?: Record<string, QueryParam>,
    opts?: ChunkedQueryOptions,
  ): AsyncIterable<Uint8Array>;
  /** CREATE DATABASE (and the retention policy named in the options, as default policy) if missing; idempotent. */
  ensureDatabase(): Promise<void>;
  /** true when /ping answers 204 */
  ping(): Promise<boolean>;
  /** The options, with defaults applied and secrets (password, token) removed. */
  readonly options: Readonly<InfluxOptions>;
}

export const DEFAULT_QUERY_OPTIONS = {
  epoch: "ms",
  chunkSize: 10_000,
} as const satisfies Omit<ChunkedQueryOptions, "database" | "retentionPolicy">;

/** v1 by default; v2 writes when org+bucket */
export function createInfluxClient(options: InfluxOptions): InfluxClient {
  return new HttpInfluxClient(resolveInfluxOptions(options));
}

// Node's fetch (undici) keeps connections alive in its global pool, so per-batch writes reuse
// pooled sockets instead of paying a TCP handshake each.
class HttpInfluxClient implements InfluxClient {
  readonly options: Readonly<InfluxOptions>;
  readonly #resolved: ResolvedInfluxOptions;
  readonly #v2: V2Writer | undefined;

  constructor(resolved: ResolvedInfluxOptions) {
    this.#resolved = resolved;
    this.options = resolved.public;
    this.#v2 = resolved.v2
      ? new V2Writer({
          url: resolved.baseUrl,
          token: resolved.token,
          ...resolved.v2,
          timeoutMs: resolved.timeoutMs,
        })
      : undefined;
  }

  writeText(text: Uint8Array): Promise<void> {
    return this.#v2 ? this.#v2.write(splitLines(text)) : this.#write(text);
  }

  write(lines: readonly string[]): Promise<void> {
    if (this.#v2) return this.#v2.write(lines);
    return this.#write(lines.length === 0 ? "" : lines.join("\n"));
  }

  async #write(body: string | Uint8Array): Promise<void> {
    if (body.length === 0) return;
    const search = new URLSearchParams({ db: this.options.database, precision: "ms" });
    if (this.options.retentionPolicy) search.set("rp", this.options.retentionPolicy);
    const operation = `write to "${this.options.database}"`;
    await this.#request(operation, `/write?${search}`, {
      method: "POST",
      headers: { "content-type": "text/plain; charset=utf-8" },
      body,
    });
  }

  async query(
    influxql: string,
    params?: Record<string, QueryParam>,
    opts: QueryOptions = {},
  ): Promise<QueryResult> {
    const operation = "query";
    const body = await this.#request(operation, "/query", {
      method: "POST",
      headers: { "accept-encoding": "identity" },
      body: this.#queryForm(influxql, params, opts),
    });
    const answer = parseAnswer(body, operation);
    const error = answerError(answer, operation);
    if (error) throw error;
    return toQueryResult(answer);
  }

  async *queryChunks(
    influxql: string,
    params?: Record<string, QueryParam>,
    opts: ChunkedQueryOptions = {},
  ): AsyncGenerator<QueryChunk> {
    const operation = "chunked query";
    const decoder = new TextDecoder();
    // A chunk's JSON line arrives in many pieces: look for the newline in each new piece only,
    // and join the pieces once, so reading stays linear in the answer's size.
    let pieces: string[] = [];
    for await (const bytes of this.#streamedBody(operation, influxql, params, opts, {})) {
      let text = decoder.decode(bytes, { stream: true });
      let newline = text.indexOf("\n");
      while (newline >= 0) {
        pieces.push(text.slice(0, newline));
        const line = pieces.join("").trim();
        pieces = [];
        text = text.slice(newline + 1);
        if (line) yield* chunksOf(parseAnswer(line, operation), operation);
        newline = text.indexOf("\n");
      }
      if (text) pieces.push(text);
    }
    const rest = (pieces.join("") + decoder.decode()).trim();
    if (rest) yield* chunksOf(parseAnswer(rest, operation), operation);
  }

  async *queryCsv(
    influxql: string,
    params?: Record<string, QueryParam>,
    opts: ChunkedQueryOptions = {},
  ): AsyncGenerator<Uint8Array> {
    const operation = "CSV query";
    const body = this.#streamedBody(operation, influxql, params, opts, {
      accept: "application/csv",
    });
    // InfluxDB answers an error with the line `error` and the message in place of the header.
    let head: Uint8Array = new Uint8Array(0);
    let first = true;
    for await (const bytes of body) {
      if (!first) {
        yield bytes;
        continue;
      }
      head = concatBytes(head, bytes);
      const newline = head.indexOf(10);
      if (newline < 0 && head.length < CSV_ERROR_HEADER.length + 1) continue;
      const line = new TextDecoder().decode(head.subarray(0, newline < 0 ? head.length : newline));
      if (line.trim() === CSV_ERROR_HEADER) {
        const rest: Uint8Array[] = [head];
        for await (const more of body) rest.push(more);
        const message = new TextDecoder()
          .decode(concatBytes(...rest))
          .slice(newline + 1)
          .trim();
        throw new InfluxError("query", `InfluxDB ${operation} failed: ${message}`, {
          serverMessage: message,
        });
      }
      first = false;
      yield head;
    }
    if (first && head.length > 0) {
      if (new TextDecoder().decode(head).trim() === CSV_ERROR_HEADER)
        throw new InfluxError("query", `InfluxDB ${operation} failed without a message`);
      yield head;
    }
  }

  /**
   * The body of a chunked /query answer, piece by piece; the timeout bounds each wait for data.
   * Through `node:http`, not fetch: fetch's web stream cost this process about as much CPU per byte
   * as InfluxDB spent writing them (undici parses HTTP in JS and hands each piece through a WHATWG
   * stream; node:http parses natively and yields the socket's Buffers). Keep-alive through the
   * global agent.
   */
  async *#streamedBody(
    operation: string,
    influxql: string,
    params: Record<string, QueryParam> | undefined,
    opts: ChunkedQueryOptions,
    headers: Record<string, string>,
  ): AsyncGenerator<Uint8Array> {
    const form = this.#queryForm(influxql, params, opts);
    form.set("chunked", "true");
    form.set("chunk_size", String(opts.chunkSize ?? DEFAULT_QUERY_OPTIONS.chunkSize));
    const body = form.toString();
    const url = new URL(`${this.#resolved.baseUrl}/query`);
    const controller = new AbortController();
    const timeoutMs = this.#resolved.timeoutMs;
    let timer = setTimeout(() => controller.abort(timeoutError()), timeoutMs);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(timeoutError()), timeoutMs);
    };
    // An abort surfaces as an AbortError whatever its reason: report the reason (a timeout).
    const failure = (error: unknown) =>
      errorFromFailure(
        operation,
        controller.signal.aborted ? controller.signal.reason : error,
        timeoutMs,
      );
    let response: IncomingMessage | undefined;
    try {
      response = await new Promise<IncomingMessage>((resolve, reject) => {
        const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(
          url,
          {
            method: "POST",
            headers: this.#headers({
              ...headers,
              // Compressing a large answer costs InfluxDB more CPU than the loopback transfer saves.
              "accept-encoding": "identity",
              "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
              "content-length": String(Buffer.byteLength(body)),
            }),
            signal: controller.signal,
          },
          resolve,
        );
        // `on`: an abort after the answer began is reported on the request too.
        request.on("error", reject);
        request.end(body);
      }).catch((error: unknown) => {
        throw failure(error);
      });
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        const pieces: Buffer[] = [];
        try {
          for await (const piece of response) pieces.push(piece as Buffer);
        } catch {
          // The status says enough.
        }
        // Decoded once: a character split between two pieces stays whole.
        const text = Buffer.concat(pieces).toString("utf8");
        const answer = response.headers;
        throw queryStatusError(
          errorFromResponse(operation, status, text, {
            get: (name) => {
              const value = answer[name.toLowerCase()];
              return Array.isArray(value) ? value.join(", ") : (value ?? null);
            },
          }),
        );
      }
      try {
        for await (const piece of response as AsyncIterable<Buffer>) {
          rearm();
          yield piece;
        }
      } catch (error) {
        throw failure(error);
      }
    } finally {
      clearTimeout(timer);
      // Stops the transfer when the caller leaves the loop early; a complete answer's socket goes
      // back to the agent.
      if (!response?.complete) controller.abort();
    }
  }

  async ensureDatabase(): Promise<void> {
    if (this.#resolved.v2) return this.#ensureBucket(this.#resolved.v2);
    const db = quoteIdent(this.options.database);
    await this.query(`CREATE DATABASE ${db}`);
    const policy = this.options.retentionPolicy;
    if (!policy) return;
    const shown = await this.query(`SHOW RETENTION POLICIES ON ${db}`);
    const existing = rows(shown).find((p) => p.name === policy);
    if (!existing) {
      await this.query(
        `CREATE RETENTION POLICY ${quoteIdent(policy)} ON ${db} DURATION ${this.#resolved.retention} REPLICATION 1 DEFAULT`,
      );
    } else if (existing.default !== true) {
      // The duration of an existing policy is left alone: shortening it would delete data.
      await this.query(`ALTER RETENTION POLICY ${quoteIdent(policy)} ON ${db} DEFAULT`);
    }
  }

  async ping(): Promise<boolean> {
    try {
      const response = await fetch(`${this.#resolved.baseUrl}/ping`, {
        headers: this.#headers(),
        signal: AbortSignal.timeout(this.#resolved.timeoutMs),
      });
      await response.arrayBuffer();
      return response.status === 204;
    } catch {
      return false;
    }
  }

  // Buckets are provisioned on the server (a write token cannot create them): check it is there.
  async #ensureBucket(v2: { org: string; bucket: string }): Promise<void> {
    const operation = `bucket lookup "${v2.bucket}"`;
    const search = new URLSearchParams({ org: v2.org, name: v2.bucket });
    const body = await this.#request(operation, `/api/v2/buckets?${search}`, { method: "GET" });
    let buckets: unknown;
    try {
      buckets = (JSON.parse(body) as { buckets?: unknown }).buckets;
    } catch {
      buckets = undefined;
    }
    if (!Array.isArray(buckets) || buckets.length === 0) {
      throw new InfluxError(
        "not_found",
        `InfluxDB bucket "${v2.bucket}" not found in org "${v2.org}": create it on the server`,
      );
    }
  }

  #queryForm(
    influxql: string,
    params: Record<string, QueryParam> | undefined,
    opts: QueryOptions,
  ): URLSearchParams {
    // POST with a form body: works for reads and DDL alike, and keeps the query out of URLs.
    const form = new URLSearchParams({ q: influxql, db: opts.database ?? this.options.database });
    if ((opts.epoch ?? DEFAULT_QUERY_OPTIONS.epoch) === "ms") form.set("epoch", "ms");
    const rp = opts.retentionPolicy ?? this.options.retentionPolicy;
    if (rp) form.set("rp", rp);
    if (params && Object.keys(params).length > 0) form.set("params", encodeParams(params));
    return form;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const authorization = this.#resolved.authorization;
    return authorization ? { ...extra, authorization } : extra;
  }

  /** The response body of a 2xx answer; any other answer or failure as an InfluxError. */
  async #request(operation: string, path: string, init: RequestInit): Promise<string> {
    const timeoutMs = this.#resolved.timeoutMs;
    try {
      const response = await fetch(`${this.#resolved.baseUrl}${path}`, {
        ...init,
        headers: this.#headers(init.headers as Record<string, string> | undefined),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read every body, even an empty one, so that the connection goes back to the pool.
      const text = await response.text();
      if (!response.ok) {
        const error = errorFromResponse(operation, response.status, text, response.headers);
        throw path === "/query" ? queryStatusError(error) : error;
      }
      return text;
    } catch (error) {
      throw errorFromFailure(operation, error, timeoutMs);
    }
  }
}

const CSV_ERROR_HEADER = "error";

/** The lines of newline-ended line protocol text (a line never holds a raw newline: it is escaped). */
export function splitLines(text: Uint8Array): string[] {
  const lines = Buffer.from(text.buffer, text.byteOffset, text.byteLength)
    .toString("utf8")
    .split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function timeoutError(): DOMException {
  return new DOMException("The operation timed out", "TimeoutError");
}

/** /query answers a query it cannot parse (or a missing parameter) with a 400: a query error. */
function queryStatusError(error: InfluxError): InfluxError {
  if (error.reason !== "bad_request") return error;
  return new InfluxError("query", error.message, {
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.serverMessage === undefined ? {} : { serverMessage: error.serverMessage }),
  });
}

function parseAnswer(body: string, operation: string): RawAnswer {
  try {
    return JSON.parse(body) as RawAnswer;
  } catch (error) {
    throw new InfluxError(
      "server",
      `InfluxDB ${operation} answered with something that is not JSON: ${body.slice(0, 200)}`,
      { cause: error },
    );
  }
}

function* chunksOf(answer: RawAnswer, operation: string): Generator<QueryChunk> {
  const error = answerError(answer, operation);
  if (error) throw error;
  for (const statement of answer.results ?? []) {
    yield {
      statementId: statement.statement_id ?? 0,
      series: (statement.series ?? []).map(toSeries),
      partial: statement.partial === true,
    };
  }
}
