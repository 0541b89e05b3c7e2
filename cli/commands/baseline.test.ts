import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { insertSignal, subgroupsOf, T0 } from "../../analytics/spc-job/testing.ts";
import { Warehouse } from "../../analytics/warehouse/index.ts";
import { main } from "../main.ts";
import { parseInstant } from "./baseline.ts";

const dir = mkdtempSync(join(tmpdir(), "tracebox-baseline-"));
const warehousePath = join(dir, "data", "warehouse.duckdb");

beforeAll(async () => {
  writeFileSync(
    join(dir, "tracebox.yaml"),
    [
      `dataDir: ${join(dir, "data")}`,
      "spc:",
      "  characteristics:",
      "    - name: reflow_peak",
      "      source: {measurement: reflow, field: peak_c, where: {station: reflow}}",
      "      subgroup: {size: 5}",
      "      chart: xbar-r",
      "      baseline: {minSubgroups: 10}",
      "",
    ].join("\n"),
  );
  const warehouse = await Warehouse.open(warehousePath);
  await insertSignal(warehouse, [...subgroupsOf(12), ...subgroupsOf(12, 20)], { start: T0 });
  warehouse.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

async function baseline(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  vi.stubEnv("TRACEBOX_CONFIG", join(dir, "tracebox.yaml"));
  vi.stubEnv("TRACEBOX_DATA_DIR", "");
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
    const code = await main(["node", "tracebox", "baseline", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("tracebox baseline", () => {
  it("proposes limits over a window, lists them, approves them", async () => {
    const proposed = await baseline(
      "propose",
      "--characteristic",
      "reflow_peak",
      "--from",
      String(T0),
      "--to",
      new Date(T0 + 60_000 - 1).toISOString(),
      "--by",
      "jane",
      "--reason",
      "after oven maintenance",
    );
    expect(proposed.stderr).toBe("");
    expect(proposed.code).toBe(0);
    expect(proposed.stdout).toContain("reflow_peak v1 proposed");
    expect(proposed.stdout).toContain("12 subgroups  xbar-r centre 100");
    expect(proposed.stdout).toContain("by jane: after oven maintenance");
    expect(proposed.stdout).toContain(
      "tracebox baseline approve --characteristic reflow_peak --version 1",
    );

    const approved = await baseline(
      "approve",
      "--characteristic",
      "reflow_peak",
      "--by",
      "qa-lead",
    );
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("reflow_peak v1 approved");

    const listed = await baseline("list", "--format", "json");
    expect(listed.code).toBe(0);
    const [only] = JSON.parse(listed.stdout);
    expect(only).toMatchObject({
      characteristic: "reflow_peak",
      version: 1,
      status: "approved",
      createdBy: "jane",
      approvedBy: "qa-lead",
      windowFrom: T0,
      windowTo: T0 + 59_999,
      subgroups: 12,
    });

    const again = await baseline("approve", "--characteristic", "reflow_peak", "--by", "qa-lead");
    expect(again).toMatchObject({
      code: 2,
      stderr: "baseline: reflow_peak has no proposed baseline to approve\n",
    });
  });

  it("names what is wrong with the flags", async () => {
    expect(await baseline("propose", "--characteristic", "reflow_peak")).toMatchObject({
      code: 2,
      stderr: "baseline: --from is required\n",
    });
    expect(
      await baseline(
        "propose",
        "--characteristic",
        "nope",
        "--from",
        "0",
        "--to",
        "1",
        "--by",
        "a",
        "--reason",
        "b",
      ),
    ).toMatchObject({
      code: 2,
      stderr:
        "baseline: unknown characteristic 'nope' (configured in spc.characteristics: reflow_peak)\n",
    });
    expect(() => parseInstant("--from", "2025-11-27 08:00")).toThrow(/not a time/);
    expect(parseInstant("--to", "2025-11-27T08:00:00+01:00")).toBe(Date.UTC(2025, 10, 27, 7));
  });

  it("says plainly that another process holds the warehouse", async () => {
    const holder = await holdWarehouse(warehousePath);
    try {
      const result = await baseline("list");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`is in use by another process (PID ${holder.pid})`);
      expect(result.stderr).toContain("stop that process, run this command, then start it again");
    } finally {
      holder.kill();
      await once(holder, "exit");
    }
  });
});

/** A second process with the DuckDB file open, as the jobs process would have it. */
async function holdWarehouse(path: string): Promise<ChildProcess> {
  const duckdb = createRequire(import.meta.url).resolve("@duckdb/node-api");
  const child = spawn(
    process.execPath,
    [
      "-e",
      `require(${JSON.stringify(duckdb)}).DuckDBInstance.create(${JSON.stringify(path)}).then(() => { console.log("open"); setInterval(() => {}, 1000); });`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  expect(chunk.toString()).toContain("open");
  return child;
}
