import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createInfluxClient } from "./client.ts";
import { InfluxError } from "./errors.ts";
import { rows } from "./influxql.ts";
import { DEFAULT_INFLUX_OPTIONS } from "./options.ts";
import { answerJson, type RecordingServer, recordingServer } from "./recording-server.ts";

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(...args: Parameters<typeof recordingServer>): Promise<RecordingServer> {
  server = await recordingServer(...args);
  return server;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<InfluxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof InfluxError))
    throw new Error(`expected an InfluxError, got ${String(error)}`);
  return error;
}

describe("options", () => {
  it("applies the defaults and keeps secrets out of the public copy", () => {
    const client = createInfluxClient({
      url: "http://127.0.0.1:8086/",
      database: "tracebox",
      username: "ingest",
      password: "hunter2",
      token: "tok-123",
    });
    expect(client.options).toEqual({
      url: "http://127.0.0.1:8086",
      database: "tracebox",
      username: "ingest",
      retention: DEFAULT_INFLUX_OPTIONS.retention,
      timeoutMs: DEFAULT_INFLUX_OPTIONS.timeoutMs,
    });
    expect(JSON.stringify(client.options)).not.toMatch(/hunter2|tok-123/);
    expect(Object.isFrozen(client.options)).toBe(true);
  });

  it("takes credentials out of the URL", () => {
    const client = createInfluxClient({
      url: "http://ingest:s%40cret@db.local:8086/influx/",
      database: "d",
    });
    expect(client.options.url).toBe("http://db.local:8086/influx");
    expect(client.options.username).toBe("ingest");
    expect(JSON.stringify(client.options)).not.toContain("cret");
  });

  it.each([
    [{ url: "localhost:8086", database: "d" }, /url/],
    [{ url: "ftp://h", database: "d" }, /url=ftp:/],
    [{ url: "http://h", database: "" }, /database/],
    [
      { url: "http://h", database: "d", retention: "forever" },
      /retention=forever: expected an InfluxQL duration/,
    ],
    [{ url: "http://h", database: "d", timeoutMs: 0 }, /timeoutMs=0/],
    [{ url: "http://h", database: "d", org: "acme" }, /org\/bucket=acme\/\(unset\)/],
  ])("refuses %j, naming the field", (options, message) => {
    expect(() => createInfluxClient(options)).toThrow(message);
  });
});

