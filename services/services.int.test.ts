import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_LOCAL_SERVICES,
  freePort,
  type LocalServicesOptions,
  portOpen,
  ServicesError,
  servicesDown,
  servicesStatus,
  servicesUp,
} from "./index.ts";

// Its own pair of services (not the run's shared ones), so it can start and stop them freely.
describe("local services", () => {
  let options: LocalServicesOptions;
  const quiet = { install: true, log: () => {} };

  beforeAll(async () => {
    options = {
      ...DEFAULT_LOCAL_SERVICES,
      dir: mkdtempSync(join(tmpdir(), "tracebox-services-")),
      mqttPort: await freePort(),
      influxPort: await freePort(),
      influxRpcPort: await freePort(),
    };
  });
  afterAll(async () => {
    await servicesDown(options);
    rmSync(options.dir, { recursive: true, force: true });
  });

  it("up starts both, answers, and is idempotent", async () => {
    const first = await servicesUp(options, quiet);
    expect(first.map((s) => s.state)).toEqual(["running", "running"]);
    const ping = await fetch(`http://127.0.0.1:${options.influxPort}/ping`);
    expect(ping.status).toBe(204);
    expect(await portOpen("127.0.0.1", options.mqttPort)).toBe(true);
    const second = await servicesUp(options, quiet);
    expect(second.map((s) => s.pid)).toEqual(first.map((s) => s.pid));
  });

  it("keeps data and config under its own dir, with the tsi1 index", async () => {
    const conf = readFileSync(join(options.dir, "influxdb", "influxdb.conf"), "utf8");
    expect(conf).toContain('index-version = "tsi1"');
    expect(conf).toContain(`dir = "${join(options.dir, "influxdb")}/data"`);
    expect(conf).toContain(`bind-address = "127.0.0.1:${options.influxPort}"`);
    const mosquitto = readFileSync(join(options.dir, "mosquitto", "mosquitto.conf"), "utf8");
    expect(mosquitto).toContain(`listener ${options.mqttPort} 127.0.0.1`);
    expect(mosquitto).toContain(`persistence_location ${join(options.dir, "mosquitto", "data")}/`);
  });

  it("down stops only what up started, and status reports a foreign process on a port", async () => {
    await servicesDown(options);
    expect((await servicesStatus(options)).map((s) => s.state)).toEqual(["stopped", "stopped"]);
    await servicesDown(options); // idempotent

    const foreign: Server = createServer(() => {});
    await new Promise<void>((resolve) => foreign.listen(options.mqttPort, "127.0.0.1", resolve));
    try {
      const status = await servicesStatus(options);
      expect(status[0]?.state).toBe("port-taken");
      expect(status[0]?.hint).toMatch(/^TRACEBOX_MQTT_URL=mqtt:\/\/127\.0\.0\.1:\d+$/);
      const error = await servicesUp(options, quiet).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServicesError);
      expect((error as ServicesError).reason).toBe("port_taken");
      expect((error as Error).message).toMatch(
        /port \d+ on 127\.0\.0\.1 is taken by another process; choose a free one, e\.g\. TRACEBOX_MQTT_URL=/,
      );
      await servicesDown(options);
      expect(foreign.listening).toBe(true);
      expect(await portOpen("127.0.0.1", options.mqttPort)).toBe(true);
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });
});
