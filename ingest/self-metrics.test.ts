import { describe, expect, it } from "vitest";
import { IngestMetrics } from "./metrics.ts";
import { selfMetricLines } from "./self-metrics.ts";

describe("selfMetricLines", () => {
  it("writes the ledger and the rejections by reason as points", async () => {
    const metrics = new IngestMetrics({ defaultMetrics: false });
    metrics.messages.inc({ outcome: "written" }, 7);
    metrics.messages.inc({ outcome: "rejected" }, 2);
    metrics.rejected.inc({ reason: "bad_ts" }, 2);
    metrics.pointsWritten.inc(70);
    metrics.spoolBytes.set(1234);
    metrics.writeSeconds.observe(0.5);
    const lines = await selfMetricLines(metrics, "ingest-a", 1_700_000_000_000);
    expect(lines).toEqual([
      "tracebox_ingest,instance=ingest-a connected=0i,messages_rejected=2i,messages_written=7i,points_spooled=0i,points_written=70i,redelivered=0i,spool_bytes=1234i,unacknowledged=0i,write_count=1i,write_seconds_sum=0.5 1700000000000",
      "tracebox_ingest_rejected,instance=ingest-a,reason=bad_ts count=2i 1700000000000",
    ]);
  });
});