describe("write (v1)", () => {
  it("POSTs the lines joined by newlines to /write at ms precision, with Basic auth", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    const client = createInfluxClient({
      url: `${s.url}/`,
      database: "line a",
      retentionPolicy: "hot",
      username: "ingest",
      password: "hunter2",
    });
    await client.write([
      "reflow,site=s1 z1=245.1 1764270000123",
      "reflow,site=s1 z1=245.3 1764270000133",
    ]);
    const [request] = s.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url.pathname).toBe("/write");
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
      db: "line a",
      rp: "hot",
      precision: "ms",
    });
    expect(request?.body).toBe(
      "reflow,site=s1 z1=245.1 1764270000123\nreflow,site=s1 z1=245.3 1764270000133",
    );
    expect(request?.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from("ingest:hunter2").toString("base64")}`,
    );
    expect(request?.url.search).not.toMatch(/hunter2|[?&][up]=/);
  });

  it("writeText sends UTF-8 line protocol as it is, and nothing for no bytes", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    const client = createInfluxClient({ url: s.url, database: "d" });
    await client.writeText(new Uint8Array());
    expect(s.requests).toHaveLength(0);
    const text = "reflow,serial=SN\\ é z1=245.1 1764270000123\nreflow z1=1 1764270000124\n";
    await client.writeText(Buffer.from(text));
    expect(s.requests[0]?.body).toBe(text);
    expect(s.requests[0]?.url.searchParams.get("precision")).toBe("ms");
  });

  it("sends a token as Authorization: Token, and moves URL credentials to Basic auth", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    await createInfluxClient({ url: s.url, database: "d", token: "tok-123" }).write(["m v=1"]);
    const withUserInUrl = s.url.replace("http://", "http://ingest:pw@");
    await createInfluxClient({ url: withUserInUrl, database: "d" }).write(["m v=1"]);
    expect(s.requests.map((r) => r.headers.authorization)).toEqual([
      "Token tok-123",
      `Basic ${Buffer.from("ingest:pw").toString("base64")}`,
    ]);
  });

  it("keeps the connection alive between writes", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    const client = createInfluxClient({ url: s.url, database: "d" });
    for (let i = 0; i < 10; i++) await client.write([`m v=${i} ${i}`]);
    // undici may alternate between two pooled sockets, but never opens one per request.
    expect(new Set(s.requests.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });

  it("omits rp when no retention policy is set, and sends nothing for no lines", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    const client = createInfluxClient({ url: s.url, database: "d" });
    await client.write([]);
    expect(s.requests).toHaveLength(0);
    await client.write(["m v=1"]);
    expect(s.requests[0]?.url.searchParams.has("rp")).toBe(false);
    expect(s.requests[0]?.headers.authorization).toBeUndefined();
  });

  it.each([
    [400, { error: "unable to parse 'x': missing fields" }, {}, "bad_request", false, undefined],
    [401, { error: "authorization failed" }, {}, "unauthorized", false, undefined],
    [404, { error: 'database not found: "d"' }, {}, "not_found", false, undefined],
    [413, { error: "Request Entity Too Large" }, {}, "too_large", false, undefined],
    [
      429,
      { code: "too many requests", message: "rate limited" },
      { "retry-after": "7" },
      "server",
      true,
      7000,
    ],
    [500, { error: "retention policy not found: hot" }, {}, "not_found", false, undefined],
    [500, { error: "timeout" }, {}, "server", true, undefined],
    [503, { error: "engine busy" }, { "retry-after": "1" }, "server", true, 1000],
  ] as const)("maps %i %j to a reason", async (status, body, headers, reason, retry, after) => {
    const s = await serve((_, res) => answerJson(res, status, body, headers));
    const client = createInfluxClient({
      url: s.url,
      database: "d",
      password: "hunter2",
      username: "u",
    });
    const error = await failure(client.write(["m v=1"]));
    expect(error.reason).toBe(reason);
    expect(error.status).toBe(status);
    expect(error.canRetry()).toBe(retry);
    expect(error.retryAfter()).toBe(after);
    expect(error.serverMessage).toBe("error" in body ? body.error : body.message);
    expect(error.message).toContain(`InfluxDB write to "d" failed: ${status}`);
    expect(error.message).not.toContain("hunter2");
  });

  it("times out a server that does not answer", async () => {
    const s = await serve(() => {
      // never answers
    });
    const client = createInfluxClient({ url: s.url, database: "d", timeoutMs: 200 });
    const started = Date.now();
    const error = await failure(client.write(["m v=1"]));
    expect(error.reason).toBe("timeout");
    expect(error.canRetry()).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports a closed port as a retryable network error", async () => {
    const port = await closedPort();
    const client = createInfluxClient({ url: `http://127.0.0.1:${port}`, database: "d" });
    const error = await failure(client.write(["m v=1"]));
    expect(error.reason).toBe("network");
    expect(error.canRetry()).toBe(true);
    expect(error.message).toContain("ECONNREFUSED");
  });
});

