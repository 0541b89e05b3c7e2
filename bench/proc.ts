import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";

// Linux reports utime/stime in clock ticks of 1/100 s on every architecture Node runs on
// (USER_HZ is fixed at 100 in the kernel ABI, whatever CONFIG_HZ is).
const TICKS_PER_SECOND = 100;

/** CPU time a process has used so far (user + system), seconds; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** A `Vm*` line of /proc/<pid>/status in bytes, e.g. VmHWM (peak resident set) or VmRSS. */
export function vmBytes(pid: number, key: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time of the whole machine (every core) since boot, seconds, by what it was spent on. */
export interface MachineCpu {
  /** Processes: user, nice and system time. */
  tasks: number;
  /** Interrupts and softirqs (network receive, among others), charged to no process. */
  irq: number;
  /** Time the hypervisor gave to other guests while this one wanted to run. */
  steal: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return {
    tasks: (user + nice + system) / TICKS_PER_SECOND,
    irq: (irq + softirq) / TICKS_PER_SECOND,
    steal: steal / TICKS_PER_SECOND,
  };
}

/**
 * CPU seconds used by each named process between `start()` and `stop()`, by every other process
 * (`others`), by interrupts (`irq`, partly our own loopback traffic) and taken by the hypervisor
 * (`steal`): the machine may be shared, and a busy neighbour skews a measurement.
 */
export class CpuMeter {
  private readonly before = new Map<string, number>();
  private machineBefore: MachineCpu = { tasks: 0, irq: 0, steal: 0 };
  private startedAt = 0;

  constructor(private readonly pids: Record<string, number>) {}

  start(): this {
    this.startedAt = performance.now();
    for (const [name, pid] of Object.entries(this.pids))
      this.before.set(name, cpuSeconds(pid) ?? 0);
    this.machineBefore = machineCpu();
    return this;
  }

  /** Per process: CPU seconds, and the share of one core over the wall time since start(). */
  stop(): Record<string, { cpuSeconds: number; coreShare: number }> {
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const out: Record<string, { cpuSeconds: number; coreShare: number }> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const now = cpuSeconds(pid);
      if (now === undefined) continue;
      const used = now - (this.before.get(name) ?? 0);
      out[name] = { cpuSeconds: used, coreShare: used / wallSeconds };
    }
    const ours = Object.values(out).reduce((sum, c) => sum + c.cpuSeconds, 0);
    const machine = machineCpu();
    const rest = {
      others: Math.max(0, machine.tasks - this.machineBefore.tasks - ours),
      irq: machine.irq - this.machineBefore.irq,
      steal: machine.steal - this.machineBefore.steal,
    };
    for (const [name, used] of Object.entries(rest))
      out[name] = { cpuSeconds: used, coreShare: used / wallSeconds };
    return out;
  }
}

/**
 * Cores the rest of the machine keeps busy over the next `ms` (this process is idle meanwhile):
 * processes, interrupts and time stolen by the hypervisor.
 */
export async function busyCores(ms: number): Promise<number> {
  const total = (m: MachineCpu) => m.tasks + m.irq + m.steal;
  const before = total(machineCpu());
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (total(machineCpu()) - before) / (ms / 1000);
}

/** Whether a child process has neither exited nor been killed yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`; its exit code. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (!isRunning(child)) return child.exitCode;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    const [code] = (await exited) as [number | null];
    return code;
  } finally {
    clearTimeout(timer);
  }
}
