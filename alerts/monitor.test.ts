import { describe, expect, it } from "vitest";
import { type Alert, type AlertSink, parseAlertsSection, SpecMonitor } from "./index.ts";

class Recorder implements AlertSink {
  readonly name = "recorder";
  readonly alerts: Alert[] = [];
  send(alert: Alert): void {
    this.alerts.push(alert);
  }
  async drain(): Promise<void> {}
  async close(): Promise<void> {}
}

function setup(rule: Record<string, unknown>) {
  const config = parseAlertsSection({ rules: [{ name: "r", ...rule }] });
  const sink = new Recorder();
  const monitor = new SpecMonitor(config, [sink]);
  const reading = (
    measurement: string,
    field: string,
    value: number,
    ts: number,
    tags: Record<string, string> = {},
  ) =>
    monitor.observe({
      measurement,
      tags: { site: "p1", line: "smt1", station: "oven", ...tags },
      fields: { [field]: value },
      ts,
    });
  const unit = (
    station: string,
    serial: string,
    event: "start" | "complete",
    ts: number,
    line = "smt1",
  ) =>
    monitor.observe({
      measurement: "unit",
      tags: { site: "p1", line, station, serial, event },
      fields: { seen: true },
      ts,
    });
  return { sink, monitor, reading, unit };
}

describe("SpecMonitor", () => {
  it("raises once when a reading leaves the window and clears once when it returns", () => {
    const { sink, reading } = setup({ characteristic: "reflow.o2_ppm", high: 1000 });
    for (const [i, v] of [900, 1200, 1300, 1250, 950, 940].entries())
      reading("reflow", "o2_ppm", v, 1000 + i);
    expect(sink.alerts.map((a) => [a.state, a.value, a.limit, a.ts])).toEqual([
      ["raised", 1200, 1000, 1001],
      ["cleared", 950, 1000, 1004],
    ]);
    expect(sink.alerts[0]?.id).toBe(sink.alerts[1]?.id);
    expect(sink.alerts[0]).toMatchObject({
      rule: "r",
      characteristic: "reflow.o2_ppm",
      site: "p1",
      line: "smt1",
      station: "oven",
      source: "spec",
    });
  });

  it("debounces: a spike shorter than debounceMs raises nothing, a longer excursion raises once", () => {
    const { sink, reading } = setup({
      characteristic: "env.humidity_rh",
      low: 30,
      high: 60,
      debounceMs: 2000,
    });
    reading("env", "humidity_rh", 61, 0);
    reading("env", "humidity_rh", 62, 1500);
    reading("env", "humidity_rh", 55, 1900); // back before 2 s: no alert
    expect(sink.alerts).toEqual([]);
    reading("env", "humidity_rh", 65, 10_000);
    reading("env", "humidity_rh", 66, 11_999);
    expect(sink.alerts).toEqual([]);
    reading("env", "humidity_rh", 66, 12_000); // out for exactly 2 s
    expect(sink.alerts.map((a) => a.state)).toEqual(["raised"]);
    reading("env", "humidity_rh", 50, 13_000);
    reading("env", "humidity_rh", 70, 14_000); // not back long enough
    reading("env", "humidity_rh", 50, 15_000);
    reading("env", "humidity_rh", 50, 17_000);
    expect(sink.alerts.map((a) => [a.state, a.ts])).toEqual([
      ["raised", 12_000],
      ["cleared", 17_000],
    ]);
  });

  it("hysteresis: a noisy signal around the limit raises once and clears only well inside", () => {
    const { sink, reading } = setup({
      characteristic: "nitrogen.pressure_bar",
      low: 5.5,
      hysteresis: 0.2,
    });
    const noisy = [5.6, 5.45, 5.52, 5.48, 5.55, 5.49, 5.6, 5.65, 5.69, 5.71, 5.8];
    for (const [i, v] of noisy.entries()) reading("nitrogen", "pressure_bar", v, i * 100);
    expect(sink.alerts.map((a) => [a.state, a.value, a.limit])).toEqual([
      ["raised", 5.45, 5.5],
      ["cleared", 5.71, 5.5],
    ]);
  });

  it("a reading exactly on a limit is in spec", () => {
    const { sink, reading } = setup({ characteristic: "env.humidity_rh", low: 30, high: 60 });
    reading("env", "humidity_rh", 60, 1);
    reading("env", "humidity_rh", 30, 2);
    expect(sink.alerts).toEqual([]);
  });

  it("keeps stations apart and honours the where filter", () => {
    const { sink, reading } = setup({
      characteristic: "reflow.o2_ppm",
      high: 1000,
      where: { line: "smt1" },
    });
    reading("reflow", "o2_ppm", 1500, 1, { station: "oven-a" });
    reading("reflow", "o2_ppm", 1500, 1, { station: "oven-b" });
    reading("reflow", "o2_ppm", 1500, 1, { line: "smt2" });
    expect(sink.alerts.map((a) => a.station)).toEqual(["oven-a", "oven-b"]);
  });

  it("ignores late readings older than the latest one", () => {
    const { sink, reading } = setup({ characteristic: "reflow.o2_ppm", high: 1000 });
    reading("reflow", "o2_ppm", 900, 10);
    reading("reflow", "o2_ppm", 5000, 5);
    expect(sink.alerts).toEqual([]);
  });

  it("names the units at the station for a station signal", () => {
    const { sink, reading, unit } = setup({ characteristic: "reflow.o2_ppm", high: 1000 });
    unit("oven", "SN-1", "start", 1);
    unit("oven", "SN-2", "start", 2);
    unit("aoi", "SN-0", "start", 2);
    unit("oven", "SN-1", "complete", 3);
    reading("reflow", "o2_ppm", 1200, 4);
    expect(sink.alerts[0]?.serials).toEqual(["SN-2"]);
  });

  it("an environmental reading exposes every unit of its line, a hall sensor every unit of its site", () => {
    const { sink, reading, unit } = setup({ characteristic: "env.humidity_rh", high: 60 });
    unit("printer", "SN-1", "start", 1);
    unit("oven", "SN-2", "start", 1);
    unit("printer", "SN-9", "start", 1, "smt2");
    reading("env", "humidity_rh", 70, 5, { line: "smt1", station: "env01" });
    reading("env", "humidity_rh", 70, 5, { line: "hall", station: "env02" });
    expect(sink.alerts.map((a) => [a.line, a.serials])).toEqual([
      ["smt1", ["SN-1", "SN-2"]],
      ["hall", ["SN-1", "SN-2", "SN-9"]],
    ]);
  });

  it("restored raised alerts are cleared, not raised again", () => {
    const config = parseAlertsSection({
      rules: [{ name: "r", characteristic: "reflow.o2_ppm", high: 1000 }],
    });
    const sink = new Recorder();
    const monitor = new SpecMonitor(config, [sink], undefined, [
      {
        id: "r/p1/smt1/oven/1",
        rule: "r",
        site: "p1",
        line: "smt1",
        station: "oven",
        limit: 1000,
        ts: 1,
      },
    ]);
    monitor.observe({
      measurement: "reflow",
      tags: { site: "p1", line: "smt1", station: "oven" },
      fields: { o2_ppm: 1500 },
      ts: 10,
    });
    monitor.observe({
      measurement: "reflow",
      tags: { site: "p1", line: "smt1", station: "oven" },
      fields: { o2_ppm: 500 },
      ts: 11,
    });
    expect(sink.alerts.map((a) => [a.state, a.id])).toEqual([["cleared", "r/p1/smt1/oven/1"]]);
  });
});

