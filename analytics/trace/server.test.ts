import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulate, warehouseWith } from "./fixtures.ts";
import { recordJson, serialRecord, TraceStore } from "./index.ts";
import { startTraceServer } from "./server.ts";

describe("the HTTP API", { timeout: 60_000 }, () => {
  let dir: string;
  let store: TraceStore;
  let server: Awaited<ReturnType<typeof startTraceServer>>;
  let serial: string;
  let lot: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-api-"));
    const run = simulate({ seed: 5, units: 6, signalRateHz: 1 });
    const path = join(dir, "warehouse.duckdb");
    await warehouseWith(path, run.points);
    store = await TraceStore.open({ warehousePath: path, tempDirectory: join(dir, "tmp") });
    server = await startTraceServer(store, { port: 0 });
    serial = run.points.find((p) => p.measurement === "unit")?.tags.serial as string;
    lot = run.points.find((p) => p.measurement === "placement" && p.tags.serial === serial)?.fields
      .lot as string;
  }, 60_000);
  afterAll(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, { headers });
    const body = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      headers: response.headers,
      body,
      json: () => JSON.parse(body.toString()),
    };
  };

  it("answers a serial's record, its export in each format, its report", async () => {
    const record = await get(`/api/serials/${serial}`);
    expect(record.status).toBe(200);
    const direct = await store.withSession((s) => serialRecord(s, serial));
    expect(record.json()).toEqual(JSON.parse(JSON.stringify(recordJson(direct))));

    const json = await get(`/api/serials/${serial}/export?format=json`);
    expect(json.status).toBe(200);
    expect(json.headers.get("x-tracebox-sha256")).toBe(
      createHash("sha256").update(json.body).digest("hex"),
    );
    for (const format of ["csv", "parquet", "arrow"]) {
      const file = await get(`/api/serials/${serial}/export?format=${format}&table=tests`);
      expect(file.status, format).toBe(200);
      expect(file.headers.get("x-tracebox-sha256")).toBe(
        createHash("sha256").update(file.body).digest("hex"),
      );
      expect(file.headers.get("content-disposition")).toBe(
        `attachment; filename="${serial}-tests.${format}"`,
      );
    }
    const missingTable = await get(`/api/serials/${serial}/export?format=csv`);
    expect(missingTable.status).toBe(400);

    const report = await get(`/api/serials/${serial}/report`);
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toContain("text/html");
    expect(report.body.toString()).toContain("<svg");
  });

  it("an unknown serial is a clear 404; a malformed one a 400; injection through serial, lot and format is inert", async () => {
    for (const path of [
      "/api/serials/NO-SUCH-SERIAL",
      `/api/serials/${encodeURIComponent("x'OR'1'='1")}`,
      `/api/serials/${encodeURIComponent("';DROP_TABLE_unit_event;--")}/report`,
      `/api/serials/${encodeURIComponent("<script>")}/export?format=csv&table=visits`,
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.json().error).toBe("not-found");
    }
    for (const path of [
      `/api/serials/${encodeURIComponent("a b")}`,
      `/api/serials/${encodeURIComponent("a\nb")}`,
      `/api/serials/${serial}/export?format=${encodeURIComponent("csv; DROP TABLE x")}&table=visits`,
      `/api/serials/${serial}/export?format=csv&table=${encodeURIComponent("../../etc/passwd")}`,
      `/api/serials/${serial}/export?format=json&extra=1`,
      `/api/trace?lot=${encodeURIComponent("a\nb")}`,
      "/api/trace",
      `/api/trace?lot=${lot}&serial=${serial}`,
      "/api/levels",
      "/api/levels?product=TBX-CTRL-C&maxUnits=0",
      "/api/levels?product=TBX-CTRL-C&from=yesterday",
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
    }
    const hostile = await get(`/api/trace?lot=${encodeURIComponent("' OR '1'='1")}`);
    expect(hostile.status).toBe(200);
    expect(hostile.json().units).toEqual([]);
    // Everything still there.
    const forward = await get(`/api/trace?lot=${encodeURIComponent(lot)}`);
    expect(forward.json().units.map((u: { serial: string }) => u.serial)).toContain(serial);
    expect((await get(`/api/serials/${serial}`)).status).toBe(200);
  });

  it("traces backward and forward, and judges a product", async () => {
    const back = await get(`/api/trace?serial=${serial}`);
    expect(back.json().lots.map((l: { lot: string }) => l.lot)).toContain(lot);
    const levels = await get("/api/levels?product=TBX-CTRL-C");
    expect(levels.status).toBe(200);
    expect(levels.json()).toMatchObject({ product: "TBX-CTRL-C", units: 6, judged: 6 });
    expect((await get("/api/levels?product=NOPE")).status).toBe(404);
  });

  it("counts requests in /metrics and answers /healthz", async () => {
    const health = await get("/healthz");
    expect(health.json()).toMatchObject({ status: "ok", warehouse: "read when free" });
    const metrics = (await get("/metrics")).body.toString();
    expect(metrics).toMatch(
      /tracebox_trace_http_request_seconds_count\{route="\/api\/serials\/:serial",status="200"\} [1-9]/,
    );
    expect(metrics).toMatch(/tracebox_trace_exports_total\{format="parquet"\} 1/);
  });

  it("bound beyond loopback it needs a bearer token, and then checks it", async () => {
    await expect(startTraceServer(store, { host: "0.0.0.0", port: 0 })).rejects.toThrow(
      /bearer token/,
    );
    const guarded = await startTraceServer(store, { host: "127.0.0.1", port: 0, token: "s3cret" });
    try {
      const at = (path: string, authorization?: string) =>
        fetch(`${guarded.url}${path}`, authorization ? { headers: { authorization } } : {}).then(
          (r) => r.status,
        );
      expect(await at(`/api/serials/${serial}`)).toBe(401);
      expect(await at(`/api/serials/${serial}`, "Bearer wrong")).toBe(401);
      expect(await at(`/api/serials/${serial}`, "Bearer s3cret")).toBe(200);
      expect(await at("/metrics")).toBe(401);
      expect(await at("/healthz")).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
