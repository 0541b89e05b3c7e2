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

/** CPU time the whole machine has been busy (every core, every process), seconds. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    TICKS_PER_SECOND
  );
}

/**
 * CPU seconds used by each named process between `start()` and `stop()`, and by everything else
 * on the machine (`others`): the machine is shared, and a busy neighbour skews a measurement.
 */
export class CpuMeter {
  private readonly before = new Map<string, number>();
  private machineBefore = 0;
  private startedAt = 0;

  constructor(private readonly pids: Record<string, number>) {}

  start(): this {
    this.startedAt = performance.now();
    for (const [name, pid] of Object.entries(this.pids))
      this.before.set(name, cpuSeconds(pid) ?? 0);
    this.machineBefore = machineBusySeconds();
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
    const others = Math.max(0, machineBusySeconds() - this.machineBefore - ours);
    out.others = { cpuSeconds: others, coreShare: others / wallSeconds };
    return out;
  }
}

/** Cores the whole machine keeps busy over the next `ms` (this process is idle meanwhile). */
export async function busyCores(ms: number): Promise<number> {
  const before = machineBusySeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (machineBusySeconds() - before) / (ms / 1000);
}
