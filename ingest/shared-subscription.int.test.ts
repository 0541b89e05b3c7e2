import { afterAll, describe, expect, it } from "vitest";
import { influxRows, publishStream, scrape } from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { countPoints, eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

// Two ingestors in one group (`$share/<group>/<prefix>/#`) on the run's Mosquitto: the broker
// hands each message to one of them.
describe("tracebox ingest scaled out with a shared subscription", () => {
  const ingestors: Ingestor[] = [];
  afterAll(async () => {
    for (const ingestor of ingestors) await ingestor.stop();
  });

  it("splits the messages between two ingestors, and together they store every one once", {
    timeout: 60_000,
  }, async () => {
    const services = testServices();
    const first = await ingestTestConfig(services, {
      TRACEBOX_LOG_LEVEL: "error",
      TRACEBOX_INGEST_GROUP: "line1",
    });
    const second = await ingestTestConfig(services, {
      TRACEBOX_LOG_LEVEL: "error",
      TRACEBOX_INGEST_GROUP: "line1",
      TRACEBOX_INFLUX_DB: first.config.influxDb,
      TRACEBOX_TOPIC_PREFIX: first.config.topicPrefix,
    });
    expect(second.config.mqttClientId).not.toBe(first.config.mqttClientId);
    for (const { config } of [first, second]) ingestors.push(await startIngestor(config));

    const total = 2000;
    const t0 = Date.now() - 3_600_000;
    const topic = `${first.config.topicPrefix}/plant1/smt1/reflow/reflow`;
    const pub = await publisher(services.mqttUrl);
    const acked = await publishStream(pub, total, (i) => [
      topic,
      JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + (i % 10), seq: i } }),
    ]);
    await pub.endAsync();
    expect(acked.size).toBe(total);

    const written = async () =>
      Promise.all(
        ingestors.map(
          async (ingestor) =>
            (await scrape(ingestor.statusUrl))("tracebox_ingest_messages_total", {
              outcome: "written",
            }) ?? 0,
        ),
      );
    const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);
    const shares = await eventually(written, (w) => sum(w) >= total, 30_000);
    expect(sum(shares)).toBe(total);
    for (const share of shares) expect(share).toBeGreaterThan(0);
    expect(
      await eventually(
        () => countPoints(services.influxUrl, first.config.influxDb, "reflow", "z1_top_c"),
        (n) => n >= total,
      ),
    ).toBe(total);
    const [span] = await influxRows(
      services.influxUrl,
      first.config.influxDb,
      "SELECT count(seq), sum(seq) FROM reflow",
    );
    expect(span).toMatchObject({ count: total, sum: (total * (total - 1)) / 2 });
  });
});
