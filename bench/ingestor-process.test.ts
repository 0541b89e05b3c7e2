import { describe, expect, it } from "vitest";
import { IngestMetrics } from "../ingest/index.ts";
import { countersOf } from "./ingestor-process.ts";

describe("the ingestor's ledger as the benchmark reads it from /metrics", () => {
  it("reads counters, the in-flight gauge and the batch histogram of a real exposition", async () => {
    const metrics = new IngestMetrics({ defaultMetrics: false });
    metrics.messages.inc({ outcome: "written" }, 42);
    metrics.messages.inc({ outcome: "rejected" }, 3);
    metrics.pointsWritten.inc(8400);
    metrics.pointsSpooled.inc(7);
    metrics.redelivered.inc(2);
    metrics.writeErrors.inc({ reason: "network" }, 1);
    metrics.writeErrors.inc({ reason: "server" }, 4);
    metrics.inFlight.set(1234);
    for (const points of [200, 4800, 20_000]) metrics.batchPoints.observe(points);
    metrics.writeSeconds.observe(0.25);
    metrics.writeSeconds.observe(0.5);

    const counters = countersOf(await metrics.registry.metrics());
    expect(counters).toMatchObject({
      pointsWritten: 8400,
      pointsSpooled: 7,
      messagesWritten: 42,
      messagesRejected: 3,
      redelivered: 2,
      writeErrors: 5,
      writes: 2,
      writeSeconds: 0.75,
      batches: 3,
      batchPoints: 25_000,
      unacknowledged: 1234,
    });
    expect(counters.batchPointsAtMost).toMatchObject({
      "500": 1,
      "5000": 2,
      "10000": 2,
      "50000": 3,
      "+Inf": 3,
    });
  });
});
