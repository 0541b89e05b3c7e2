import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Binary, ensureBinaries, findBinary, INFLUXD, MOSQUITTO } from "./binaries.ts";
import {
  DEFAULT_LOCAL_SERVICES,
  influxdbConf,
  type LocalServicesOptions,
  mosquittoConf,
} from "./configs.ts";
import { freePort, ownPid, portOpen, startDetached, stopPid, waitFor } from "./process.ts";

export type ServiceName = "mosquitto" | "influxdb";

export interface ServiceStatus {
  name: ServiceName;
  state: "running" | "stopped" | "port-taken";
  pid?: number;
  port: number;
  /** Only for `port-taken`: the environment setting that moves tracebox to a free port. */
  hint?: string;
}

interface ServiceDef {
  name: ServiceName;
  binary: Binary;
  port(o: LocalServicesOptions): number;
  /** Writes the config under `dir` and returns the program's arguments. */
  prepare(o: LocalServicesOptions, dir: string): string[];
  ready(o: LocalServicesOptions): Promise<boolean>;
  hint(o: LocalServicesOptions, free: number): string;
}

const SERVICES: ServiceDef[] = [
  {
    name: "mosquitto",
    binary: MOSQUITTO,
    port: (o) => o.mqttPort,
    prepare(o, dir) {
      mkdirSync(join(dir, "data"), { recursive: true });
      const conf = join(dir, "mosquitto.conf");
      writeFileSync(conf, mosquittoConf(o, { data: join(dir, "data") }));
      return ["-c", conf];
    },
    ready: (o) => portOpen(o.host, o.mqttPort),
    hint: (o, free) => `TRACEBOX_MQTT_URL=mqtt://${o.host}:${free}`,
  },
  {
    name: "influxdb",
    binary: INFLUXD,
    port: (o) => o.influxPort,
    prepare(o, dir) {
      const conf = join(dir, "influxdb.conf");
      writeFileSync(conf, influxdbConf(o, dir));
      return ["-config", conf];
    },
    async ready(o) {
      try {
        const response = await fetch(`http://${o.host}:${o.influxPort}/ping`, {
          signal: AbortSignal.timeout(1000),
        });
        return response.status === 204;
      } catch {
        return false;
      }
    },
    hint: (o, free) => `TRACEBOX_INFLUX_URL=http://${o.host}:${free}`,
  },
];

function paths(o: LocalServicesOptions, def: ServiceDef) {
  const dir = resolve(o.dir, def.name);
  return { dir, pid: join(dir, `${def.name}.pid`), log: join(dir, `${def.name}.out`) };
}

/** Running, stopped, or its port held by a process that `up` did not start. */
export async function servicesStatus(options: LocalServicesOptions): Promise<ServiceStatus[]> {
  const out: ServiceStatus[] = [];
  for (const def of SERVICES) {
    const p = paths(options, def);
    const binary = findBinary(def.binary);
    const pid = binary ? ownPid(p.pid, binary) : undefined;
    const port = def.port(options);
    if (pid !== undefined) {
      out.push({ name: def.name, state: "running", pid, port });
    } else if (await portOpen(options.host, port)) {
      out.push({
        name: def.name,
        state: "port-taken",
        port,
        hint: def.hint(options, await freePort(options.host)),
      });
    } else {
      out.push({ name: def.name, state: "stopped", port });
    }
  }
  return out;
}

export class ServicesError extends Error {
  readonly reason: "missing_binary" | "port_taken" | "start_failed";
  constructor(reason: ServicesError["reason"], message: string) {
    super(message);
    this.reason = reason;
    this.name = "ServicesError";
  }
}

/**
 * Starts what is not running yet (idempotent) and waits until each answers. Data, config, logs and pid
 * files live under `options.dir`, never under the system's /var/lib.
 */
export async function servicesUp(
  options: LocalServicesOptions,
  settings: { install: boolean; log: (line: string) => void; only?: ServiceName[] },
): Promise<ServiceStatus[]> {
  const wanted = SERVICES.filter((s) => !settings.only || settings.only.includes(s.name));
  const ensured = ensureBinaries(
    wanted.map((s) => s.binary),
    settings,
  );
  if (!ensured.ok) throw new ServicesError("missing_binary", ensured.message);

  const before = await servicesStatus(options);
  for (const def of wanted) {
    const status = before.find((s) => s.name === def.name);
    if (status?.state === "running") continue;
    if (status?.state === "port-taken") {
      throw new ServicesError(
        "port_taken",
        `${def.name}: port ${status.port} on ${options.host} is taken by another process; choose a free one, e.g. ${status.hint}`,
      );
    }
    const p = paths(options, def);
    mkdirSync(p.dir, { recursive: true });
    const args = def.prepare(options, p.dir);
    const binary = findBinary(def.binary) as string;
    const pid = startDetached(binary, args, p);
    try {
      await waitFor(() => def.ready(options), 60_000, `${def.name} (pid ${pid}, log ${p.log})`);
    } catch (error) {
      await stopPid(pid, p.pid, 2000);
      throw new ServicesError("start_failed", (error as Error).message);
    }
    settings.log(`${def.name} started (pid ${pid}, port ${def.port(options)}, data ${p.dir})`);
  }
  return servicesStatus(options);
}

/** Stops only what `up` started (by its pid files); anything else on those ports is left alone. */
export async function servicesDown(
  options: LocalServicesOptions,
  log: (line: string) => void = () => {},
): Promise<void> {
  for (const def of SERVICES) {
    const p = paths(options, def);
    const binary = findBinary(def.binary);
    const pid = binary ? ownPid(p.pid, binary) : undefined;
    if (pid === undefined) continue;
    await stopPid(pid, p.pid);
    log(`${def.name} stopped (pid ${pid})`);
  }
}

/** Local-service options from tracebox's URLs: the ports they name, the data dir's `services/`. */
export function localServicesFrom(config: {
  mqttUrl: string;
  influxUrl: string;
  dataDir: string;
}): LocalServicesOptions {
  const mqtt = new URL(config.mqttUrl);
  const influx = new URL(config.influxUrl);
  return {
    ...DEFAULT_LOCAL_SERVICES,
    dir: resolve(config.dataDir, "services"),
    mqttPort: mqtt.port ? Number(mqtt.port) : 1883,
    influxPort: influx.port ? Number(influx.port) : 8086,
    // The RPC port sits beside the HTTP one unless that is the default pair.
    influxRpcPort:
      influx.port && influx.port !== "8086"
        ? Number(influx.port) + 2
        : DEFAULT_LOCAL_SERVICES.influxRpcPort,
  };
}

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || host === "::1" || host.startsWith("127.");
}
