import { describe, expect, it } from "vitest";
import { PROFILE_WINDOWS, profileKpis, simulateLine, THERMOCOUPLES } from "./index.ts";

// biome-ignore lint/suspicious/noExplicitAny: payloads are read field by field
type Payload = any;

describe("reflow profile", () => {
  it("computes KPIs of a known trace", () => {
    // 25 → 250 °C at 1 °C/s, then down at 1 °C/s: 67 s above 217 on the way up and down.
    const trace: { ts: number; value: number }[] = [];
    for (let second = 0; second <= 450; second++) {
      const value = second <= 225 ? 25 + second : 250 - (second - 225);
      trace.push({ ts: second * 1000, value });
    }
    const kpis = profileKpis(trace);
    expect(kpis.peakC).toBe(250);
    expect(kpis.timeAboveLiquidusS).toBe(67);
    expect(kpis.soakS).toBe(51);
    expect(kpis.maxRampCPerS).toBeCloseTo(1, 5);
  });

  it("keeps every profiled board inside the SAC305 windows", () => {
    const traces = new Map<string, { ts: number; values: Record<string, number> }[]>();
    const visits = new Map<string, { from?: number; to?: number }>();
    const loaded: string[] = [];
    for (const { topic, payload } of simulateLine({
      units: 240,
      signalRateHz: 1,
      profilerEvery: 8,
      profileRateHz: 5,
    })) {
      const body = payload as Payload;
      if (topic.endsWith("/printer/unit") && body.event === "start") loaded.push(body.serial);
      if (topic.endsWith("/reflow/unit")) {
        const visit = visits.get(body.serial) ?? {};
        if (body.event === "start") visit.from = body.ts;
        else visit.to = body.ts;
        visits.set(body.serial, visit);
      }
      if (!topic.endsWith("/reflow/profile")) continue;
      for (const sample of body.samples) {
        const trace = traces.get(sample.serial) ?? [];
        trace.push(sample);
        traces.set(sample.serial, trace);
      }
    }
    // Every 8th board loaded carries the profiler, unless it left the line before reflow.
    const profiled = loaded.filter((serial, index) => index % 8 === 0 && visits.has(serial));
    expect(profiled.length).toBeGreaterThan(25);
    expect([...traces.keys()]).toEqual(profiled);
    for (const [serial, trace] of traces) {
      // The profiler rides through the whole visit.
      const visit = visits.get(serial);
      expect(trace[0]?.ts).toBe(visit?.from);
      const last = trace[trace.length - 1]?.ts as number;
      expect(last).toBeLessThanOrEqual(visit?.to as number);
      expect(last).toBeGreaterThan((visit?.to as number) - 200);
      for (const { field } of THERMOCOUPLES) {
        const kpis = profileKpis(
          trace.map((sample) => ({ ts: sample.ts, value: sample.values[field] as number })),
        );
        const where = `${serial} ${field}`;
        expect(kpis.peakC, where).toBeGreaterThanOrEqual(PROFILE_WINDOWS.peakC.low);
        expect(kpis.peakC, where).toBeLessThanOrEqual(PROFILE_WINDOWS.peakC.high);
        expect(kpis.timeAboveLiquidusS, where).toBeGreaterThanOrEqual(
          PROFILE_WINDOWS.timeAboveLiquidusS.low,
        );
        expect(kpis.timeAboveLiquidusS, where).toBeLessThanOrEqual(
          PROFILE_WINDOWS.timeAboveLiquidusS.high,
        );
        expect(kpis.soakS, where).toBeGreaterThanOrEqual(PROFILE_WINDOWS.soakS.low);
        expect(kpis.soakS, where).toBeLessThanOrEqual(PROFILE_WINDOWS.soakS.high);
        expect(kpis.maxRampCPerS, where).toBeLessThanOrEqual(3);
      }
    }
  });
});
