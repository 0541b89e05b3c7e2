import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { gs1CheckDigit } from "./identifiers.ts";
import {
  boardSerial,
  hasValidCheck,
  ndjsonLine,
  resolveSimulatorOptions,
  type SimulatedMessage,
  SimulatorError,
  STATIONS,
  simulateLine,
} from "./index.ts";
import { SETUP_MS } from "./line.ts";

const SMALL = { units: 40, signalRateHz: 2, profilerEvery: 10 } as const;

function digest(messages: Iterable<SimulatedMessage>): string {
  const hash = createHash("sha256");
  for (const message of messages) hash.update(ndjsonLine(message));
  return hash.digest("hex");
}

// biome-ignore lint/suspicious/noExplicitAny: payloads are read field by field
type Payload = any;

const SEGMENT = "[A-Za-z0-9_.-]{1,64}";
const TOPIC = new RegExp(
  `^ems/(${SEGMENT})/(${SEGMENT})/(${SEGMENT})/(unit|spi|test|material|event|pack|[a-z][a-z0-9_]{0,63})$`,
);

/** Station/channel pairs a line publishes, and the hall's. */
const EXPECTED_CHANNELS = new Set([
  ...STATIONS.flatMap((station) => [`${station}/unit`, `${station}/event`]),
  "printer/printer",
  "spi/spi",
  "pnp/material",
  "reflow/reflow",
  "reflow/profile",
  "n2/nitrogen",
  "aoi/test",
  "ict/test",
  "fct/test",
  "pack/pack",
]);

