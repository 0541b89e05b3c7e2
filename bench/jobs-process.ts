import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning, stopChild } from "./proc.ts";

const BIN = join(import.meta.dirname, "..", "bin", "tracebox.mjs");

/**
 * The environment of a benchmark's tracebox child: the caller's, without any TRACEBOX_* setting
 * (a user's own services and config are never touched), plus the benchmark's own.
 */
export function childEnv(own: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("TRACEBOX_")),
  );
  return { ...inherited, ...own };
}

/**
 * `tracebox jobs` as a child process, on its schedules, as it runs in production: the one process
 * that owns its warehouse.
 */
export class JobsProcess {
  private static readonly live = new Set<JobsProcess>();
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly statusUrl: string,
  ) {
    JobsProcess.live.add(this);
    child.once("exit", () => JobsProcess.live.delete(this));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        this.output = (this.output + chunk).slice(-16_000);
      });
    }
  }

  /** Spawns `tracebox jobs` with `env` and resolves once its `/healthz` (on `httpPort`) answers 200. */
  static async start(env: NodeJS.ProcessEnv, httpPort: number): Promise<JobsProcess> {
    const child = spawn(process.execPath, [BIN, "jobs"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid === undefined) throw new Error("could not start `tracebox jobs`");
    const jobs = new JobsProcess(child, child.pid, `http://127.0.0.1:${httpPort}`);
    const deadline = Date.now() + 60_000;
    while (!(await jobs.healthy())) {
      if (!jobs.running || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`tracebox jobs did not become healthy:\n${jobs.output}`);
      }
      await sleep(50);
    }
    return jobs;
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.statusUrl}/healthz`);
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** What the child printed lately (its schedule line, warnings), for the report and errors. */
  get recentOutput(): string {
    return this.output;
  }

  get running(): boolean {
    return isRunning(this.child);
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...JobsProcess.live].map((jobs) => jobs.stop(5000)));
  }

  /** SIGTERM (the running job finishes), SIGKILL after `graceMs`; the exit code. */
  async stop(graceMs = 30_000): Promise<number | null> {
    return stopChild(this.child, graceMs);
  }
}

/** Runs `tracebox <args>` to its end; its exit code and output. */
export async function runTracebox(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}