describe("parseAlertsSection", () => {
  it("names the bad field", () => {
    expect(() =>
      parseAlertsSection({ rules: [{ name: "x", characteristic: "humidity", high: 1 }] }),
    ).toThrow(/alerts\.rules\.0\.characteristic="humidity": expected <measurement>\.<field>/);
    expect(() => parseAlertsSection({ rules: [{ name: "x", characteristic: "env.h" }] })).toThrow(
      /needs low, high or both/,
    );
    expect(() =>
      parseAlertsSection({ rules: [{ name: "x", characteristic: "env.h", low: 5, high: 1 }] }),
    ).toThrow(/low 5 must be below high 1/);
    expect(() => parseAlertsSection({ webhooks: [{ url: "ftp://x" }] })).toThrow(
      /alerts\.webhooks\.0\.url="ftp:\/\/x": expected an http\(s\) URL/,
    );
    expect(() => parseAlertsSection({ rulez: [] })).toThrow(/alerts/);
  });
});

describe("tracebox.example.yaml", () => {
  it("has a valid alerts section with the documented windows", async () => {
    const { loadConfig } = await import("../config/index.ts");
    const file = new URL("../tracebox.example.yaml", import.meta.url).pathname;
    const config = parseAlertsSection(
      loadConfig({ env: { TRACEBOX_CONFIG: file } }).config.sections.alerts,
    );
    expect(config.rules.map((r) => [r.characteristic, r.low, r.high])).toEqual([
      ["env.humidity_rh", 30, 60],
      ["nitrogen.pressure_bar", 5.5, Number.POSITIVE_INFINITY],
      ["reflow.o2_ppm", Number.NEGATIVE_INFINITY, 1000],
    ]);
  });
});
