// The simulator is the reference data: its messages, decoded by the real codec, synced and turned
// into features, must line up with the channel and field names the warehouse expects, and the
// profile KPIs must agree with the simulator's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDecoder, type Decoded } from "../../ingest/contract/index.ts";
import { PROFILE_WINDOWS, profileKpis, simulateLine } from "../../simulator/index.ts";
import { buildUnitFeatures, syncFromInflux, Warehouse } from "./index.ts";
import { FakeInflux } from "./test-support/fake-influx.ts";

type Row = Record<string, unknown>;

let w: Warehouse;
let features: Map<string, Row>;
const traces = new Map<string, Map<string, { ts: number; value: number }[]>>();
let end = 0;

beforeAll(async () => {
  const influx = new FakeInflux();
  const messages = [...simulateLine({ seed: 7, units: 24, signalRateHz: 1, profilerEvery: 8 })];
  const start = messages[0]?.ts ?? 0;
  const decode = createDecoder({
    now: () => start,
    maxPastMs: 86_400_000,
    maxFutureMs: 86_400_000,
  });
  for (const message of messages) {
    const decoded = decode(message.topic, Buffer.from(JSON.stringify(message.payload)));
    if (!decoded.ok) throw new Error(`${message.topic} refused`);
    for (const p of (decoded as Decoded).points) {
      influx.write({ measurement: p.measurement, tags: p.tags, fields: p.fields, time: p.ts });
      end = Math.max(end, p.ts);
      const serial = p.tags.serial;
      if (p.measurement === "profile" && serial) {
        const bySerial = traces.get(serial) ?? new Map();
        traces.set(serial, bySerial);
        for (const [field, value] of Object.entries(p.fields)) {
          bySerial.set(field, [
            ...(bySerial.get(field) ?? []),
            { ts: p.ts, value: value as number },
          ]);
        }
      }
    }
  }
  for (const key of ["spi.pad_count", "test.defect_count", "test_defect.count", "pack.count"])
    influx.integers.add(key);
  w = await Warehouse.open(":memory:");
  await syncFromInflux(w, influx, { now: () => end + 1 });
  await buildUnitFeatures(w);
  const rows = await w.all<Row>("SELECT * FROM unit_features");
  features = new Map(rows.map((r) => [r.serial as string, r]));
}, 60_000);
afterAll(() => w.close());

describe("features of a simulated line", () => {
  it("profiles the boards that carried the profiler, agreeing with the simulator's KPIs", async () => {
    expect(traces.size).toBeGreaterThanOrEqual(2);
    for (const [serial, byField] of traces) {
      const unit = features.get(serial) as Row;
      expect(unit).toMatchObject({ reflow_source: "profiler", reflow_thermocouples: 3 });
      const own = [...byField.values()].map((trace) =>
        profileKpis([...trace].sort((a, b) => a.ts - b.ts)),
      );
      expect(unit.reflow_peak_c).toBe(Math.max(...own.map((k) => k.peakC)));
      // The simulator counts whole sample steps; the warehouse interpolates crossings: one
      // 100 ms step apart at most on each side.
      expect(unit.reflow_tal_min_s as number).toBeCloseTo(
        Math.min(...own.map((k) => k.timeAboveLiquidusS)),
        0,
      );
      expect(unit.reflow_ramp_max_c_s as number).toBeCloseTo(
        Math.max(...own.map((k) => k.maxRampCPerS)),
        6,
      );
      expect(unit.reflow_peak_c as number).toBeGreaterThanOrEqual(PROFILE_WINDOWS.peakC.low);
      expect(unit.reflow_peak_c as number).toBeLessThanOrEqual(PROFILE_WINDOWS.peakC.high);
      expect(unit.reflow_tal_min_s as number).toBeGreaterThanOrEqual(
        PROFILE_WINDOWS.timeAboveLiquidusS.low,
      );
      expect(unit.reflow_soak_min_s as number).toBeGreaterThanOrEqual(PROFILE_WINDOWS.soakS.low);
      expect(unit.reflow_soak_max_s as number).toBeLessThanOrEqual(PROFILE_WINDOWS.soakS.high);
    }
  });

  it("estimates the profile of the other reflowed boards from the oven's zones", () => {
    const reflowed = [...features.values()].filter((f) => f.reflow_complete !== null);
    expect(reflowed.length).toBeGreaterThan(traces.size);
    for (const unit of reflowed) {
      if (traces.has(unit.serial as string)) continue;
      expect(unit.reflow_source).toBe("zones");
      expect(unit.reflow_peak_c as number).toBeGreaterThan(240);
    }
  });

  it("finds O2, N2, hall climate, SPI per pad group and first test results under the simulator's names", () => {
    const reflowed = [...features.values()].filter((f) => f.reflow_complete !== null);
    for (const unit of reflowed) {
      expect(unit.o2_mean_ppm as number).toBeGreaterThan(300);
      expect(unit.o2_mean_ppm as number).toBeLessThan(900);
      expect(unit.n2_min_bar as number).toBeGreaterThan(5);
      expect(unit.env_humidity_mean_rh as number).toBeGreaterThan(35);
      expect(unit.env_humidity_mean_rh as number).toBeLessThan(55);
      expect(unit.env_temperature_mean_c as number).toBeGreaterThan(15);
      expect(unit.spi_pad_count).toBe(145);
      expect(unit.spi_U1_volume_mean_pct as number).toBeGreaterThan(80);
      expect(unit.line).toBe("line1");
      expect(unit.product).toEqual(expect.any(String));
    }
    const tested = [...features.values()].filter((f) => f.aoi_first_result !== null);
    expect(tested.length).toBeGreaterThan(10);
  });
});
