import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** A service's program: where Debian installs it and which package brings it. */
export interface Binary {
  name: "mosquitto" | "influxd";
  candidates: string[];
  debianPackage: string;
}

export const MOSQUITTO: Binary = {
  name: "mosquitto",
  candidates: ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"],
  debianPackage: "mosquitto",
};
export const INFLUXD: Binary = {
  name: "influxd",
  candidates: ["/usr/bin/influxd", "/usr/local/bin/influxd"],
  debianPackage: "influxdb",
};

export function findBinary(binary: Binary): string | undefined {
  const found = binary.candidates.find((path) => existsSync(path));
  if (found) return found;
  const which = spawnSync("sh", ["-c", `command -v ${binary.name}`], { encoding: "utf8" });
  const path = which.stdout.trim();
  return which.status === 0 && path ? path : undefined;
}

export function installCommand(binaries: Binary[]): string {
  const packages = binaries.map((b) => b.debianPackage).join(" ");
  return `sudo apt-get update && sudo apt-get install -y ${packages}`;
}

/** Missing binaries are installed from Debian's packages when running as root on Debian/Ubuntu. */
export function ensureBinaries(
  binaries: Binary[],
  options: { install: boolean; log: (line: string) => void },
): { ok: true } | { ok: false; message: string } {
  const missing = binaries.filter((b) => !findBinary(b));
  if (missing.length === 0) return { ok: true };
  const canInstall =
    options.install && process.getuid?.() === 0 && existsSync("/etc/debian_version");
  if (!canInstall) {
    return {
      ok: false,
      message: `missing ${missing.map((b) => b.name).join(", ")}; install with:\n  ${installCommand(missing)}`,
    };
  }
  const packages = missing.map((b) => b.debianPackage);
  options.log(`installing Debian packages: ${packages.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], {
      stdio: "inherit",
      env,
    });
  } catch (error) {
    return {
      ok: false,
      message: `apt-get failed (${(error as Error).message}); run:\n  ${installCommand(missing)}`,
    };
  }
  const still = missing.filter((b) => !findBinary(b));
  return still.length === 0
    ? { ok: true }
    : { ok: false, message: `still missing after install: ${still.map((b) => b.name).join(", ")}` };
}
