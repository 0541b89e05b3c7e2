import { afterEach, describe, expect, it } from "vitest";
import { createDecoder, type Decoded } from "../ingest/contract/index.ts";
import { type Ingestor, startIngestor } from "../ingest/index.ts";
import { testServices } from "../test/index.ts";
import { countPoints, eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { publishMessages, simulateLine } from "./index.ts";

describe("the simulated line through the real pipeline", () => {
  let ingestor: Ingestor | undefined;
  afterEach(async () => {
    await ingestor?.stop();
    ingestor = undefined;
  });

  it("every message it publishes is stored: the points in InfluxDB are exactly the decoded points", async () => {
    const services = testServices();
    const { config } = await ingestTestConfig(services);
    ingestor = await startIngestor(config);
    // A run that ended an hour ago, so every reading is inside the ingestor's time window.
    const start = Date.now() - 3 * 3600_000;
    const messages = [
      ...simulateLine({
        seed: 3,
        units: 25,
        start,
        scenarios: ["bad-lot", "humidity"],
        prefix: config.topicPrefix,
      }),
    ];
    expect(messages.length).toBeGreaterThan(500);

    const decode = createDecoder({ prefix: config.topicPrefix });
    const expected = new Map<string, number>();
    for (const m of messages) {
      const decoded = decode(m.topic, Buffer.from(JSON.stringify(m.payload)));
      expect(decoded.ok, `${m.topic}: ${"detail" in decoded ? decoded.detail : ""}`).toBe(true);
      for (const point of (decoded as Decoded).points)
        expected.set(point.measurement, (expected.get(point.measurement) ?? 0) + 1);
    }

    const pub = await publisher(services.mqttUrl);
    await publishMessages(messages, pub, { speed: 0, maxInFlight: 200 });
    await pub.endAsync();
    const written = await eventually(
      async () =>
        (await ingestor?.metrics.messages.get())?.values.find((v) => v.labels.outcome === "written")
          ?.value ?? 0,
      (n) => n >= messages.length,
      60_000,
    );
    expect(written).toBe(messages.length);

    // One field every point of a measurement carries, to count them.
    const counted: Record<string, string> = {
      unit: "seen",
      spi: "pad_count",
      spi_pad: "volume_pct",
      test: "result",
      test_measurement: "value",
      test_defect: "count",
      placement: "part",
      event: "seen",
    };
    for (const [measurement, n] of expected) {
      const field = counted[measurement];
      if (!field) continue; // signal channels: counted below by their own fields
      expect(
        await countPoints(services.influxUrl, config.influxDb, measurement, field),
        measurement,
      ).toBe(n);
    }
    // A box carries serials, a pallet containers: count the rows.
    const packs = await fetch(
      `${services.influxUrl}/query?db=${config.influxDb}&q=${encodeURIComponent('SELECT * FROM "pack"')}`,
    );
    const packRows = ((await packs.json()) as { results: { series?: { values: unknown[] }[] }[] })
      .results[0]?.series?.[0]?.values.length;
    expect(packRows).toBe(expected.get("pack"));
    for (const [measurement, field] of [
      ["reflow", "o2_ppm"],
      ["env", "humidity_rh"],
      ["nitrogen", "pressure_bar"],
    ] as const) {
      expect(
        await countPoints(services.influxUrl, config.influxDb, measurement, field),
        measurement,
      ).toBe(expected.get(measurement));
    }
  });
});
