import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

const OUTAGE_MS = 30_000;

// The run's broker, but a database of its own: this test stops it.
describe("tracebox ingest while InfluxDB is down for 30 s", () => {
  let influx: PrivateServices;
  let ingestor: Ingestor | undefined;

  beforeAll(async () => {
    influx = await privateServices(["influxdb"]);
  });
  afterAll(async () => {
    await ingestor?.stop();
    await influx?.dispose();
  });

  it("spools and acknowledges during the outage, then stores every point exactly once and drains the spool", {
    timeout: 150_000,
  }, async () => {
    const { config } = await ingestTestConfig(
      { mqttUrl: testServices().mqttUrl, influxUrl: influx.influxUrl },
      // The outage logs a warning per failed write; the metrics tell the story here.
      { TRACEBOX_LOG_LEVEL: "error" },
    );
    ingestor = await startIngestor(config);
    const { statusUrl } = ingestor;
    const db = config.influxDb;
    const t0 = Date.now() - 3_600_000;
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    // One sample per message, each at its own millisecond: a count of points is a count of messages.
    const message = (i: number): [string, string] => [
      topic,
      JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + (i % 10), seq: i } }),
    ];
    const pub = await publisher(testServices().mqttUrl);
    const ledger = async () => {
      const sample = await scrape(statusUrl);
      return {
        written: sample("tracebox_ingest_messages_total", { outcome: "written" }) ?? 0,
        rejected: sample("tracebox_ingest_messages_total", { outcome: "rejected" }) ?? 0,
        unacknowledged: sample("tracebox_ingest_unacknowledged_messages") ?? Number.NaN,
        spoolBytes: sample("tracebox_ingest_spool_bytes") ?? Number.NaN,
        spooled: sample("tracebox_ingest_points_spooled_total") ?? Number.NaN,
      };
    };

    // Before: straight into InfluxDB, nothing spooled.
    let published = (await publishStream(pub, 1000, message)).size;
    expect(published).toBe(1000);
    expect(
      await eventually(
        () => countPoints(influx.influxUrl, db, "reflow", "z1_top_c"),
        (n) => n === published,
      ),
    ).toBe(published);
    expect(await eventually(ledger, (s) => s.written === published)).toMatchObject({
      written: 1000,
      spoolBytes: 0,
      spooled: 0,
    });

    await influx.down();
    const stoppedAt = Date.now();

    // During: a round of messages at a time, each round waited for in the ledger. The publisher's
    // PUBACK is the broker's, whatever the ingestor does; the ingestor's own acknowledgements show
    // in its ledger: a message counts as written only once its batch is fsynced to the spool and
    // its PUBACK released, and `unacknowledged` is what it still holds back.
    const beforeOutage = published;
    const spoolSeen: number[] = [];
    let rounds = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      const from = published;
      const acked = await publishStream(pub, from + 100, message, { from });
      published += acked.size;
      const state = await eventually(ledger, (s) => s.written === published);
      expect(state).toMatchObject({ written: published, rejected: 0, unacknowledged: 0 });
      expect(state.spooled).toBe(published - beforeOutage);
      spoolSeen.push(state.spoolBytes);
      rounds += 1;
    }
    expect(rounds).toBeGreaterThan(1);
    expect(spoolSeen[0]).toBeGreaterThan(0);
    // Grows round after round: nothing leaves the spool while InfluxDB is away.
    for (let i = 1; i < spoolSeen.length; i++)
      expect(spoolSeen[i]).toBeGreaterThan(spoolSeen[i - 1] as number);
    // On disk, not just in a gauge: the spool files hold every point of the outage.
    const spoolDir = join(config.dataDir, "spool");
    const files = readdirSync(spoolDir).filter((name) => name.endsWith(".lp"));
    const onDisk = files.map((name) => readFileSync(join(spoolDir, name), "utf8"));
    expect(onDisk.reduce((n, text) => n + Buffer.byteLength(text), 0)).toBe(spoolSeen.at(-1));
    expect(onDisk.flatMap((text) => text.split("\n").filter((l) => l !== "")).length).toBe(
      published - beforeOutage,
    );
    const ping = await fetch(`${influx.influxUrl}/ping`).then(
      (r) => r.status,
      () => "refused",
    );
    expect(ping).toBe("refused");

    await influx.up();

    // After: the stream goes on while the spool replays.
    const from = published;
    published += (await publishStream(pub, from + 500, message, { from })).size;
    await pub.endAsync();
    expect(published).toBe(from + 500);

    const drained = await eventually(
      ledger,
      (s) => s.spoolBytes === 0 && s.written === published,
      60_000,
    );
    expect(drained).toMatchObject({
      written: published,
      rejected: 0,
      unacknowledged: 0,
      spoolBytes: 0,
    });
    const stored = await eventually(
      () => countPoints(influx.influxUrl, db, "reflow", "z1_top_c"),
      (n) => n >= published,
    );
    expect(stored).toBe(published);
    // Exactly the published ones: first and last timestamp, and one point per seq.
    const [span] = await influxRows(
      influx.influxUrl,
      db,
      "SELECT count(seq), min(seq), max(seq), sum(seq) FROM reflow",
    );
    expect(span).toMatchObject({
      count: published,
      min: 0,
      max: published - 1,
      sum: (published * (published - 1)) / 2,
    });
    console.log(
      `InfluxDB outage: ${published - beforeOutage - 500} messages spooled in ${rounds} rounds, ${spoolSeen.at(-1)} bytes, all ${published} stored once`,
    );
  });
});
