import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scrape } from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { countPoints, eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

// A batch that cannot be made durable: its dead-letter record cannot be written, because today's
// dead-letter file is a directory (a real fault of the disk's contents, no fake). Its messages
// must not sit unacknowledged in the broker's in-flight window until some later reconnect.
describe("tracebox ingest when a batch cannot be made durable", () => {
  let ingestor: Ingestor | undefined;
  afterAll(async () => {
    await ingestor?.stop();
  });

  it("reconnects so the broker delivers it again, and stores it once the fault is gone", {
    timeout: 60_000,
  }, async () => {
    const services = testServices();
    const { config } = await ingestTestConfig(services, {
      TRACEBOX_LOG_LEVEL: "silent",
    });
    const day = new Date().toISOString().slice(0, 10);
    const blocked = join(config.dataDir, "dead-letter", `${day}.ndjson`);
    mkdirSync(blocked, { recursive: true });
    ingestor = await startIngestor(config);

    const station = await publisher(services.mqttUrl);
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    const t0 = Date.now() - 60_000;
    await station.publishAsync(topic, "not json", { qos: 1 });
    for (let i = 0; i < 20; i++)
      await station.publishAsync(topic, JSON.stringify({ ts: t0 + i, values: { z1_top_c: i } }), {
        qos: 1,
      });
    await station.endAsync();

    // The commit fails, the ingestor reconnects, the broker delivers the batch again: it keeps
    // failing while the fault lasts.
    const failures = await eventually(
      async () =>
        (await scrape(ingestor?.statusUrl ?? ""))("tracebox_ingest_commit_failures_total") ?? 0,
      (failures) => failures >= 2,
      20_000,
    );
    expect(failures).toBeGreaterThanOrEqual(2);
    rmSync(blocked, { recursive: true });

    const records = await eventually(
      async () => {
        try {
          return readFileSync(blocked, "utf8").trim().split("\n");
        } catch {
          return [];
        }
      },
      (lines) => lines.length >= 1,
      20_000,
    );
    expect(records.map((r) => (JSON.parse(r) as { reason: string }).reason)).toEqual(["not_json"]);
    expect(await countPoints(services.influxUrl, config.influxDb, "reflow", "z1_top_c")).toBe(20);
    const sample = await eventually(
      async () => scrape(ingestor?.statusUrl ?? ""),
      (s) => (s("tracebox_ingest_messages_total", { outcome: "rejected" }) ?? 0) >= 1,
      10_000,
    );
    expect(sample("tracebox_ingest_messages_total", { outcome: "written" })).toBeGreaterThanOrEqual(
      20,
    );
    expect(sample("tracebox_ingest_broker_reconnects_total")).toBeGreaterThanOrEqual(2);
  });
});

// A point InfluxDB refuses although the contract accepts it: another writer made the field a
// string in this shard, so InfluxDB answers the ingestor's float with a field type conflict (400)
// for the whole batch.
describe("tracebox ingest when InfluxDB refuses a point of a batch", () => {
  let ingestor: Ingestor | undefined;
  afterAll(async () => {
    await ingestor?.stop();
  });

  it("stores the rest of the batch and puts the refused point in the dead-letter with its topic", {
    timeout: 60_000,
  }, async () => {
    const services = testServices();
    const { config } = await ingestTestConfig(services, { TRACEBOX_LOG_LEVEL: "silent" });
    ingestor = await startIngestor(config);
    const t0 = Date.now() - 60_000;
    const written = await fetch(
      `${services.influxUrl}/write?db=${encodeURIComponent(config.influxDb)}&precision=ms`,
      {
        method: "POST",
        body: `reflow,line=smt1,site=plant1,station=reflow z1_top_c="manual" ${t0 - 1000}`,
      },
    );
    expect(written.status).toBe(204);

    const station = await publisher(services.mqttUrl);
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    const good = `${config.topicPrefix}/plant1/smt1/reflow/nitrogen`;
    await Promise.all([
      station.publishAsync(good, JSON.stringify({ ts: t0, values: { n2_bar: 6.1 } }), { qos: 1 }),
      station.publishAsync(topic, JSON.stringify({ ts: t0 + 1, values: { z1_top_c: 241 } }), {
        qos: 1,
      }),
      station.publishAsync(good, JSON.stringify({ ts: t0 + 2, values: { n2_bar: 6.2 } }), {
        qos: 1,
      }),
    ]);
    await station.endAsync();

    const day = new Date().toISOString().slice(0, 10);
    const records = await eventually(
      async () => {
        try {
          return readFileSync(join(config.dataDir, "dead-letter", `${day}.ndjson`), "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Record<string, string>);
        } catch {
          return [];
        }
      },
      (lines) => lines.length >= 1,
      20_000,
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ topic, reason: "influx_rejected" });
    expect(records[0]?.detail).toMatch(/field type conflict/);
    expect(records[0]?.payload).toMatch(/^reflow,.*z1_top_c=241 /);
    expect(await countPoints(services.influxUrl, config.influxDb, "nitrogen", "n2_bar")).toBe(2);
    const sample = await scrape(ingestor.statusUrl);
    expect(sample("tracebox_ingest_rejected_total", { reason: "influx_rejected" })).toBe(1);
    expect(sample("tracebox_ingest_points_written_total")).toBe(2);
  });
});
