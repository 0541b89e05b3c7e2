import { spawn } from "node:child_process";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Warehouse } from "../../analytics/warehouse/index.ts";
import { freePort } from "../../services/index.ts";
import { testServices } from "../../test/index.ts";
import { eventually, ingestTestConfig } from "../../test/ingest-harness.ts";

const bin = resolve(import.meta.dirname, "..", "..", "bin", "tracebox.mjs");

describe("tracebox jobs, the process", () => {
  it("runs its schedules, serves metrics, and on SIGTERM lets the running job finish and exits 0", async () => {
    const { env } = await ingestTestConfig(testServices(), {
      TRACEBOX_JOBS_HTTP_PORT: String(await freePort()),
    });
    const dataDir = env.TRACEBOX_DATA_DIR as string;
    const child = spawn(process.execPath, [bin, "jobs"], {
      env: { ...process.env, ...env },
      cwd: dataDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    try {
      const metricsUrl = await eventually(
        async () => /metrics at (\S+)/.exec(stderr)?.[1],
        (url) => url !== undefined,
        20_000,
      );
      expect(metricsUrl, stderr).toBeDefined();
      // The sync runs every 10 s: wait for one, over the process's own metrics endpoint.
      const syncedOk = /tracebox_job_runs_total\{[^}]*job="sync"[^}]*status="ok"[^}]*\} [1-9]/;
      const metrics = await eventually(
        async () => (await fetch(metricsUrl as string)).text(),
        (text) => syncedOk.test(text),
        30_000,
      );
      expect(metrics).toMatch(syncedOk);
      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    // Every run it started ended and was recorded; the warehouse is free for others.
    const warehouse = await Warehouse.open(join(dataDir, "warehouse.duckdb"));
    try {
      const runs = await warehouse.all<{ job: string; status: string; ended: boolean }>(
        "SELECT job, status, ended_at IS NOT NULL AS ended FROM job_run ORDER BY id",
      );
      expect(runs.length).toBeGreaterThan(0);
      expect(runs.every((run) => run.ended && run.status !== "running")).toBe(true);
      expect(runs.some((run) => run.job === "sync" && run.status === "ok")).toBe(true);
    } finally {
      warehouse.close();
    }
  }, 90_000);
});
