import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  influxRows,
  type PrivateServices,
  privateServices,
  publishStream,
  scrape,
} from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

// The run's database, but a broker of its own: this test stops it. Mosquitto keeps sessions and
// queued messages across the restart (persistence, saved on SIGTERM).
describe("tracebox ingest while the broker restarts", () => {
  let broker: PrivateServices;
  let ingestor: Ingestor | undefined;
  let pub: mqtt.MqttClient | undefined;

  beforeAll(async () => {
    broker = await privateServices(["mosquitto"]);
  });
  afterAll(async () => {
    pub?.end(true);
    await ingestor?.stop();
    await broker?.dispose();
  });

  it("reconnects, resubscribes and stores every message the broker acknowledged", {
    timeout: 120_000,
  }, async () => {
    const { config } = await ingestTestConfig(
      { mqttUrl: broker.mqttUrl, influxUrl: testServices().influxUrl },
      { TRACEBOX_LOG_LEVEL: "error" },
    );
    ingestor = await startIngestor(config);
    const t0 = Date.now() - 3_600_000;
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    const message = (i: number): [string, string] => [
      topic,
      JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + (i % 10), seq: i } }),
    ];

    // A station that retries until acknowledged: QoS 1 with a persistent session of its own, so
    // mqtt.js keeps unacknowledged PUBLISHes and sends them again (DUP) after reconnecting.
    pub = await mqtt.connectAsync(broker.mqttUrl, {
      protocolVersion: 5,
      clientId: `station-${config.topicPrefix}`,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
      reconnectPeriod: 200,
    });
    const total = 6000;
    const acked = new Set<number>();
    await publishStream(pub, 1000, message, { acked });
    // Stopped while the rest is being published, with PUBLISHes in flight both ways.
    const rest = publishStream(pub, total, message, { from: 1000, acked });
    await broker.down();
    const ackedWhileDown = acked.size;
    await broker.up();
    await rest;

    expect(acked.size).toBe(total);
    expect(ackedWhileDown).toBeLessThan(total);
    const expected = [...acked].map((i) => t0 + i).sort((a, b) => a - b);
    const stored = await eventually(
      async () =>
        (await influxRows(testServices().influxUrl, config.influxDb, "SELECT seq FROM reflow")).map(
          (row) => row.time as number,
        ),
      (times) => times.length >= expected.length,
      60_000,
    );
    expect(stored).toEqual(expected);

    const sample = await scrape(ingestor.statusUrl);
    expect(sample("tracebox_ingest_broker_reconnects_total")).toBeGreaterThanOrEqual(1);
    expect(sample("tracebox_ingest_broker_connected")).toBe(1);
    // Every message reached the ledger (redeliveries count again: at least once, stored once).
    expect(sample("tracebox_ingest_messages_total", { outcome: "written" })).toBeGreaterThanOrEqual(
      total,
    );
    console.log(
      `broker restart after ${ackedWhileDown} acks: ${sample("tracebox_ingest_redelivered_total")} redelivered, ${sample("tracebox_ingest_messages_total", { outcome: "written" })} written, ${stored.length} stored`,
    );
  });
});
