import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// `tracebox jobs` as a user runs it: the real bin, a child process, a warehouse file in a temp dir.
const dir = mkdtempSync(join(tmpdir(), "tracebox-jobs-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = resolve(import.meta.dirname, "..", "..", "bin", "tracebox.mjs");

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function environment(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TRACEBOX_DATA_DIR: join(dir, "data"),
    TRACEBOX_INFLUX_URL: `http://127.0.0.1:${await closedPort()}`,
    TRACEBOX_MQTT_URL: `mqtt://127.0.0.1:${await closedPort()}`,
    TRACEBOX_JOBS_HTTP_PORT: String(await closedPort()),
    TRACEBOX_LOG_LEVEL: "silent",
  };
  // No config file: the defaults and these variables (run from the temp dir, no ./tracebox.yaml).
  delete env.TRACEBOX_CONFIG;
  return env;
}

async function tracebox(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: await environment(),
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  return { code, signal, stdout, stderr };
}

describe("tracebox jobs", () => {
  it("--once runs one job now and exits 0 with its run on stdout", async () => {
    const run = await tracebox(["jobs", "--once", "archive"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ job: "archive", status: "ok" });
  });

  it("--once exits non-zero when the job fails, saying why", async () => {
    // Nothing listens at the InfluxDB URL: the sync cannot read.
    const run = await tracebox(["jobs", "--once", "sync"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/job sync failed/);
    expect(JSON.parse(run.stdout)).toMatchObject({ job: "sync", status: "failed" });
  });

  it("--once refuses a job it does not know", async () => {
    const run = await tracebox(["jobs", "--once", "nightly"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--once nightly: expected one of/);
  });

  it("with the MQTT broker for its alerts unreachable, exits 1 saying so", async () => {
    const run = await tracebox(["jobs"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^cannot connect 127\.0\.0\.1:\d+: ECONNREFUSED/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