describe("query", () => {
  it("POSTs q, db, rp, epoch=ms and the params as JSON in a form body", async () => {
    const s = await serve((_, res) =>
      answerJson(res, 200, {
        results: [
          {
            statement_id: 0,
            series: [
              {
                name: "spi",
                tags: { station: "spi1" },
                columns: ["time", "v"],
                values: [[5, 1.5]],
              },
            ],
          },
        ],
      }),
    );
    const client = createInfluxClient({
      url: s.url,
      database: "d",
      retentionPolicy: "hot",
      token: "t",
    });
    const result = await client.query(
      "SELECT v FROM spi WHERE serial = $serial AND time >= $from",
      {
        serial: "SN'1",
        from: new Date(1764270000123),
      },
    );
    expect(rows(result)).toEqual([{ station: "spi1", time: 5, v: 1.5 }]);
    const [request] = s.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url.pathname).toBe("/query");
    expect(request?.url.search).toBe("");
    expect(request?.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request?.headers.authorization).toBe("Token t");
    const form = new URLSearchParams(request?.body);
    expect(form.get("q")).toBe("SELECT v FROM spi WHERE serial = $serial AND time >= $from");
    expect(form.get("db")).toBe("d");
    expect(form.get("rp")).toBe("hot");
    expect(form.get("epoch")).toBe("ms");
    expect(JSON.parse(form.get("params") ?? "")).toEqual({
      serial: "SN'1",
      from: "2025-11-27T19:00:00.123Z",
    });
  });

  it("takes another database, RFC 3339 times, and sends no params field without params", async () => {
    const s = await serve((_, res) => answerJson(res, 200, { results: [{ statement_id: 0 }] }));
    const client = createInfluxClient({ url: s.url, database: "d" });
    const result = await client.query("SHOW MEASUREMENTS", undefined, {
      database: "other",
      epoch: "rfc3339",
    });
    expect(result).toEqual({ series: [], statements: [[]] });
    const form = new URLSearchParams(s.requests[0]?.body);
    expect(form.get("db")).toBe("other");
    expect(form.has("epoch")).toBe(false);
    expect(form.has("params")).toBe(false);
    expect(form.has("rp")).toBe(false);
  });

  it("rejects with reason query for a statement error and for a query InfluxDB cannot parse", async () => {
    const s = await serve((req, res) =>
      new URLSearchParams(req.body).get("q") === "SELEC"
        ? answerJson(res, 400, { error: "error parsing query: found SELEC" })
        : answerJson(res, 200, { results: [{ statement_id: 0, error: "unsupported call: foo" }] }),
    );
    const client = createInfluxClient({ url: s.url, database: "d" });
    const statement = await failure(client.query("SELECT foo(v) FROM m"));
    expect(statement).toMatchObject({ reason: "query", serverMessage: "unsupported call: foo" });
    const parse = await failure(client.query("SELEC"));
    expect(parse).toMatchObject({ reason: "query", status: 400 });
    expect(parse.canRetry()).toBe(false);
  });

  it("tells a missing database apart", async () => {
    const s = await serve((_, res) =>
      answerJson(res, 200, { results: [{ statement_id: 0, error: "database not found: d" }] }),
    );
    const error = await failure(
      createInfluxClient({ url: s.url, database: "d" }).query("SELECT * FROM m"),
    );
    expect(error.reason).toBe("not_found");
  });

  it("treats an answer that is not JSON as a server fault", async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>proxy</html>");
    });
    const error = await failure(
      createInfluxClient({ url: s.url, database: "d" }).query("SHOW DATABASES"),
    );
    expect(error.reason).toBe("server");
  });
});

describe("queryChunks", () => {
  const chunk = (values: number[][], partial: boolean) =>
    `${JSON.stringify({
      results: [
        {
          statement_id: 0,
          series: [{ name: "m", columns: ["time", "v"], values }],
          ...(partial ? { partial } : {}),
        },
      ],
    })}\n`;

  it("yields chunks as the server streams them, split across TCP writes", async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const body =
        chunk(
          [
            [1, 1],
            [2, 2],
          ],
          true,
        ) + chunk([[3, 3]], false);
      res.write(body.slice(0, 30));
      setTimeout(() => res.end(body.slice(30)), 20);
    });
    const client = createInfluxClient({ url: s.url, database: "d" });
    const chunks = [];
    for await (const c of client.queryChunks("SELECT v FROM m", { x: 1 }, { chunkSize: 2 }))
      chunks.push(c);
    expect(chunks.map((c) => [c.partial, c.series[0]?.values])).toEqual([
      [
        true,
        [
          [1, 1],
          [2, 2],
        ],
      ],
      [false, [[3, 3]]],
    ]);
    const form = new URLSearchParams(s.requests[0]?.body);
    expect(form.get("chunked")).toBe("true");
    expect(form.get("chunk_size")).toBe("2");
    expect(form.get("params")).toBe('{"x":1}');
  });

  it("throws an error that arrives in the stream", async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `${chunk([[1, 1]], true)}${JSON.stringify({ results: [{ statement_id: 0, error: "boom" }] })}\n`,
      );
    });
    const client = createInfluxClient({ url: s.url, database: "d" });
    const seen: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const c of client.queryChunks("SELECT v FROM m")) seen.push(c);
      })(),
    );
    expect(seen).toHaveLength(1);
    expect(error).toMatchObject({ reason: "query", serverMessage: "boom" });
  });

  it("times out a stream that stalls", async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(chunk([[1, 1]], true));
    });
    const client = createInfluxClient({ url: s.url, database: "d", timeoutMs: 150 });
    const error = await failure(
      (async () => {
        for await (const _ of client.queryChunks("SELECT v FROM m")) {
          // drain
        }
      })(),
    );
    expect(error.reason).toBe("timeout");
  });
});

