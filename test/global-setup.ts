import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  DEFAULT_LOCAL_SERVICES,
  freePort,
  type LocalServicesOptions,
  servicesDown,
  servicesUp,
} from "../services/index.ts";
import type { TestServices } from "./services.ts";

/**
 * Integration tests get their own Mosquitto and InfluxDB on free ports in a temp dir, so they never
 * touch a user's services; torn down after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), "tracebox-test-"));
  const options: LocalServicesOptions = {
    ...DEFAULT_LOCAL_SERVICES,
    dir,
    mqttPort: await freePort(),
    influxPort: await freePort(),
    influxRpcPort: await freePort(),
  };
  await servicesUp(options, { install: true, log: () => {} });
  const services: TestServices = {
    dir,
    mqttUrl: `mqtt://127.0.0.1:${options.mqttPort}`,
    influxUrl: `http://127.0.0.1:${options.influxPort}`,
    local: options,
  };
  project.provide("services", services);
  return async () => {
    await servicesDown(options);
    rmSync(dir, { recursive: true, force: true });
  };
}
