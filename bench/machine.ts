import { execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { findBinary, INFLUXD, MOSQUITTO } from "../services/index.ts";

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  kernel: string;
  mosquitto: string;
  influxdb: string;
}

function versionOf(binary: string | undefined, args: string[], pattern: RegExp): string {
  if (!binary) return "unknown";
  try {
    const out = execFileSync(binary, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return pattern.exec(out)?.[1] ?? "unknown";
  } catch (error) {
    // `mosquitto -h` prints its usage and exits with status 3.
    const out = String((error as { stdout?: unknown }).stdout ?? "");
    return pattern.exec(out)?.[1] ?? "unknown";
  }
}

export function describeMachine(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryBytes: totalmem(),
    node: process.version,
    kernel: release(),
    mosquitto: versionOf(findBinary(MOSQUITTO), ["-h"], /mosquitto version (\S+)/),
    influxdb: versionOf(findBinary(INFLUXD), ["version"], /InfluxDB (v\S+)/),
  };
}