describe("queryCsv", () => {
  const drain = async (pieces: AsyncIterable<Uint8Array>) => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const bytes of pieces) text += decoder.decode(bytes, { stream: true });
    return text;
  };

  it("streams the CSV answer's bytes, asking for CSV, chunked and uncompressed", async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("name,ta");
      setTimeout(() => res.end('gs,time,v\nm,"a=1,b=2",1,2\n'), 20);
    });
    const client = createInfluxClient({ url: s.url, database: "d" });
    const text = await drain(client.queryCsv("SELECT v FROM m", { x: 1 }, { chunkSize: 5 }));
    expect(text).toBe('name,tags,time,v\nm,"a=1,b=2",1,2\n');
    const [request] = s.requests;
    expect(request?.headers.accept).toBe("application/csv");
    expect(request?.headers["accept-encoding"]).toBe("identity");
    const form = new URLSearchParams(request?.body);
    expect(form.get("chunked")).toBe("true");
    expect(form.get("chunk_size")).toBe("5");
  });

  it("rejects an error InfluxDB writes in place of the header, and yields nothing for an empty answer", async () => {
    let body = "error\nmax-select-point limit exceeded\n";
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(body);
    });
    const client = createInfluxClient({ url: s.url, database: "d" });
    const error = await failure(drain(client.queryCsv("SELECT v FROM m")));
    expect(error).toMatchObject({
      reason: "query",
      serverMessage: "max-select-point limit exceeded",
    });
    body = "";
    expect(await drain(client.queryCsv("SELECT v FROM m"))).toBe("");
  });

  it("times out an answer that stalls", async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("name,tags,time,v\n");
    });
    const client = createInfluxClient({ url: s.url, database: "d", timeoutMs: 150 });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const bytes of client.queryCsv("SELECT v FROM m"))
          seen.push(new TextDecoder().decode(bytes));
      })(),
    );
    expect(seen).toEqual(["name,tags,time,v\n"]);
    expect(error.reason).toBe("timeout");
  });

  it("reports a status error with the server's message, and a refused connection", async () => {
    const s = await serve((_, res) => answerJson(res, 400, { error: "error parsing query" }));
    const client = createInfluxClient({ url: s.url, database: "d" });
    expect(await failure(drain(client.queryCsv("SELEC v")))).toMatchObject({
      reason: "query",
      status: 400,
      serverMessage: "error parsing query",
    });
    const down = createInfluxClient({
      url: `http://127.0.0.1:${await closedPort()}`,
      database: "d",
    });
    expect((await failure(drain(down.queryCsv("SELECT v FROM m")))).reason).toBe("network");
  });

  it("keeps the connection after a whole answer and stops one the reader leaves early", async () => {
    let closed = 0;
    const s = await serve((request, res) => {
      res.on("close", () => closed++);
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("name,tags,time,v\n");
      if (new URLSearchParams(request.body).get("q") === "SELECT v FROM m") res.end("m,,1,1\n");
    });
    const client = createInfluxClient({ url: s.url, database: "d" });
    expect(await drain(client.queryCsv("SELECT v FROM m"))).toBe("name,tags,time,v\nm,,1,1\n");
    expect(await drain(client.queryCsv("SELECT v FROM m"))).toBe("name,tags,time,v\nm,,1,1\n");
    const [first, second] = s.requests;
    expect(second?.remotePort).toBe(first?.remotePort);
    for await (const _ of client.queryCsv("SELECT v FROM endless")) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(3);
  });
});

