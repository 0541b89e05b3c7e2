import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

/**
 * Which CPUs the database gets and which the rest (broker, ingestor, publisher, the bench), when
 * they are measured on separate cores: the database the first half (at least one), the rest the
 * others. `undefined` on a machine of one core, or without `taskset` (util-linux).
 */
export function splitCores(): { database: string; rest: string } | undefined {
  const count = availableParallelism();
  if (count < 2 || spawnSync("taskset", ["-V"]).status !== 0) return undefined;
  const half = Math.max(1, Math.floor(count / 2));
  const range = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);
  return { database: range(0, half - 1), rest: range(half, count - 1) };
}

/** Every CPU of the machine, as taskset names them. */
export function allCores(): string {
  const count = availableParallelism();
  return count === 1 ? "0" : `0-${count - 1}`;
}

/**
 * Pins every thread of `pid` to `cpus` (a taskset list); threads and children made afterwards
 * inherit it. Throws when taskset refuses.
 */
export function pin(pid: number, cpus: string): void {
  const result = spawnSync("taskset", ["-apc", cpus, String(pid)], { encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(
      `taskset -apc ${cpus} ${pid} failed: ${result.stderr || result.error?.message}`,
    );
}
