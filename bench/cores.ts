import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** How a measurement placed its processes on the CPUs (taskset lists, as `0-3,6`). */
export interface CoreSplit {
  database: string;
  rest: string;
}

/** The CPUs `pid` may run on, from `Cpus_allowed_list` in /proc (Linux), expanded. */
export function allowedCpus(pid: number | "self" = "self"): number[] {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (list === undefined) throw new Error(`no Cpus_allowed_list in /proc/${pid}/status`);
  return parseCpuList(list);
}

/** `0-2,5` → [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(",")) {
    const [from, to = from] = part.split("-").map(Number);
    if (from === undefined || to === undefined || !Number.isInteger(from) || !Number.isInteger(to))
      throw new Error(`not a CPU list: ${list}`);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs as a taskset list: [0, 1, 2, 5] → `0,1,2,5`. */
function cpuList(cpus: readonly number[]): string {
  return cpus.join(",");
}

/**
 * Of the CPUs this process may use (a container's cpuset included), the database gets the first
 * half (at least one), the rest the others. `undefined` with fewer than two, or without `taskset`
 * (util-linux).
 */
export function splitCores(): CoreSplit | undefined {
  const cpus = allowedCpus();
  if (cpus.length < 2 || spawnSync("taskset", ["-V"]).status !== 0) return undefined;
  const half = Math.max(1, Math.floor(cpus.length / 2));
  return { database: cpuList(cpus.slice(0, half)), rest: cpuList(cpus.slice(half)) };
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

/**
 * Runs `work` with the `database` processes pinned to the first half of the CPUs and the `rest`
 * (this process is always among them) to the other half, and puts every process back on the CPUs
 * it had before, each on its own (a process that has exited does not keep the others pinned).
 * `undefined` without running `work` when the machine cannot be split (see `splitCores`).
 */
export async function withSplitCores<T>(
  database: readonly number[],
  rest: readonly number[],
  work: (split: CoreSplit) => Promise<T>,
): Promise<{ split: CoreSplit; value: T } | undefined> {
  const split = splitCores();
  if (split === undefined) return undefined;
  const others = [...new Set([...rest, process.pid])];
  const saved = [...database, ...others].map((pid) => ({ pid, cpus: cpuList(allowedCpus(pid)) }));
  let value: T;
  try {
    for (const pid of database) pin(pid, split.database);
    for (const pid of others) pin(pid, split.rest);
    value = await work(split);
  } finally {
    const failures: string[] = [];
    for (const { pid, cpus } of saved) {
      try {
        pin(pid, cpus);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    if (failures.length > 0)
      process.stderr.write(`restoring CPU affinity: ${failures.join("; ")}\n`);
  }
  return { split, value };
}
