import { describe, expect, it } from "vitest";
import { RESULT_MEASUREMENT_PREFIXES, RESULT_MEASUREMENTS } from "../analytics/warehouse/index.ts";
import { checkSignalChannel } from "../ingest/contract/index.ts";

// What the jobs and the ingestor write into InfluxDB themselves must never arrive as a station's
// signal channel: its readings would mix into results and ledgers, and the sync would skip them.
describe("measurements tracebox writes itself", () => {
  it("are refused as signal channels, each and every prefix", () => {
    const names = [...RESULT_MEASUREMENTS, ...RESULT_MEASUREMENT_PREFIXES.map((p) => `${p}x`)];
    for (const name of names) expect(checkSignalChannel(name)?.reason, name).toBe("bad_topic");
  });
});