describe("ping", () => {
  it("is true for 204 and false otherwise or when nothing answers", async () => {
    let status = 204;
    const s = await serve((_, res) => answerJson(res, status));
    const client = createInfluxClient({ url: s.url, database: "d" });
    expect(await client.ping()).toBe(true);
    status = 503;
    expect(await client.ping()).toBe(false);
    const port = await closedPort();
    expect(
      await createInfluxClient({ url: `http://127.0.0.1:${port}`, database: "d" }).ping(),
    ).toBe(false);
  });
});

describe("ensureDatabase (v1)", () => {
  function ddlServer(policies: [string, boolean][]) {
    return serve((req, res) => {
      const q = new URLSearchParams(req.body).get("q") ?? "";
      if (q.startsWith("SHOW RETENTION POLICIES")) {
        return answerJson(res, 200, {
          results: [
            {
              statement_id: 0,
              series: [
                {
                  columns: ["name", "duration", "shardGroupDuration", "replicaN", "default"],
                  values: policies.map(([name, isDefault]) => [
                    name,
                    "0s",
                    "168h0m0s",
                    1,
                    isDefault,
                  ]),
                },
              ],
            },
          ],
        });
      }
      answerJson(res, 200, { results: [{ statement_id: 0 }] });
    });
  }
  const statements = (s: RecordingServer) =>
    s.requests.map((r) => new URLSearchParams(r.body).get("q"));

  it("creates the database only, without a retention policy option", async () => {
    const s = await ddlServer([["autogen", true]]);
    await createInfluxClient({ url: s.url, database: 'line"a' }).ensureDatabase();
    expect(statements(s)).toEqual(['CREATE DATABASE "line\\"a"']);
  });

  it("creates a missing policy as the default, with the configured duration", async () => {
    const s = await ddlServer([["autogen", true]]);
    await createInfluxClient({
      url: s.url,
      database: "d",
      retentionPolicy: "hot",
      retention: "30d",
    }).ensureDatabase();
    expect(statements(s)).toEqual([
      'CREATE DATABASE "d"',
      'SHOW RETENTION POLICIES ON "d"',
      'CREATE RETENTION POLICY "hot" ON "d" DURATION 30d REPLICATION 1 DEFAULT',
    ]);
  });

  it("makes an existing policy the default without touching its duration", async () => {
    const s = await ddlServer([
      ["autogen", true],
      ["hot", false],
    ]);
    await createInfluxClient({
      url: s.url,
      database: "d",
      retentionPolicy: "hot",
      retention: "30d",
    }).ensureDatabase();
    expect(statements(s).at(-1)).toBe('ALTER RETENTION POLICY "hot" ON "d" DEFAULT');
  });

  it("does nothing more when the policy exists and is the default", async () => {
    const s = await ddlServer([
      ["autogen", false],
      ["hot", true],
    ]);
    await createInfluxClient({
      url: s.url,
      database: "d",
      retentionPolicy: "hot",
    }).ensureDatabase();
    expect(statements(s)).toHaveLength(2);
  });
});

