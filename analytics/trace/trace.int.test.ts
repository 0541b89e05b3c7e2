import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createInfluxClient, influxOptionsFrom } from "../../influx/index.ts";
import { type Ingestor, startIngestor } from "../../ingest/index.ts";
import { publishMessages } from "../../simulator/index.ts";
import { testServices } from "../../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../../test/ingest-harness.ts";
import { counted, expectedFor, simulate } from "./fixtures.ts";
import { exportRecords, serialRecord, type TraceError, TraceStore, verifyExport } from "./index.ts";

// The record of serials published through the real broker and ingestor, read from the real
// InfluxDB alone (no warehouse, no archive yet): every point the simulator sent for a serial is in it.
describe("the record of a simulated serial, from InfluxDB through the real pipeline", () => {
  let ingestor: Ingestor | undefined;
  const dir = mkdtempSync(join(tmpdir(), "trace-int-"));
  afterEach(async () => {
    await ingestor?.stop();
    ingestor = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("holds every point published for the serial, measurement by measurement, and exports it verifiably", async () => {
    const services = testServices();
    const { config } = await ingestTestConfig(services);
    ingestor = await startIngestor(config);
    // A run that ended an hour ago, inside the ingestor's time window.
    const start = Date.now() - 3 * 3600_000;
    const run = simulate({
      seed: 12,
      units: 8,
      start,
      signalRateHz: 2,
      profilerEvery: 2,
      prefix: config.topicPrefix,
    });
    const pub = await publisher(services.mqttUrl);
    await publishMessages(run.messages, pub, { speed: 0, maxInFlight: 200 });
    await pub.endAsync();
    const written = await eventually(
      async () =>
        (await ingestor?.metrics.messages.get())?.values.find((v) => v.labels.outcome === "written")
          ?.value ?? 0,
      (n) => n >= run.messages.length,
      60_000,
    );
    expect(written).toBe(run.messages.length);

    const influx = createInfluxClient(influxOptionsFrom(config));
    const store = await TraceStore.open({ tempDirectory: join(dir, "tmp") }, influx);
    try {
      const serials = [
        ...new Set(
          run.points.filter((p) => p.measurement === "unit").map((p) => p.tags.serial as string),
        ),
      ];
      for (const serial of serials.slice(0, 3)) {
        const record = await store.withSession((s) => serialRecord(s, serial));
        const expected = expectedFor(run.points, serial);
        const got = counted(record);
        expect(record.visits.map((v) => [v.station, v.start, v.complete])).toEqual(
          expected.visits.map((v) => [v.station, v.start, v.complete]),
        );
        expect(Object.fromEntries(got.signals), serial).toEqual(
          Object.fromEntries(expected.signals),
        );
        expect(Object.fromEntries(got.environment), serial).toEqual(
          Object.fromEntries(expected.environment),
        );
        expect(Object.fromEntries(got.byMeasurement), serial).toEqual(
          Object.fromEntries(expected.byMeasurement),
        );
        expect(got.events).toBe(expected.events);
        expect(record.completeness.gaps.map((g) => g.kind)).not.toContain("source-unavailable");
      }
      const out = join(dir, "export");
      await exportRecords(store, { serial: serials[0] as string }, { format: "parquet", out });
      expect((await verifyExport(out)).ok).toBe(true);
      const unknown = await store
        .withSession((s) => serialRecord(s, "NO-SUCH-SERIAL"))
        .catch((e: unknown) => e);
      expect((unknown as TraceError).reason).toBe("not-found");
    } finally {
      await store.close();
    }
  });
});
