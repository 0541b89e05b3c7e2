import { describe, expect, it } from "vitest";
import { IngestMetrics } from "../ingest/index.ts";
import { countersOf } from "./ingestor-process.ts";
import { batchSizes } from "./pipeline-run.ts";

async function ledger(batches: number[]) {
  const metrics = new IngestMetrics({ defaultMetrics: false });
  for (const points of batches) metrics.batchPoints.observe(points);
  return countersOf(await metrics.registry.metrics());
}

describe("batch sizes of one run, from the ingestor's histogram", () => {
  it("counts the batches of the run alone above a batch size that is a bucket bound", async () => {
    const before = await ledger([60_000]);
    const after = await ledger([60_000, 4000, 5000, 7000, 9000]);
    expect(batchSizes(before, after, 5000)).toEqual({
      overBatchSize: { count: 2, atLeast: false },
      largest: "≤ 10000",
    });
  });

  it("gives a lower bound when the batch size falls between two bounds", async () => {
    const after = await ledger([19_000, 20_000, 30_000, 60_000]);
    // 20 000 is no bucket bound: only the batches above 50 000 are surely over it.
    expect(batchSizes(await ledger([]), after, 20_000)).toEqual({
      overBatchSize: { count: 1, atLeast: true },
      largest: "> 50000",
    });
  });
});
