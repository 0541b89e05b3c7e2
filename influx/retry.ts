import type { InfluxClient } from "./client.ts";
import { InfluxError } from "./errors.ts";

/** How writeWithRetry backs off. */
export interface RetryPolicy {
  /** First backoff ceiling, ms, default 100 */
  baseDelayMs: number;
  /** Largest backoff ceiling, ms, default 10000 */
  maxDelayMs: number;
  /** Growth of the ceiling per attempt, default 2 */
  exponentialBase: number;
  /** Attempts in all (the first one included), default Infinity */
  maxAttempts: number;
  /** Time from the first attempt after which no new attempt starts, ms, default Infinity */
  maxElapsedMs: number;
  /** Told before each wait (for a retry counter); default none. */
  onRetry?: (error: InfluxError, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  exponentialBase: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
  maxElapsedMs: Number.POSITIVE_INFINITY,
};

/**
 * "Full jitter" (AWS architecture blog, Exponential Backoff And Jitter): a uniform draw below
 * an exponentially growing ceiling, so that many ingestors coming back at once spread out.
 * `attempt` counts failed attempts, from 1.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "exponentialBase">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * policy.exponentialBase ** Math.max(0, attempt - 1),
  );
  return Math.floor(random() * ceiling);
}

/** What a retry loop needs from the world; tests replace it. */
export interface RetryClock {
  now(): number;
  random(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: RetryClock = {
  now: () => Date.now(),
  random: Math.random,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * Runs `attempt` until it succeeds, a non-retryable error (rethrown as is), the attempts or the
 * time run out (the last error rethrown), or `signal` aborts (its reason thrown). A Retry-After
 * from the server replaces the drawn delay.
 */
export async function retrying<T>(
  attempt: () => Promise<T>,
  policy: Partial<RetryPolicy> = {},
  signal?: AbortSignal,
  clock: RetryClock = SYSTEM_CLOCK,
): Promise<T> {
  const p: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...policy };
  const started = clock.now();
  for (let failed = 1; ; failed++) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof InfluxError) || !error.canRetry() || failed >= p.maxAttempts) {
        throw error;
      }
      const delayMs = error.retryAfter() ?? backoffDelay(failed, p, clock.random);
      if (clock.now() + delayMs - started > p.maxElapsedMs) throw error;
      p.onRetry?.(error, failed, delayMs);
      await clock.sleep(delayMs, signal);
    }
  }
}

/** Writes with exponential backoff + full jitter on retryable errors, up to `maxAttempts` / `maxElapsedMs`; rethrows non-retryable. */
export function writeWithRetry(
  client: Pick<InfluxClient, "write">,
  lines: readonly string[],
  policy?: Partial<RetryPolicy>,
  signal?: AbortSignal,
  clock?: RetryClock,
): Promise<void> {
  return retrying(() => client.write(lines), policy, signal, clock);
}