describe("simulateLine", () => {
  it("gives byte-identical output for the same seed and different output for another", () => {
    const first = digest(simulateLine({ ...SMALL, seed: 7 }));
    expect(digest(simulateLine({ ...SMALL, seed: 7 }))).toBe(first);
    expect(digest(simulateLine({ ...SMALL, seed: 8 }))).not.toBe(first);
  });

  it("publishes only contract topics, in time order, with integer ms timestamps", () => {
    const seen = new Set<string>();
    let last = Number.NEGATIVE_INFINITY;
    const messages = [...simulateLine({ ...SMALL, samplesPerMessage: 50 })];
    for (const { ts, topic, payload } of messages) {
      const match = TOPIC.exec(topic);
      expect(match, topic).not.toBeNull();
      const [, site, line, station, channel] = match as RegExpExecArray;
      expect(site).toBe("plant1");
      seen.add(line === "hall" ? `hall/${channel}` : `${station}/${channel}`);
      expect(ts).toBeGreaterThanOrEqual(last);
      last = ts;
      const body = payload as Payload;
      if (body.samples !== undefined) {
        expect(body.samples.length).toBeGreaterThan(0);
        expect(body.samples.length).toBeLessThanOrEqual(50);
        const stamps = new Set<number>();
        for (const sample of body.samples) {
          expect(Number.isInteger(sample.ts)).toBe(true);
          expect(sample.ts).toBeLessThanOrEqual(ts);
          stamps.add(sample.ts);
          for (const value of Object.values(sample.values))
            expect(Number.isFinite(value)).toBe(true);
        }
        expect(stamps.size).toBe(body.samples.length);
      } else {
        expect(body.ts).toBe(ts);
      }
    }
    expect(seen).toEqual(new Set([...EXPECTED_CHANNELS, "hall/env"]));
  });

  it("moves each board through the stations in order, start before complete", () => {
    const visits = new Map<string, string[]>();
    for (const { topic, payload } of simulateLine(SMALL)) {
      if (!topic.endsWith("/unit")) continue;
      const station = topic.split("/")[3] as string;
      const unit = payload as Payload;
      const trail = visits.get(unit.serial) ?? [];
      trail.push(`${station}:${unit.event}`);
      visits.set(unit.serial, trail);
    }
    expect(visits.size).toBe(SMALL.units);
    for (const [serial, trail] of visits) {
      expect(hasValidCheck(serial)).toBe(true);
      const expected = STATIONS.flatMap((station) => [`${station}:start`, `${station}:complete`]);
      // A board that fails a test leaves the line after that station.
      expect(trail).toEqual(expected.slice(0, trail.length));
      expect(trail.length % 2).toBe(0);
    }
  });

  it("packs every passed board once: boxes of boxSize, pallets of boxes, one shipment", () => {
    const packed = new Set<string>();
    const boxes = new Map<string, string[]>();
    const palletBoxes: string[] = [];
    let shipments = 0;
    let passedFct = 0;
    for (const { topic, payload } of simulateLine({
      ...SMALL,
      units: 90,
      boxSize: 10,
      palletBoxes: 4,
    })) {
      const body = payload as Payload;
      if (topic.endsWith("/fct/test") && body.result === "pass") passedFct += 1;
      if (!topic.endsWith("/pack")) continue;
      if (body.kind === "box") {
        for (const serial of body.serials) {
          expect(packed.has(serial)).toBe(false);
          packed.add(serial);
        }
        boxes.set(body.container, body.serials);
      } else if (body.kind === "pallet") {
        expect(body.containers.length).toBeLessThanOrEqual(4);
        palletBoxes.push(...body.containers);
      } else {
        shipments += 1;
        expect(body.destination).toBeTypeOf("string");
      }
    }
    expect(packed.size).toBe(passedFct);
    expect(
      [...boxes.values()].filter((serials) => serials.length !== 10).length,
    ).toBeLessThanOrEqual(1);
    expect(palletBoxes.sort()).toEqual([...boxes.keys()].sort());
    expect(shipments).toBe(1);
  });

  it("runs several sites and lines with their own hall sensors and distinct serials", () => {
    const lines = new Set<string>();
    const serialsByLine = new Map<string, Set<string>>();
    for (const { topic, payload } of simulateLine({
      ...SMALL,
      units: 10,
      sites: 2,
      linesPerSite: 2,
    })) {
      const [, site, line, station] = topic.split("/");
      lines.add(`${site}/${line}`);
      if (station === "printer" && topic.endsWith("/unit")) {
        const key = `${site}/${line}`;
        const set = serialsByLine.get(key) ?? new Set<string>();
        set.add((payload as Payload).serial);
        serialsByLine.set(key, set);
      }
    }
    expect([...lines].sort()).toEqual([
      "plant1/hall",
      "plant1/line1",
      "plant1/line2",
      "plant2/hall",
      "plant2/line1",
      "plant2/line2",
    ]);
    const all = [...serialsByLine.values()].flatMap((set) => [...set]);
    expect(all.length).toBe(40);
    expect(new Set(all).size).toBe(40);
  });

  it("stops loading boards when the duration is over and lets the line empty", () => {
    const options = resolveSimulatorOptions({ durationMs: 20 * 60_000, signalRateHz: 1 });
    const loads: number[] = [];
    let lastComplete = 0;
    for (const { topic, payload } of simulateLine(options)) {
      const unit = payload as Payload;
      if (topic.endsWith("/printer/unit") && unit.event === "start") loads.push(unit.ts);
      if (topic.endsWith("/unit") && unit.event === "complete") lastComplete = unit.ts;
    }
    const end = options.start + SETUP_MS + options.durationMs;
    expect(loads.length).toBeGreaterThan(30);
    expect(Math.max(...loads)).toBeLessThan(end);
    expect(lastComplete).toBeGreaterThan(end);
  });

  it("writes GS1 element strings when asked", () => {
    expect(boardSerial("gs1", 0, Date.UTC(2026, 10, 27), 1)).toBe(
      "(01)04012345123456(21)TBX2611270001",
    );
    // GS1's own examples: GTIN 09501101530003 and SSCC 106141411234567897.
    expect(gs1CheckDigit("0950110153000")).toBe("3");
    expect(gs1CheckDigit("10614141123456789")).toBe("7");
    const [first] = simulateLine({ units: 1, serialFormat: "gs1", signalRateHz: 1 });
    expect(first).toBeDefined();
  });

  it("checks serials with two MOD 1271-36 characters that catch a changed character", () => {
    const serial = boardSerial("datamatrix", 0, Date.UTC(2026, 10, 27), 1);
    expect(serial).toMatch(/^TBX2611270001[0-9A-Z]{2}$/);
    expect(hasValidCheck(serial)).toBe(true);
    expect(hasValidCheck(serial.replace("0001", "0007"))).toBe(false);
    expect(hasValidCheck(serial.replace("TBX", "TBY"))).toBe(false);
  });

  it("refuses bad options by name", () => {
    const attempt = (options: object) => () => resolveSimulatorOptions(options);
    expect(attempt({ units: 0 })).toThrow(SimulatorError);
    expect(attempt({ signalRateHz: -1 })).toThrow(/signalRateHz/);
    expect(attempt({ scenarios: ["nope"] })).toThrow(/unknown scenario "nope"/);
    expect(attempt({ prefix: "a/+" })).toThrow(/prefix/);
    try {
      resolveSimulatorOptions({ samplesPerMessage: 5000 });
    } catch (error) {
      expect(error).toMatchObject({ reason: "invalid_option", field: "samplesPerMessage" });
    }
  });
});
