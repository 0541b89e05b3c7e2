import { timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { TraceError } from "./errors.ts";
import { EXPORT_FORMATS, type ExportFormat, exportRecords } from "./export.ts";
import { type ForwardScope, traceBackward, traceForward } from "./genealogy.ts";
import { productLevels } from "./levels.ts";
import { recordJson, serialRecord } from "./record.ts";
import { deviceHistoryReport, type ReportOptions } from "./report.ts";
import type { TraceSession } from "./session.ts";
import { EXPORT_TABLE_NAMES, type ExportTableName } from "./stage.ts";
import type { TraceStore } from "./store.ts";

/** How `tracebox serve` listens; one doc line per field. */
export interface ServeOptions {
  /** Address to bind; default "127.0.0.1" (loopback). Anything else needs `token`. */
  host: string;
  /** TCP port; default 9470; 0 picks a free one. */
  port: number;
  /** Bearer token every /api and /metrics request must carry; default undefined (loopback only). */
  token: string | undefined;
  /** Requests served at once (each holds a DuckDB connection); more wait their turn; default 4. */
  concurrency: number;
  /** Overrides for the device history report's windows and limits; default none. */
  report: Partial<ReportOptions>;
}

export const DEFAULT_SERVE_OPTIONS: Readonly<ServeOptions> = Object.freeze({
  host: "127.0.0.1",
  port: 9470,
  token: undefined,
  concurrency: 4,
  report: {},
});

/** A serial as the contract allows it: 1–128 characters, no whitespace, control or invisible format character, no backslash. */
const SERIAL = /^[^\s\\\p{Cc}\p{Cf}]{1,128}$/u.source;
/** A tag value with spaces allowed (product, part, supplier, lot, container). */
const TAG = /^[^\t\n\r\\\p{Cc}\p{Cf}]{1,128}$/u.source;
const TIME =
  /^(\d{1,15}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)$/.source;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  parquet: "application/vnd.apache.parquet",
  arrow: "application/vnd.apache.arrow.file",
};

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "0:0:0:0:0:0:0:1";
}

/** A parsed time: epoch ms digits, or ISO-8601 (a date alone is its UTC midnight). */
export function parseTime(text: string): number {
  const ms = /^\d+$/.test(text)
    ? Number(text)
    : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms))
    throw new TraceError(
      "bad-option",
      `time ${JSON.stringify(text)}: expected epoch ms or ISO-8601`,
    );
  return ms;
}

function statusOf(error: unknown): number {
  if (!(error instanceof TraceError)) return 500;
  switch (error.reason) {
    case "not-found":
      return 404;
    case "bad-option":
      return 400;
    case "source-unavailable":
      return 503;
    default:
      return 500;
  }
}

/** Waits for a free slot; released by the returned function. */
function semaphore(size: number): () => Promise<() => void> {
  let free = size;
  const waiting: (() => void)[] = [];
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    return () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    };
  };
}

/**
 * The traceability HTTP API: a serial's record, its export in any format, its device history
 * report, genealogy and recall scope, a product's IPC-1782 levels, `/healthz` and `/metrics`.
 * Inputs are checked by JSON schema before a handler runs; every value reaches DuckDB and InfluxQL
 * as a bound parameter. Loopback by default; bound anywhere else it refuses to start without a
 * bearer token, and then every /api and /metrics request needs it.
 */
