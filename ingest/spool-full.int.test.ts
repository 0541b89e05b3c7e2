import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  influxRows,
  type PrivateServices,
  privateServices,
  publishStream,
  scrape,
} from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { countPoints, eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

const SPOOL_MAX = 16 * 1024;

// The run's broker, a database of its own (stopped here), and a spool of 16 KiB: full after a
// few hundred readings. Then the ingestor must stop acknowledging, and the broker hold the rest.
describe("tracebox ingest when its spool is full", () => {
  let influx: PrivateServices;
  let ingestor: Ingestor | undefined;

  beforeAll(async () => {
    influx = await privateServices(["influxdb"]);
  });
  afterAll(async () => {
    await ingestor?.stop();
    await influx?.dispose();
  });

  it("stops acknowledging at the bound, keeps the spool within it, stops without waiting for room, and stores everything once InfluxDB is back", {
    timeout: 120_000,
  }, async () => {
    const { config } = await ingestTestConfig(
      { mqttUrl: testServices().mqttUrl, influxUrl: influx.influxUrl },
      {
        TRACEBOX_LOG_LEVEL: "silent",
        TRACEBOX_INGEST_SPOOL_MAX_BYTES: String(SPOOL_MAX),
        // Batches of a few KB: an empty spool takes one batch whatever its size, so the bound holds
        // exactly only for batches smaller than it.
        TRACEBOX_INGEST_BATCH_SIZE: "50",
      },
    );
    ingestor = await startIngestor(config);
    const { statusUrl } = ingestor;
    const ledger = async () => {
      const sample = await scrape(statusUrl);
      return {
        written: sample("tracebox_ingest_messages_total", { outcome: "written" }) ?? 0,
        unacknowledged: sample("tracebox_ingest_unacknowledged_messages") ?? Number.NaN,
        spoolBytes: sample("tracebox_ingest_spool_bytes") ?? Number.NaN,
      };
    };
    await influx.down();

    const total = 3000;
    const t0 = Date.now() - 3_600_000;
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    const message = (i: number): [string, string] => [
      topic,
      JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + (i % 10), seq: i } }),
    ];
    // The broker acknowledges the station whatever the ingestor does: all 3000 are published.
    const pub = await publisher(testServices().mqttUrl);
    expect((await publishStream(pub, total, message)).size).toBe(total);
    await pub.endAsync();

    // Full: what fits is written (spooled and acknowledged), the rest waits unacknowledged; two
    // samples alike, half a second apart, say the spool has stopped taking batches.
    let previous = await ledger();
    const full = await eventually(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const now = await ledger();
        const settled = now.written === previous.written && now.spoolBytes === previous.spoolBytes;
        previous = now;
        return { ...now, settled };
      },
      (s) => s.settled && s.spoolBytes > 0 && s.unacknowledged > 0,
      30_000,
    );
    const samples = [full];
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      samples.push({ ...(await ledger()), settled: true });
    }
    for (const s of samples) {
      expect(s.spoolBytes).toBeLessThanOrEqual(SPOOL_MAX);
      expect(s.written).toBeLessThan(total);
      expect(s.unacknowledged).toBeGreaterThan(0);
      expect(s.unacknowledged).toBeLessThanOrEqual(config.receiveMaximum);
    }
    // Stalled, not dropping: nothing more is written while the spool stays full.
    expect(samples.at(-1)?.written).toBe(full.written);

    // A stop now (SIGTERM) cannot make the waiting batches durable: it leaves them to the broker
    // and exits instead of waiting for room forever. The restarted ingestor finds its spool and
    // its session's messages again.
    await ingestor.stop();
    ingestor = await startIngestor(config);
    const restarted = ingestor.statusUrl;
    await influx.up();
    expect(
      await eventually(
        () => countPoints(influx.influxUrl, config.influxDb, "reflow", "z1_top_c"),
        (n) => n >= total,
        60_000,
      ),
    ).toBe(total);
    const drained = await eventually(
      async () => {
        const sample = await scrape(restarted);
        return {
          spoolBytes: sample("tracebox_ingest_spool_bytes") ?? Number.NaN,
          unacknowledged: sample("tracebox_ingest_unacknowledged_messages") ?? Number.NaN,
        };
      },
      (s) => s.spoolBytes === 0 && s.unacknowledged === 0,
      30_000,
    );
    expect(drained).toEqual({ spoolBytes: 0, unacknowledged: 0 });
    const [span] = await influxRows(
      influx.influxUrl,
      config.influxDb,
      "SELECT count(seq), min(seq), max(seq), sum(seq) FROM reflow",
    );
    expect(span).toMatchObject({
      count: total,
      min: 0,
      max: total - 1,
      sum: (total * (total - 1)) / 2,
    });
  });
});
