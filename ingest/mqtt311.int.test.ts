import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { influxRows } from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

// Aedes, a real MQTT broker that speaks 3.1.1 only: it answers a version 5 CONNECT with CONNACK
// code 1 (unacceptable protocol version), as older brokers and those built into line controllers do.
describe("tracebox ingest against an MQTT 3.1.1 broker", () => {
  let broker: Aedes;
  let server: Server;
  let url = "";
  const versions = new Map<string, number[]>();
  let ingestor: Ingestor | undefined;

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    broker.on("client", (client) => {
      const id = client.id;
      versions.set(id, [
        ...(versions.get(id) ?? []),
        (client as unknown as { version: number }).version,
      ]);
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await ingestor?.stop();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("falls back to 3.1.1 and stores what stations publish at QoS 1", {
    timeout: 60_000,
  }, async () => {
    const { config } = await ingestTestConfig(
      { mqttUrl: url, influxUrl: testServices().influxUrl },
      { TRACEBOX_LOG_LEVEL: "error" },
    );
    ingestor = await startIngestor(config);
    // The subscriber and the alerts' publisher: each refused once as version 5, then in as 3.1.1.
    expect(versions.get(config.mqttClientId)).toEqual([4]);
    expect(versions.get(`${config.mqttClientId}-alerts`)).toEqual([4]);

    const station = await publisher(url, { protocolVersion: 4 });
    const t0 = Date.now() - 60_000;
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    for (let i = 0; i < 50; i++)
      await station.publishAsync(
        topic,
        JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + i } }),
        {
          qos: 1,
        },
      );
    await station.endAsync();

    const stored = await eventually(
      async () =>
        influxRows(testServices().influxUrl, config.influxDb, "SELECT z1_top_c FROM reflow"),
      (rows) => rows.length >= 50,
      30_000,
    );
    expect(stored.map((row) => row.z1_top_c)).toEqual(
      Array.from({ length: 50 }, (_, i) => 240 + i),
    );
  });
});