export async function startTraceServer(
  store: TraceStore,
  options: Partial<ServeOptions> = {},
): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const o: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...options };
  if (!isLoopback(o.host) && !o.token)
    throw new TraceError(
      "bad-option",
      `host=${o.host}: binding beyond loopback needs a bearer token (TRACEBOX_API_TOKEN)`,
    );
  if (!(Number.isInteger(o.concurrency) && o.concurrency >= 1))
    throw new TraceError("bad-option", `concurrency=${o.concurrency}: expected a positive integer`);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tracebox_trace_" });
  const requests = new Histogram({
    name: "tracebox_trace_http_request_seconds",
    help: "Time to answer an API request, by route and status",
    labelNames: ["route", "status"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const exports = new Counter({
    name: "tracebox_trace_exports_total",
    help: "Exports served, by format",
    labelNames: ["format"],
    registers: [registry],
  });
  const slot = semaphore(o.concurrency);
  const token = o.token ? Buffer.from(o.token) : undefined;

  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
  });
  app.addHook("onRequest", async (request, reply) => {
    (request as { startedAt?: bigint }).startedAt = process.hrtime.bigint();
    if (!token || request.url === "/healthz") return;
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      reply.header("www-authenticate", 'Bearer realm="tracebox"');
      await reply
        .code(401)
        .send({ error: "unauthorized", message: "a valid bearer token is required" });
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    const started = (request as { startedAt?: bigint }).startedAt;
    if (started === undefined) return;
    const route = request.routeOptions.url ?? "unmatched";
    requests.observe(
      { route, status: String(reply.statusCode) },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  });
  app.setErrorHandler(async (error: unknown, _request, reply) => {
    const validation = (error as { validation?: unknown }).validation;
    if (validation)
      return reply.code(400).send({ error: "bad-request", message: (error as Error).message });
    const status = statusOf(error);
    if (status === 503) reply.header("retry-after", "30");
    const reason = error instanceof TraceError ? error.reason : "internal";
    const message =
      status === 500 && !(error instanceof TraceError)
        ? "internal error"
        : (error as Error).message;
    return reply.code(status).send({ error: reason, message });
  });
  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send({
      error: "not-found",
      message:
        "no such route: see /api/serials/:serial, /api/trace, /api/levels, /healthz, /metrics",
    }),
  );

  const withSession = async <T>(work: (session: TraceSession) => Promise<T>): Promise<T> => {
    const release = await slot();
    try {
      return await store.withSession(work);
    } finally {
      release();
    }
  };

  const serialParams = {
    type: "object",
    properties: { serial: { type: "string", pattern: SERIAL } },
    required: ["serial"],
  } as const;

  app.get("/healthz", async () => {
    const status = await store.status();
    return { status: "ok", ...status, influx: status.influx ? "configured" : "not configured" };
  });

  app.get("/metrics", async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });

  app.get<{ Params: { serial: string } }>(
    "/api/serials/:serial",
    { schema: { params: serialParams } },
    async (request) => {
      const record = await withSession((s) => serialRecord(s, request.params.serial));
      return recordJson(record);
    },
  );

  app.get<{
    Params: { serial: string };
    Querystring: { format?: ExportFormat; table?: ExportTableName };
  }>(
    "/api/serials/:serial/export",
    {
      schema: {
        params: serialParams,
        querystring: {
          type: "object",
          properties: {
            format: { type: "string", enum: [...EXPORT_FORMATS] },
            table: { type: "string", enum: [...EXPORT_TABLE_NAMES] },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? "json";
      const table = request.query.table;
      if (format !== "json" && table === undefined)
        throw new TraceError(
          "bad-option",
          `format ${format} writes one file per table: add table=${EXPORT_TABLE_NAMES.join("|")}`,
        );
      const dir = await mkdtemp(join(store.options.tempDirectory, "export-"));
      const out = join(dir, "out");
      try {
        const summary = await (async () => {
          const release = await slot();
          try {
            return await exportRecords(
              store,
              { serial: request.params.serial },
              {
                format,
                out,
                tables: table === undefined ? undefined : [table],
              },
            );
          } finally {
            release();
          }
        })();
        const file = summary.files[0];
        if (!file) throw new TraceError("not-found", "nothing to export");
        exports.inc({ format });
        reply
          .type(CONTENT_TYPES[format])
          .header("x-tracebox-sha256", file.sha256)
          .header("x-tracebox-chain-head", file.chain.head)
          .header("x-tracebox-records", String(file.records))
          .header(
            "content-disposition",
            `attachment; filename="${safeName(request.params.serial)}-${table ?? "record"}.${format}"`,
          );
        reply.raw.once("close", () => void rm(dir, { recursive: true, force: true }));
        return reply.send(createReadStream(join(out, file.path)));
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    },
  );

  app.get<{ Params: { serial: string } }>(
    "/api/serials/:serial/report",
    { schema: { params: serialParams } },
    async (request, reply) => {
      const record = await withSession((s) => serialRecord(s, request.params.serial));
      return reply.type("text/html; charset=utf-8").send(deviceHistoryReport(record, o.report));
    },
  );

  app.get<{
    Querystring: {
      lot?: string;
      part?: string;
      supplier?: string;
      spcViolation?: string;
      serial?: string;
    };
  }>(
    "/api/trace",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            lot: { type: "string", pattern: TAG },
            part: { type: "string", pattern: TAG },
            supplier: { type: "string", pattern: TAG },
            spcViolation: { type: "string", pattern: /^[^\p{Cc}]{1,512}$/u.source },
            serial: { type: "string", pattern: SERIAL },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const given = [q.lot, q.part, q.spcViolation, q.serial].filter((v) => v !== undefined).length;
      if (given !== 1 || (q.supplier !== undefined && q.part === undefined))
        throw new TraceError(
          "bad-option",
          "give exactly one of lot, part (with supplier optional), spcViolation, serial",
        );
      if (q.serial !== undefined) {
        const serial = q.serial;
        return withSession((s) => traceBackward(s, serial));
      }
      const scope: ForwardScope =
        q.lot !== undefined
          ? { lot: q.lot }
          : q.part !== undefined
            ? { part: q.part, supplier: q.supplier }
            : { spcViolation: q.spcViolation as string };
      return withSession((s) => traceForward(s, scope));
    },
  );

  app.get<{ Querystring: { product: string; from?: string; to?: string; maxUnits?: number } }>(
    "/api/levels",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            product: { type: "string", pattern: TAG },
            from: { type: "string", pattern: TIME },
            to: { type: "string", pattern: TIME },
            maxUnits: { type: "integer", minimum: 1, maximum: 20_000 },
          },
          required: ["product"],
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return withSession((s) =>
        productLevels(s, q.product, {
          from: q.from === undefined ? undefined : parseTime(q.from),
          to: q.to === undefined ? undefined : parseTime(q.to),
          maxUnits: q.maxUnits,
        }),
      );
    },
  );

  const address = await app.listen({ host: o.host, port: o.port });
  return { app, url: address, close: () => app.close() };
}

/** A file name made of the serial's safe characters only (it goes into a header). */
function safeName(serial: string): string {
  return serial.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100) || "serial";
}
