import { afterEach, describe, expect, it, vi } from "vitest";
import { InfluxError } from "./errors.ts";
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  type RetryClock,
  SYSTEM_CLOCK,
  writeWithRetry,
} from "./retry.ts";

/** A clock whose sleeps only move its own time forward and are recorded. */
function fakeClock(randoms: number[] = []): RetryClock & { sleeps: number[]; time: number } {
  const clock = {
    time: 0,
    sleeps: [] as number[],
    now: () => clock.time,
    random: () => randoms.shift() ?? 0.5,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

/** A writer that fails with the given errors, in order, then succeeds; `costMs` per attempt. */
function scriptedWriter(failures: InfluxError[], clock?: { time: number }, costMs = 0) {
  const calls: (readonly string[])[] = [];
  return {
    calls,
    write: async (lines: readonly string[]) => {
      calls.push(lines);
      if (clock) clock.time += costMs;
      const next = failures.shift();
      if (next) throw next;
    },
  };
}

const network = () => new InfluxError("network", "connect ECONNREFUSED");
const unavailable = (retryAfterMs?: number) =>
  new InfluxError("server", "503", {
    status: 503,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

describe("backoffDelay", () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 10_000, exponentialBase: 2 };

  it("draws below a ceiling that doubles per failed attempt", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799,
    ]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it("is zero at the bottom of the draw (full jitter, not equal jitter)", () => {
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });

  it("stops growing at maxDelayMs, even after very many attempts", () => {
    expect(backoffDelay(8, policy, () => 0.999999)).toBe(9999);
    expect(backoffDelay(5000, policy, () => 0.5)).toBe(5000);
  });

  it("uses the exponential base", () => {
    expect(backoffDelay(3, { ...policy, exponentialBase: 3 }, () => 0.5)).toBe(450);
  });

  it("has the documented defaults", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      baseDelayMs: 100,
      maxDelayMs: 10_000,
      exponentialBase: 2,
      maxAttempts: Number.POSITIVE_INFINITY,
      maxElapsedMs: Number.POSITIVE_INFINITY,
    });
  });
});

describe("writeWithRetry", () => {
  it("retries retryable errors with jittered, growing delays until the write succeeds", async () => {
    const clock = fakeClock([0.5, 0.5, 0.25]);
    const writer = scriptedWriter([network(), unavailable(), network()]);
    const retries: [string, number, number][] = [];
    await writeWithRetry(
      writer,
      ["m v=1 1"],
      { onRetry: (error, attempt, delayMs) => retries.push([error.reason, attempt, delayMs]) },
      undefined,
      clock,
    );
    expect(writer.calls).toHaveLength(4);
    expect(writer.calls.every((lines) => lines[0] === "m v=1 1")).toBe(true);
    expect(clock.sleeps).toEqual([50, 100, 100]);
    expect(retries).toEqual([
      ["network", 1, 50],
      ["server", 2, 100],
      ["network", 3, 100],
    ]);
  });

  it("rethrows a non-retryable error at once", async () => {
    const clock = fakeClock();
    const bad = new InfluxError("bad_request", "unable to parse", { status: 400 });
    const writer = scriptedWriter([bad]);
    await expect(writeWithRetry(writer, ["x"], {}, undefined, clock)).rejects.toBe(bad);
    expect(writer.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("rethrows what is not an InfluxError without retrying", async () => {
    const writer = {
      calls: 0,
      write: async () => {
        writer.calls++;
        throw new RangeError("bug");
      },
    };
    await expect(writeWithRetry(writer, ["x"], {}, undefined, fakeClock())).rejects.toThrow("bug");
    expect(writer.calls).toBe(1);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const clock = fakeClock();
    const last = unavailable();
    const writer = scriptedWriter([network(), network(), last, network()]);
    await expect(writeWithRetry(writer, ["x"], { maxAttempts: 3 }, undefined, clock)).rejects.toBe(
      last,
    );
    expect(writer.calls).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("starts no attempt past maxElapsedMs, counting the time the attempts took", async () => {
    const clock = fakeClock([0.999, 0.999, 0.999, 0.999, 0.999]);
    // Each attempt costs 1 s; delays are ~100, ~200, ~400 ms: after attempt 2 at ~2.1 s, the
    // next would start at ~2.3 s > 2.2 s.
    const failures = [network(), network(), network(), network()];
    const writer = scriptedWriter(failures, clock, 1000);
    await expect(
      writeWithRetry(writer, ["x"], { maxElapsedMs: 2200 }, undefined, clock),
    ).rejects.toBeInstanceOf(InfluxError);
    expect(writer.calls).toHaveLength(2);
    expect(clock.sleeps).toEqual([99]);
  });

  it("waits what Retry-After asks instead of the drawn delay", async () => {
    const clock = fakeClock([0]);
    const writer = scriptedWriter([unavailable(3000)]);
    await writeWithRetry(writer, ["x"], {}, undefined, clock);
    expect(clock.sleeps).toEqual([3000]);
  });

  it("gives up when Retry-After asks for more than maxElapsedMs allows", async () => {
    const clock = fakeClock();
    const writer = scriptedWriter([unavailable(60_000)]);
    await expect(
      writeWithRetry(writer, ["x"], { maxElapsedMs: 30_000 }, undefined, clock),
    ).rejects.toMatchObject({ reason: "server" });
    expect(clock.sleeps).toEqual([]);
  });

  it("does not start when the signal is already aborted", async () => {
    const writer = scriptedWriter([]);
    const signal = AbortSignal.abort(new Error("shutting down"));
    await expect(writeWithRetry(writer, ["x"], {}, signal, fakeClock())).rejects.toThrow(
      "shutting down",
    );
    expect(writer.calls).toHaveLength(0);
  });
});

describe("writeWithRetry on the system clock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sleeps on timers and wakes up for an abort during the wait", async () => {
    vi.useFakeTimers();
    const writer = scriptedWriter(Array.from({ length: 1000 }, network));
    const controller = new AbortController();
    const done = writeWithRetry(
      writer,
      ["x"],
      { baseDelayMs: 1000, maxDelayMs: 1000 },
      controller.signal,
    );
    const outcome = expect(done).rejects.toThrow("stop");
    await vi.advanceTimersByTimeAsync(1000);
    expect(writer.calls.length).toBeGreaterThanOrEqual(2);
    const before = writer.calls.length;
    controller.abort(new Error("stop"));
    await outcome;
    await vi.advanceTimersByTimeAsync(5000);
    expect(writer.calls).toHaveLength(before);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("resolves a sleep after its time and leaves no listener behind", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let woke = false;
    const sleeping = SYSTEM_CLOCK.sleep(500, controller.signal).then(() => {
      woke = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(woke).toBe(true);
    // Aborting afterwards must not reject anything (the listener is gone).
    controller.abort();
  });
});