// A 2.x server is not available here (Debian's InfluxDB 1.6.7 has no /api/v2/write, which 1.x
// serves only from 1.8): the v2 path is checked against a real HTTP server that records.
describe("v2 writes (org + bucket)", () => {
  const v2 = (url: string, extra: object = {}) =>
    createInfluxClient({
      url,
      database: "d",
      token: "tok-123",
      org: "acme",
      bucket: "line a",
      ...extra,
    });

  it("POSTs to /api/v2/write with org, bucket, ms precision and the token, once", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    await v2(s.url).write(["m,site=s1 v=1 1764270000123", "m,site=s1 v=2 1764270000124"]);
    expect(s.requests).toHaveLength(1);
    const [request] = s.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url.pathname).toBe("/api/v2/write");
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
      org: "acme",
      bucket: "line a",
      precision: "ms",
    });
    expect(request?.headers.authorization).toBe("Token tok-123");
    expect(request?.body).toBe("m,site=s1 v=1 1764270000123\nm,site=s1 v=2 1764270000124");
  });

  it("writeText goes the same way, its lines split at the newlines", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    await v2(s.url).writeText(
      Buffer.from("m,site=s1 v=1 1764270000123\nm,site=s1 v=2 1764270000124\n"),
    );
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.url.pathname).toBe("/api/v2/write");
    expect(s.requests[0]?.body).toBe("m,site=s1 v=1 1764270000123\nm,site=s1 v=2 1764270000124");
  });

  it("sends every line of a large batch in that one request, gzipped", async () => {
    const s = await serve((_, res) => answerJson(res, 204));
    const lines = Array.from({ length: 12_000 }, (_, i) => `m v=${i} ${i}`);
    await v2(s.url).write(lines);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.headers["content-encoding"]).toBe("gzip");
    expect(s.requests[0]?.body.split("\n")).toEqual(lines);
  });

  it.each([
    [
      400,
      { code: "invalid", message: "unable to parse 'x': missing fields" },
      {},
      "bad_request",
      false,
      undefined,
    ],
    [
      401,
      { code: "unauthorized", message: "unauthorized access" },
      {},
      "unauthorized",
      false,
      undefined,
    ],
    [
      404,
      { code: "not found", message: 'bucket "line a" not found' },
      {},
      "not_found",
      false,
      undefined,
    ],
    [413, { code: "request too large", message: "too large" }, {}, "too_large", false, undefined],
    [
      422,
      { code: "unprocessable entity", message: "points beyond retention" },
      {},
      "bad_request",
      false,
      undefined,
    ],
    [
      429,
      { code: "too many requests", message: "slow down" },
      { "retry-after": "4" },
      "server",
      true,
      4000,
    ],
    [503, { code: "unavailable", message: "busy" }, {}, "server", true, undefined],
  ] as const)(
    "maps %i to a reason, without retrying itself",
    async (status, body, headers, reason, retry, after) => {
      const s = await serve((_, res) => answerJson(res, status, body, headers));
      const error = await failure(v2(s.url).write(["m v=1"]));
      expect(error).toMatchObject({ reason, status, serverMessage: body.message });
      expect(error.canRetry()).toBe(retry);
      expect(error.retryAfter()).toBe(after);
      expect(error.message).not.toContain("tok-123");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(s.requests).toHaveLength(1);
    },
  );

  it("times out and reports a closed port as retryable network error", async () => {
    const s = await serve(() => {
      // never answers
    });
    const timedOut = await failure(v2(s.url, { timeoutMs: 200 }).write(["m v=1"]));
    expect(timedOut.reason).toBe("timeout");
    expect(timedOut.canRetry()).toBe(true);
    const port = await closedPort();
    const refused = await failure(v2(`http://127.0.0.1:${port}`).write(["m v=1"]));
    expect(refused.reason).toBe("network");
    expect(refused.canRetry()).toBe(true);
  });

  it("checks that the bucket exists instead of creating a database", async () => {
    let buckets: unknown[] = [{ name: "line a" }];
    const s = await serve((_, res) => answerJson(res, 200, { buckets }));
    const client = v2(s.url);
    await client.ensureDatabase();
    expect(s.requests[0]?.method).toBe("GET");
    expect(s.requests[0]?.url.pathname).toBe("/api/v2/buckets");
    expect(Object.fromEntries(s.requests[0]?.url.searchParams ?? [])).toEqual({
      org: "acme",
      name: "line a",
    });
    expect(s.requests[0]?.headers.authorization).toBe("Token tok-123");
    buckets = [];
    await expect(client.ensureDatabase()).rejects.toMatchObject({ reason: "not_found" });
  });

  it("still queries through the v1 /query endpoint with the token", async () => {
    const s = await serve((_, res) => answerJson(res, 200, { results: [{ statement_id: 0 }] }));
    await v2(s.url).query("SELECT * FROM m");
    expect(s.requests[0]?.url.pathname).toBe("/query");
    expect(s.requests[0]?.headers.authorization).toBe("Token tok-123");
  });
});
