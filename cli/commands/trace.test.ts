import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { simulate, warehouseWith } from "../../analytics/trace/fixtures.ts";
import { main } from "../main.ts";

// The traceability commands end to end: a data dir holding a warehouse, an InfluxDB that answers
// every query with nothing (so that "unknown" is certain, not a guess).
describe("tracebox export / verify / trace / report / serve", { timeout: 60_000 }, () => {
  let dir: string;
  let influx: Server;
  let serial: string;
  let lot: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tracebox-trace-cli-"));
    const run = simulate({ seed: 4, units: 5, signalRateHz: 1 });
    mkdirSync(join(dir, "data"));
    await warehouseWith(join(dir, "data", "warehouse.duckdb"), run.points);
    serial = run.points.find((p) => p.measurement === "unit")?.tags.serial as string;
    lot = run.points.find((p) => p.measurement === "placement" && p.tags.serial === serial)?.fields
      .lot as string;
    influx = createServer((_request, response) => {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end('{"results":[{"statement_id":0}]}\n');
    });
    await new Promise<void>((resolve) => influx.listen(0, "127.0.0.1", resolve));
    Object.assign(process.env, {
      TRACEBOX_CONFIG: "/dev/null",
      TRACEBOX_DATA_DIR: join(dir, "data"),
      TRACEBOX_INFLUX_URL: `http://127.0.0.1:${(influx.address() as AddressInfo).port}`,
      TRACEBOX_LOG_LEVEL: "warn",
    });
  }, 60_000);
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((resolve) => influx.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function tracebox(
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await main(["node", "tracebox", ...args]);
      return { code, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it("exports a serial, verifies it, and fails verification once a file changes", async () => {
    const out = join(dir, "export");
    const exported = await tracebox(
      "export",
      "--serial",
      serial,
      "--format",
      "parquet",
      "--out",
      out,
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ serials: 1, format: "parquet" });
    const ok = await tracebox("verify", out);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("OK");
    appendFileSync(join(out, "materials.parquet"), "x");
    const failed = await tracebox("verify", out);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/materials\.parquet: SHA-256/);
  });

  it("JSON goes to stdout without --out: the record, or one per line for a lot", async () => {
    const one = await tracebox("export", "--serial", serial);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout).serial).toBe(serial);
    const lots = await tracebox("export", "--lot", lot, "--format", "json");
    const lines = lots.stdout.trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).serial)).toContain(serial);
  });

  it("an unknown serial exits 3; a bad argument 2; hostile input is only a value", async () => {
    for (const bad of ["NO-SUCH-SERIAL", "x'OR'1'='1", "'; DROP TABLE unit_event; --"]) {
      const result = await tracebox(
        "export",
        "--serial",
        bad,
        "--format",
        "csv",
        "--out",
        join(dir, "nothing"),
      );
      expect(result.code, bad).toBe(3);
      expect(result.stderr).toContain("is unknown");
      expect(existsSync(join(dir, "nothing"))).toBe(false);
      expect((await tracebox("trace", bad)).code).toBe(3);
      expect((await tracebox("report", bad)).code).toBe(3);
    }
    expect(
      (await tracebox("export", "--serial", serial, "--format", "xlsx", "--out", join(dir, "x")))
        .code,
    ).toBe(2);
    expect((await tracebox("export", "--serial", serial, "--format", "csv")).code).toBe(2);
    expect((await tracebox("export", "--serial", serial, "--lot", lot)).code).toBe(2);
    expect((await tracebox("export", "--from", "yesterday", "--to", "now")).code).toBe(2);
    expect((await tracebox("trace")).code).toBe(2);
    expect((await tracebox("verify", join(dir, "no-such-export"))).code).toBe(1);
    const hostileLot = await tracebox("trace", "--lot", "' OR '1'='1", "--format", "json");
    expect(hostileLot.code).toBe(0);
    expect(JSON.parse(hostileLot.stdout).units).toEqual([]);
  });

  it("trace backward names the lot, forward from that lot names the serial", async () => {
    const back = await tracebox("trace", serial, "--format", "json");
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout).lots.map((l: { lot: string }) => l.lot)).toContain(lot);
    const forward = await tracebox("trace", "--lot", lot, "--format", "json");
    expect(JSON.parse(forward.stdout).units.map((u: { serial: string }) => u.serial)).toContain(
      serial,
    );
    const table = await tracebox("trace", "--lot", lot);
    expect(table.stdout).toContain(serial);
    const levels = await tracebox("trace", "--product", "TBX-CTRL-C", "--format", "json");
    expect(JSON.parse(levels.stdout)).toMatchObject({ product: "TBX-CTRL-C", units: 5 });
  });

  it("writes the device history report, and serve refuses to bind beyond loopback without a token", async () => {
    const file = join(dir, "dhr.html");
    const result = await tracebox("report", serial, "--out", file);
    expect(result.code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("<svg");
    const serve = await tracebox("serve", "--host", "0.0.0.0", "--port", "0");
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/bearer token/);
  });
});
