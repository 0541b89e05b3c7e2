import { afterEach, describe, expect, it } from "vitest";
import { createInfluxClient } from "./client.ts";
import { InfluxError } from "./errors.ts";
import { writeIsolating } from "./isolate.ts";
import { answerJson, type RecordingServer, recordingServer } from "./recording-server.ts";

/**
 * Behaves like InfluxDB 1.x on a parse error: stores the good lines of a batch and answers
 * 400 "partial write: unable to parse '<line>': ..." for the lines that hold the marker.
 */
async function partialWriteServer(
  marker = "BAD",
  extra?: (body: string) => { status: number; body: unknown } | undefined,
) {
  const stored = new Set<string>();
  const server = await recordingServer((request, response) => {
    const special = extra?.(request.body);
    if (special) return answerJson(response, special.status, special.body);
    const lines = request.body.split("\n");
    const bad = lines.filter((line) => line.includes(marker));
    for (const line of lines) if (!line.includes(marker)) stored.add(line);
    if (bad.length === 0) return answerJson(response, 204);
    const parse = bad.map((line) => `unable to parse '${line}': invalid field format`).join("\n");
    answerJson(response, 400, { error: `partial write: ${parse} dropped=0` });
  });
  return { server, stored };
}

const batch = (n: number, bad: number[]) =>
  Array.from({ length: n }, (_, i) => (bad.includes(i) ? `m BAD=${i}` : `m,i=${i} v=${i} ${i}`));

describe("writeIsolating", () => {
  let server: RecordingServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("writes a clean batch in one request", async () => {
    const fake = await partialWriteServer();
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    const result = await writeIsolating(client, batch(50, []));
    expect(result).toEqual({ written: 50, rejected: [] });
    expect(server.requests).toHaveLength(1);
  });

  it("isolates the bad lines, reports InfluxDB's text for each, and writes every other line", async () => {
    const fake = await partialWriteServer();
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    const lines = batch(64, [5, 40, 41]);
    const result = await writeIsolating(client, lines);

    expect(result.written).toBe(61);
    expect(result.rejected).toEqual([
      {
        line: "m BAD=5",
        error: "partial write: unable to parse 'm BAD=5': invalid field format dropped=0",
      },
      {
        line: "m BAD=40",
        error: "partial write: unable to parse 'm BAD=40': invalid field format dropped=0",
      },
      {
        line: "m BAD=41",
        error: "partial write: unable to parse 'm BAD=41': invalid field format dropped=0",
      },
    ]);
    expect([...fake.stored].sort()).toEqual(lines.filter((l) => !l.includes("BAD")).sort());
    // 2·k·log2(n) = 36 is the bound; far fewer than one request per line.
    expect(server.requests.length).toBeLessThanOrEqual(36);
  });

  it("rejects every line of a batch where every line is bad", async () => {
    const fake = await partialWriteServer();
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    const result = await writeIsolating(client, batch(5, [0, 1, 2, 3, 4]));
    expect(result.written).toBe(0);
    expect(result.rejected.map((r) => r.line)).toEqual(batch(5, [0, 1, 2, 3, 4]));
  });

  it("splits a batch answered 413 until its parts fit", async () => {
    const fake = await partialWriteServer("BAD", (body) =>
      body.length > 60 ? { status: 413, body: { error: "Request Entity Too Large" } } : undefined,
    );
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    const lines = batch(20, []);
    const result = await writeIsolating(client, lines);
    expect(result).toEqual({ written: 20, rejected: [] });
    expect(fake.stored.size).toBe(20);
    expect(server.requests.filter((r) => r.body.length <= 60).length).toBeGreaterThan(1);
  });

  it("lets a retryable error through, for the caller to spool the batch", async () => {
    let requests = 0;
    const fake = await partialWriteServer("BAD", () =>
      ++requests === 3 ? { status: 503, body: { error: "engine busy" } } : undefined,
    );
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    const error = await writeIsolating(client, batch(8, [7])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfluxError);
    expect((error as InfluxError).reason).toBe("server");
    expect((error as InfluxError).canRetry()).toBe(true);
  });

  it("lets a missing database through: no line is to blame", async () => {
    const fake = await partialWriteServer("BAD", () => ({
      status: 404,
      body: { error: 'database not found: "db"' },
    }));
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    await expect(writeIsolating(client, batch(4, [1]))).rejects.toMatchObject({
      reason: "not_found",
      status: 404,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("does nothing for no lines", async () => {
    const fake = await partialWriteServer();
    server = fake.server;
    const client = createInfluxClient({ url: server.url, database: "db" });
    expect(await writeIsolating(client, [])).toEqual({ written: 0, rejected: [] });
    expect(server.requests).toHaveLength(0);
  });
});
