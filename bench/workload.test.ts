import { describe, expect, it } from "vitest";
import { createDecoder } from "../ingest/contract/index.ts";
import { Workload } from "./workload.ts";

function decodedLines(workload: Workload): string[] {
  const decode = createDecoder({ prefix: workload.options.prefix });
  return [...workload.allMessages()].flatMap((message) => {
    const decoded = decode(message.topic, message.payload);
    if (!decoded.ok) throw new Error(`${decoded.reason}: ${decoded.detail}`);
    return decoded.points.map((p) => p.line);
  });
}

describe("bench workload", () => {
  it.each([
    ["batched samples", 200],
    ["single readings", 1],
  ])(
    "the direct writer stores exactly the lines the ingestor makes of %s",
    (_, samplesPerMessage) => {
      const workload = new Workload({ points: 2_345, prefix: "bench_0", samplesPerMessage });
      const direct = workload.writeBodies(500).flatMap((body) => body.toString().split("\n"));
      expect(direct).toEqual(decodedLines(workload));
      expect(direct).toHaveLength(2_345);
    },
  );

  it("never gives two points the same series and timestamp, all within the last six hours", () => {
    const workload = new Workload({ points: 10_001, prefix: "bench_0", samplesPerMessage: 7 });
    const keys = new Set<string>();
    const now = Date.now();
    for (const body of workload.writeBodies(5000)) {
      for (const line of body.toString().split("\n")) {
        const [series, , ts] = line.split(" ");
        keys.add(`${series} ${ts}`);
        expect(Number(ts)).toBeLessThanOrEqual(now);
        expect(Number(ts)).toBeGreaterThan(now - 6 * 3600 * 1000 - 1000);
      }
    }
    expect(keys.size).toBe(10_001);
  });

  it("spreads a workload too dense for 10 ms steps at 1 ms, and refuses one that cannot fit", () => {
    const dense = new Workload({ points: 3_000_000, prefix: "p", startMs: Date.now() - 500_000 });
    expect(dense.options.stepMs).toBe(1);
    expect(
      () => new Workload({ points: 10_000_000, prefix: "p", startMs: Date.now() - 60_000 }),
    ).toThrow(/do not fit/);
  });
});
