import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Job, type JobRun, Scheduler } from "./index.ts";

const log = pino({ level: "silent" });

describe("Scheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-27T10:00:00.500Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never overlaps a job with itself", async () => {
    const recorded: JobRun[] = [];
    let slowStarted = 0;
    const slow: Job = {
      name: "slow",
      schedule: "* * * * * *",
      run: async () => {
        slowStarted += 1;
        await new Promise((resolve) => setTimeout(resolve, 2500));
        return { rowsIn: 10, rowsOut: 1 };
      },
    };
    const registry = new Registry();
    const scheduler = new Scheduler({
      jobs: [slow],
      context: {},
      registry,
      log,
      record: async (r) => void recorded.push(r),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(6000);
    await scheduler.stop();

    // Ticks at 1..6 s: "slow" runs at 1 s (until 3.5 s) and 4 s (until 6.5 s); the ticks in between are skipped.
    expect(slowStarted).toBe(2);
    expect(recorded.map((r) => r.status)).toEqual(["ok", "ok"]);
    // A skipped tick is not a run: counted in the metrics, not recorded.
    const metrics = await registry.getSingleMetricAsString("tracebox_job_runs_total");
    expect(metrics).toContain('tracebox_job_runs_total{job="slow",status="ok"} 2');
    expect(metrics).toContain('tracebox_job_runs_total{job="slow",status="skipped-overlap"} 4');
  });

  it("a failing job does not stop the others", async () => {
    const recorded: JobRun[] = [];
    const failing: Job = {
      name: "failing",
      schedule: "* * * * * *",
      run: async () => Promise.reject(new Error("database is gone")),
    };
    const healthy: Job = {
      name: "healthy",
      schedule: "* * * * * *",
      run: async () => ({ rowsIn: 1, rowsOut: 1 }),
    };
    const registry = new Registry();
    const scheduler = new Scheduler({
      jobs: [failing, healthy],
      context: {},
      registry,
      log,
      record: async (r) => void recorded.push(r),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(6000);
    await scheduler.stop();
    const byStatus = (job: string, status: string) =>
      recorded.filter((r) => r.job === job && r.status === status).length;
    expect(byStatus("failing", "failed")).toBe(6);
    expect(byStatus("healthy", "ok")).toBe(6);
    expect(recorded.find((r) => r.status === "failed")?.error).toBe("database is gone");
    const metrics = await registry.getSingleMetricAsString("tracebox_job_runs_total");
    expect(metrics).toContain('tracebox_job_runs_total{job="failing",status="failed"} 6');
  });

  it("runs one job at a time: a job due while another runs waits its turn", async () => {
    let active = 0;
    let mostActive = 0;
    const started: string[] = [];
    const job = (name: string, ms: number, schedule: string): Job => ({
      name,
      schedule,
      run: async () => {
        started.push(`${name}@${Date.now() % 60_000}`);
        active += 1;
        mostActive = Math.max(mostActive, active);
        await new Promise((resolve) => setTimeout(resolve, ms));
        active -= 1;
        return { rowsIn: 0, rowsOut: 0 };
      },
    });
    // Like sync every 10 s and features at second 20: both due at 20 s.
    const scheduler = new Scheduler({
      jobs: [job("sync", 1500, "*/10 * * * * *"), job("features", 700, "20 * * * * *")],
      context: {},
      registry: new Registry(),
      log,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(25_000);
    await scheduler.stop();
    expect(mostActive).toBe(1);
    // At 20 s both are due; the second starts when the first ends (node-cron fired features first).
    expect(started).toEqual(["sync@10000", "features@20000", "sync@20700"]);
  });

  it("runs the lanes side by side: a long nightly job does not hold up the live ones", async () => {
    const spans: Record<string, [number, number][]> = {};
    const job = (name: string, ms: number, schedule: string, lane?: string): Job => ({
      name,
      schedule,
      ...(lane ? { lane } : {}),
      run: async () => {
        const start = Date.now() % 60_000;
        await new Promise((resolve) => setTimeout(resolve, ms));
        spans[name] = [...(spans[name] ?? []), [start, Date.now() % 60_000]];
        return { rowsIn: 0, rowsOut: 0 };
      },
    });
    const contexts: string[] = [];
    const scheduler = new Scheduler<{ lane: string }>({
      jobs: [
        job("predict", 25_000, "2 * * * * *", "nightly"),
        job("sync", 1000, "*/10 * * * * *"),
        job("spc", 500, "5-59/10 * * * * *"),
      ],
      context: { lane: "live" },
      contextFor: (j) => {
        contexts.push(`${j.name}:${j.lane ?? "live"}`);
        return { lane: j.lane ?? "live" };
      },
      registry: new Registry(),
      log,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(29_000);
    await scheduler.stop();
    // predict runs 2 s → 27 s; the live jobs keep their own cadence meanwhile, one at a time.
    expect(spans.predict).toEqual([[2000, 27_000]]);
    expect(spans.sync).toEqual([
      [10_000, 11_000],
      [20_000, 21_000],
    ]);
    expect(spans.spc).toEqual([
      [5000, 5500],
      [15_000, 15_500],
      [25_000, 25_500],
    ]);
    expect(new Set(contexts)).toEqual(new Set(["predict:nightly", "sync:live", "spc:live"]));
  });

  it("stop() drops the jobs still waiting for their turn", async () => {
    const ran: string[] = [];
    const job = (name: string, ms: number): Job => ({
      name,
      schedule: "0 0 * * * *",
      run: async () => {
        ran.push(name);
        await new Promise((resolve) => setTimeout(resolve, ms));
        return { rowsIn: 0, rowsOut: 0 };
      },
    });
    const registry = new Registry();
    const scheduler = new Scheduler({
      jobs: [job("long", 3000), job("next", 10)],
      context: {},
      registry,
      log,
    });
    const long = scheduler.runNow("long");
    const next = scheduler.runNow("next");
    await vi.advanceTimersByTimeAsync(1000);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(3000);
    await stopped;
    expect((await long).status).toBe("ok");
    expect((await next).status).toBe("skipped-stopping");
    expect(ran).toEqual(["long"]);
    // A run asked for after stop() (a final pass) runs.
    const after = scheduler.runNow("next");
    await vi.advanceTimersByTimeAsync(20);
    expect((await after).status).toBe("ok");
    expect(ran).toEqual(["long", "next"]);
  });

  it("stop() lets the running job finish", async () => {
    let finished = false;
    const job: Job = {
      name: "long",
      schedule: "* * * * * *",
      run: async () => {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        finished = true;
        return { rowsIn: 0, rowsOut: 0 };
      },
    };
    const scheduler = new Scheduler({ jobs: [job], context: {}, registry: new Registry(), log });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1000);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(3000);
    await stopped;
    expect(finished).toBe(true);
  });

  it("runNow runs one job and reports its failure", async () => {
    const job: Job = {
      name: "once",
      schedule: "0 0 * * * *",
      run: async () => Promise.reject(new Error("nope")),
    };
    const scheduler = new Scheduler({ jobs: [job], context: {}, registry: new Registry(), log });
    expect((await scheduler.runNow("once")).status).toBe("failed");
    await expect(scheduler.runNow("nothing")).rejects.toThrow(/no job named nothing; jobs: once/);
  });

  it("a job that rejects with no Error at all fails alone; the runs after it still run", async () => {
    const odd: Job = {
      name: "odd",
      schedule: "0 0 * * * *",
      run: async () => Promise.reject(undefined),
    };
    const fine: Job = {
      name: "fine",
      schedule: "0 0 * * * *",
      run: async () => ({ rowsIn: 1, rowsOut: 1 }),
    };
    const scheduler = new Scheduler({
      jobs: [odd, fine],
      context: {},
      registry: new Registry(),
      log,
    });
    const first = scheduler.runNow("odd");
    const second = scheduler.runNow("fine");
    expect(await first).toMatchObject({ status: "failed", error: "undefined" });
    expect((await second).status).toBe("ok");
  });

  it("rejects an invalid schedule, naming the job", () => {
    expect(
      () =>
        new Scheduler({
          jobs: [
            { name: "bad", schedule: "every minute", run: async () => ({ rowsIn: 0, rowsOut: 0 }) },
          ],
          context: {},
          registry: new Registry(),
          log,
        }),
    ).toThrow(/job bad: schedule "every minute" is not a valid cron expression/);
  });
});

describe("tracebox.example.yaml", () => {
  it("has valid spc and jobs sections", async () => {
    const { loadConfig } = await import("../config/index.ts");
    const { parseSpcSection } = await import("../analytics/spc-job/index.ts");
    const { parseJobsSection } = await import("./index.ts");
    const file = new URL("../tracebox.example.yaml", import.meta.url).pathname;
    const { sections } = loadConfig({ env: { TRACEBOX_CONFIG: file } }).config;
    expect(parseSpcSection(sections.spc).characteristics.map((c) => c.name)).toEqual([
      "spi-volume",
      "fct-3v3-rail",
      "spi-min-volume",
    ]);
    expect(parseJobsSection(sections.jobs).schedules.spc).toBe("5-59/10 * * * * *");
  });
});
