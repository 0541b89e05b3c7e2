import { describe, expect, it } from "vitest";
import { createDecoder, validatePayload } from "../ingest/contract/index.ts";
import { simulateLine } from "./index.ts";

// The simulator speaks the contract the ingestor reads: every payload validates against the
// contract's schemas, every message decodes, and no two messages would store a point with the
// same measurement, tag set and timestamp (InfluxDB would silently keep only one).

describe("simulated messages against the MQTT contract", () => {
  it("validate, decode and never overwrite each other's points", () => {
    let now = 0;
    const decode = createDecoder({ prefix: "ems", now: () => now });
    const keys = new Set<string>();
    const duplicates: string[] = [];
    let count = 0;
    for (const message of simulateLine({
      units: 120,
      signalRateHz: 5,
      profilerEvery: 20,
      sites: 1,
      linesPerSite: 2,
      scenarios: ["humidity", "stencil-clog", "o2-rise", "bad-lot", "zone-drift"],
    })) {
      count += 1;
      const channel = message.topic.split("/")[4] as string;
      const check = validatePayload(channel, message.payload);
      expect(check, `${message.topic} ${JSON.stringify(message.payload).slice(0, 300)}`).toEqual({
        ok: true,
      });
      now = message.ts;
      const decoded = decode(message.topic, Buffer.from(JSON.stringify(message.payload)));
      if (!("ok" in decoded) || decoded.ok !== true) {
        throw new Error(`${message.topic} refused: ${JSON.stringify(decoded)}`);
      }
      for (const point of decoded.points) {
        const tags = Object.entries(point.tags)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => `${key}=${value}`)
          .join(",");
        const key = `${point.measurement},${tags} ${point.ts}`;
        if (keys.has(key)) duplicates.push(key);
        keys.add(key);
      }
    }
    expect(count).toBeGreaterThan(1000);
    expect(duplicates).toEqual([]);
  });
});
