import { describe, expect, it } from "vitest";
import { freePort } from "../services/index.ts";
import { testServices, uniqueDatabase } from "../test/index.ts";
import {
  createInfluxClient,
  InfluxError,
  type InfluxOptions,
  quoteIdent,
  rows,
  writeIsolating,
  writeWithRetry,
} from "./index.ts";

// Against the run's private InfluxDB 1.x (Debian's 1.6.7 here), one database per test.
function client(extra: Partial<InfluxOptions> = {}) {
  return createInfluxClient({
    url: testServices().influxUrl,
    database: uniqueDatabase("influx"),
    ...extra,
  });
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

// Points stay inside any retention policy a test creates.
const base = Date.now() - 60_000;

describe("InfluxDB client against InfluxDB 1.x", () => {
  it("answers a ping", async () => {
    expect(await client().ping()).toBe(true);
  });

  it("ensureDatabase is idempotent and makes the configured policy the default", async () => {
    const influx = client({ retentionPolicy: "hot", retention: "30d" });
    await influx.ensureDatabase();
    await influx.ensureDatabase();
    const db = quoteIdent(influx.options.database);
    expect(rows(await influx.query("SHOW DATABASES"))).toContainEqual({
      name: influx.options.database,
    });
    const policies = rows(await influx.query(`SHOW RETENTION POLICIES ON ${db}`));
    expect(policies.find((p) => p.name === "hot")).toMatchObject({
      duration: "720h0m0s",
      default: true,
    });
    expect(policies.find((p) => p.name === "autogen")).toMatchObject({ default: false });
    expect(policies).toHaveLength(2);
  });

  it("ensureDatabase makes an existing policy the default and leaves its duration", async () => {
    const influx = client({ retentionPolicy: "hot", retention: "30d" });
    const db = quoteIdent(influx.options.database);
    await influx.query(`CREATE DATABASE ${db}`);
    await influx.query(`CREATE RETENTION POLICY "hot" ON ${db} DURATION 2h REPLICATION 1`);
    await influx.ensureDatabase();
    const hot = rows(await influx.query(`SHOW RETENTION POLICIES ON ${db}`)).find(
      (p) => p.name === "hot",
    );
    expect(hot).toMatchObject({ duration: "2h0m0s", default: true });
  });

  it("without a policy option, writes and reads the database's default policy", async () => {
    const influx = client();
    await influx.ensureDatabase();
    await influx.write([`m v=1 ${base}`]);
    expect(rows(await influx.query("SELECT v FROM autogen.m"))).toEqual([{ time: base, v: 1 }]);
  });

  it("round-trips points at millisecond precision into the configured policy", async () => {
    const influx = client({ retentionPolicy: "hot", retention: "1d" });
    await influx.ensureDatabase();
    await influx.write([
      `reflow,site=s1,line=l1,station=oven z1_top_c=245.1,o2_ppm=480i ${base + 123}`,
      `reflow,site=s1,line=l1,station=oven z1_top_c=245.3,o2_ppm=482i ${base + 133}`,
      `reflow,site=s1,line=l1,station=oven z1_top_c=245.2,o2_ppm=481i ${base + 134}`,
    ]);
    const result = await influx.query(
      "SELECT z1_top_c, o2_ppm FROM reflow WHERE station = $station",
      {
        station: "oven",
      },
    );
    expect(rows(result)).toEqual([
      { time: base + 123, z1_top_c: 245.1, o2_ppm: 480 },
      { time: base + 133, z1_top_c: 245.3, o2_ppm: 482 },
      { time: base + 134, z1_top_c: 245.2, o2_ppm: 481 },
    ]);
    const iso = await influx.query("SELECT z1_top_c FROM reflow LIMIT 1", undefined, {
      epoch: "rfc3339",
    });
    // RFC 3339 as InfluxDB writes it: trailing zeros of the fraction dropped (…44.78Z for 780 ms).
    const text = String(iso.series[0]?.values[0]?.[0]);
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(Date.parse(text)).toBe(base + 123);
    // The points went to "hot", not to autogen.
    expect(rows(await influx.query("SELECT count(z1_top_c) FROM autogen.reflow"))).toEqual([]);
    // A Date binds as a time; the window is inclusive at both ends.
    const window = await influx.query(
      "SELECT z1_top_c FROM reflow WHERE time >= $from AND time <= $to",
      {
        from: new Date(base + 130),
        to: new Date(base + 133),
      },
    );
    expect(rows(window)).toEqual([{ time: base + 133, z1_top_c: 245.3 }]);
  });

  it("isolates one bad line in a batch: the others written, the bad one reported with InfluxDB's text", async () => {
    const influx = client();
    await influx.ensureDatabase();
    const lines = Array.from(
      { length: 20 },
      (_, i) => `spi,station=spi1,serial=SN${i} volume_pct=${100 + i} ${base + i}`,
    );
    lines[13] = "spi,station=spi1 volume_pct=oops";
    const first = await failure(influx.write(lines));
    expect(first.reason).toBe("bad_request");
    expect(first.serverMessage).toMatch(
      /^partial write: unable to parse 'spi,station=spi1 volume_pct=oops'/,
    );

    const result = await writeIsolating(influx, lines);
    expect(result.written).toBe(19);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]?.line).toBe("spi,station=spi1 volume_pct=oops");
    expect(result.rejected[0]?.error).toMatch(/unable to parse 'spi,station=spi1 volume_pct=oops'/);
    const count = rows(await influx.query("SELECT count(volume_pct) FROM spi"));
    expect(count[0]?.count).toBe(19);
  });

  it("isolates a field type conflict, which InfluxDB 1.6 answers for the whole batch", async () => {
    const influx = client();
    await influx.ensureDatabase();
    await influx.write([`test,kind=ict result=1 ${base}`]);
    const lines = [
      `test,kind=ict result=2 ${base + 1}`,
      `test,kind=ict result="pass" ${base + 2}`,
      `test,kind=ict result=3 ${base + 3}`,
    ];
    const result = await writeIsolating(influx, lines);
    expect(result.written).toBe(2);
    expect(result.rejected).toEqual([
      { line: lines[1], error: expect.stringMatching(/field type conflict/) },
    ]);
    const values = rows(await influx.query("SELECT result FROM test")).map((r) => r.result);
    expect(values).toEqual([1, 2, 3]);
  });

  it("binds parameters as values: quotes, backslashes and newlines are inert", async () => {
    const influx = client();
    await influx.ensureDatabase();
    const note = `it's "quoted" \\ back'slash\\" end`;
    const escaped = note.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    await influx.write([
      `event,station=oven,code=A note="${escaped}" ${base}`,
      `event,station=oven,code=B note="other" ${base + 1}`,
    ]);
    const exact = await influx.query("SELECT note FROM event WHERE note = $note", { note });
    expect(rows(exact)).toEqual([{ time: base, note }]);

    const attacks = [
      "A' OR code =~ /.*/ OR code = 'B",
      "A\\' OR 1=1 --",
      'A" OR "code" = "B',
      "A'\nSELECT * FROM event; DROP DATABASE x",
      "A'; DROP MEASUREMENT event; SELECT '",
    ];
    for (const code of attacks) {
      expect(
        rows(await influx.query("SELECT note FROM event WHERE code = $code", { code })),
      ).toEqual([]);
    }
    expect(rows(await influx.query("SELECT count(note) FROM event"))[0]?.count).toBe(2);
  });

  it("quotes identifiers that need escaping", async () => {
    const influx = client();
    await influx.ensureDatabase();
    // Line protocol needs no escape for " or \ in a measurement name; a space is escaped.
    await influx.write([`my"odd\\name\\ x v=1 ${base}`]);
    const shown = rows(await influx.query("SHOW MEASUREMENTS"));
    expect(shown).toEqual([{ name: 'my"odd\\name x' }]);
    const result = await influx.query(
      `SELECT ${quoteIdent("v")} FROM ${quoteIdent('my"odd\\name x')}`,
    );
    expect(rows(result)).toEqual([{ time: base, v: 1 }]);
  });

  it("streams a chunked answer", async () => {
    const influx = client();
    await influx.ensureDatabase();
    await influx.write(
      Array.from({ length: 25 }, (_, i) => `env,sensor=h${i % 2} rh=${i} ${base + i}`),
    );
    const chunks = [];
    for await (const chunk of influx.queryChunks(
      "SELECT rh FROM env GROUP BY sensor",
      {},
      { chunkSize: 5 },
    )) {
      chunks.push(chunk);
    }
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(chunks.at(-1)?.partial).toBe(false);
    const all = chunks.flatMap((c) => c.series.flatMap((s) => rows(s)));
    expect(all).toHaveLength(25);
    expect(new Set(all.map((r) => r.sensor))).toEqual(new Set(["h0", "h1"]));
  });

  it("reports a missing database as not_found, on write and on query", async () => {
    const influx = client();
    const write = await failure(influx.write([`m v=1 ${base}`]));
    expect(write).toMatchObject({ reason: "not_found", status: 404 });
    expect(write.serverMessage).toMatch(/database not found/);
    expect(write.canRetry()).toBe(false);
    const query = await failure(influx.query("SELECT * FROM m"));
    expect(query.reason).toBe("not_found");
  });

  it("reports a missing retention policy as not_found, not as a retryable 500", async () => {
    const influx = client({ retentionPolicy: "nope" });
    await influx.query(`CREATE DATABASE ${quoteIdent(influx.options.database)}`);
    const error = await failure(influx.write([`m v=1 ${base}`]));
    expect(error).toMatchObject({ reason: "not_found", status: 500 });
    expect(error.canRetry()).toBe(false);
  });

  it("reports a query InfluxDB cannot parse as a query error", async () => {
    const influx = client();
    await influx.ensureDatabase();
    await expect(influx.query("SELEC v FROM m")).rejects.toMatchObject({
      reason: "query",
      status: 400,
    });
    await expect(influx.query("SELECT v FROM m WHERE a = $missing")).rejects.toMatchObject({
      reason: "query",
    });
  });

  it("reports a closed port as a retryable network error, and writeWithRetry gives up as told", async () => {
    const port = await freePort();
    const influx = createInfluxClient({ url: `http://127.0.0.1:${port}`, database: "x" });
    const error = await failure(influx.write([`m v=1 ${base}`]));
    expect(error.reason).toBe("network");
    expect(error.canRetry()).toBe(true);
    expect(await influx.ping()).toBe(false);
    let retries = 0;
    const retried = await failure(
      writeWithRetry(influx, [`m v=1 ${base}`], {
        baseDelayMs: 1,
        maxAttempts: 3,
        onRetry: () => {
          retries++;
        },
      }),
    );
    expect(retried.reason).toBe("network");
    expect(retries).toBe(2);
  });
});
