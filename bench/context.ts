import { join } from "node:path";
import {
  DEFAULT_LOCAL_SERVICES,
  freePort,
  type LocalServicesOptions,
  servicesUp,
} from "../services/index.ts";

/** The private broker and database of one benchmark run, and where its scratch files go. */
export interface BenchServices {
  mqttUrl: string;
  influxUrl: string;
  /** Temp dir of the run: services' data and every ingestor's data dir. */
  dir: string;
  mosquittoPid: number;
  influxdPid: number;
}

/** A name no earlier measurement of this run used (database, topic prefix, data dir). */
export function measurementName(kind: string): string {
  measurementSeq += 1;
  return `bench_${kind}_${measurementSeq}`;
}

let measurementSeq = 0;

/** A private Mosquitto and InfluxDB on free ports under `dir` (Debian packages installed when missing). */
export async function startBenchServices(dir: string): Promise<{
  services: BenchServices;
  local: LocalServicesOptions;
}> {
  const local: LocalServicesOptions = {
    ...DEFAULT_LOCAL_SERVICES,
    dir: join(dir, "services"),
    mqttPort: await freePort(),
    influxPort: await freePort(),
    influxRpcPort: await freePort(),
  };
  const statuses = await servicesUp(local, {
    install: true,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const pid = (name: string) => {
    const found = statuses.find((s) => s.name === name && s.state === "running")?.pid;
    if (found === undefined) throw new Error(`${name} is not running after services up`);
    return found;
  };
  return {
    local,
    services: {
      mqttUrl: `mqtt://127.0.0.1:${local.mqttPort}`,
      influxUrl: `http://127.0.0.1:${local.influxPort}`,
      dir,
      mosquittoPid: pid("mosquitto"),
      influxdPid: pid("influxdb"),
    },
  };
}
