import { inject } from "vitest";
import type { LocalServicesOptions } from "../services/index.ts";

/** The private broker and database of an integration test run (see global-setup.ts). */
export interface TestServices {
  /** Temp dir holding both services' data; removed after the run. */
  dir: string;
  mqttUrl: string;
  influxUrl: string;
  /** What started them, so a test can stop and start the same services (outage tests). */
  local: LocalServicesOptions;
}

declare module "vitest" {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/** The run's services; only in `*.int.test.ts` files. */
export function testServices(): TestServices {
  return inject("services");
}

/** A fresh database name per test, so tests never see each other's points. */
export function uniqueDatabase(prefix = "t"): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
