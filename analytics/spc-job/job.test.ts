import { Point } from "@influxdata/influxdb-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Warehouse } from "../warehouse/index.ts";
import {
  AUTOMATIC_BASELINE_AUTHOR,
  approveBaseline,
  currentBaseline,
  listBaselines,
  proposeBaseline,
  resetMonitoring,
  runSpc,
  SpcRunError,
} from "./index.ts";
import { PointLines, seriesKey } from "./lines.ts";
import {
  characteristic,
  fieldsOf,
  insertRows,
  insertSignal,
  insertVisits,
  recordingContext,
  subgroupsOf,
  T0,
  tagsOf,
} from "./testing.ts";

const peak = characteristic({
  name: "reflow_peak",
  source: {
    measurement: "reflow",
    field: "peak_c",
    where: { site: "S1", line: "L1", station: "reflow" },
  },
  subgroup: { size: 5 },
  chart: "xbar-r",
  rules: "qcc",
  lsl: 90,
  usl: 110,
  baseline: { minSubgroups: 10 },
});

/** Readings one a second: subgroup k covers T0 + 5000k .. T0 + 5000k + 4000. */
const subgroupStart = (k: number) => T0 + 5000 * k;

let warehouse: Warehouse;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0 + 86_400_000);
  warehouse = await Warehouse.open(":memory:");
});
afterEach(() => {
  warehouse.close();
  vi.useRealTimers();
});

/** The fields of every `spc_point` of one series, with the timestamp as `ts`. */
function pointsOf(lines: readonly string[], series = "location"): Record<string, unknown>[] {
  return lines
    .filter((l) => l.startsWith("spc_point,") && tagsOf(l).series === series)
    .map((l) => ({ ...fieldsOf(l), ts: Number(l.split(" ").at(-1)) }));
}

describe("frozen baselines", () => {
  it("keeps the approved limits across runs: data far off is judged, it does not move them", async () => {
    await insertSignal(warehouse, subgroupsOf(12), { start: T0 });
    const ctx = recordingContext(warehouse, [peak], Date.now);
    await runSpc(ctx);
    const [first] = await listBaselines(warehouse, "reflow_peak");
    expect(first).toMatchObject({
      version: 1,
      status: "approved",
      createdBy: AUTOMATIC_BASELINE_AUTHOR,
      approvedBy: AUTOMATIC_BASELINE_AUTHOR,
      subgroups: 10,
      windowFrom: T0,
      windowTo: subgroupStart(9) + 4000,
    });
    expect(first?.limits.location.center).toBe(100);
    const before = pointsOf(ctx.lines);
    expect(before.map((p) => p.phase)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);

    await insertSignal(warehouse, subgroupsOf(10, 50), { start: subgroupStart(12) });
    ctx.lines.length = 0;
    await runSpc(ctx);
    const after = pointsOf(ctx.lines);
    expect(after).toHaveLength(10);
    for (const point of after) {
      expect(point).toMatchObject({ cl: 100, lcl: before[0]?.lcl, ucl: before[0]?.ucl, phase: 2 });
      expect(point.value).toBe(150);
    }
    expect(await listBaselines(warehouse, "reflow_peak")).toHaveLength(1);
    expect(ctx.alerts.filter((a) => a.rule === "beyond-limits")).toHaveLength(10);
  });

  it("judges against a new baseline once it is approved, and not before", async () => {
    await insertSignal(warehouse, subgroupsOf(12), { start: T0 });
    const ctx = recordingContext(warehouse, [peak], Date.now);
    await runSpc(ctx);
    await insertSignal(warehouse, subgroupsOf(12, 20), { start: subgroupStart(12) });
    await runSpc(ctx);

    const proposed = await proposeBaseline(warehouse, peak, {
      from: subgroupStart(12),
      to: subgroupStart(24) - 1,
      by: "jane",
      reason: "new solder paste lot, process re-centred",
      now: T0 + 1,
    });
    expect(proposed).toMatchObject({
      version: 2,
      status: "proposed",
      subgroups: 12,
      createdBy: "jane",
    });
    expect(proposed.limits.location.center).toBe(120);

    await insertSignal(warehouse, subgroupsOf(2, 20), { start: subgroupStart(24) });
    ctx.lines.length = 0;
    await runSpc(ctx);
    expect(pointsOf(ctx.lines).map((p) => p.cl)).toEqual([100, 100]);

    const approved = await approveBaseline(warehouse, "reflow_peak", 2, {
      by: "qa-lead",
      now: T0 + 2,
    });
    expect(approved).toMatchObject({
      status: "approved",
      approvedBy: "qa-lead",
      approvedAt: T0 + 2,
    });
    expect((await currentBaseline(warehouse, "reflow_peak"))?.version).toBe(2);
    expect((await listBaselines(warehouse, "reflow_peak")).map((b) => b.status)).toEqual([
      "retired",
      "approved",
    ]);

    await insertSignal(warehouse, subgroupsOf(2, 20), { start: subgroupStart(26) });
    ctx.lines.length = 0;
    ctx.alerts.length = 0;
    await runSpc(ctx);
    const points = pointsOf(ctx.lines);
    expect(points.map((p) => [p.cl, p.baseline_version, p.value])).toEqual([
      [120, 2, 120],
      [120, 2, 120],
    ]);
    expect(ctx.alerts).toEqual([]);
  });

  it("refuses a proposal with fewer subgroups than the baseline needs", async () => {
    await insertSignal(warehouse, subgroupsOf(4), { start: T0 });
    await expect(
      proposeBaseline(warehouse, peak, { from: T0, to: T0 + 60_000, by: "jane", reason: "x" }),
    ).rejects.toMatchObject({ reason: "too-few-subgroups" });
  });

  it("with autoApproveFirst false, proposes the first baseline and waits for a person", async () => {
    await insertSignal(warehouse, subgroupsOf(12), { start: T0 });
    const ctx = recordingContext(warehouse, [peak], Date.now);
    ctx.options = { settleMs: 0, autoApproveFirst: false };
    await runSpc(ctx);
    await runSpc(ctx);
    expect(ctx.lines).toEqual([]);
    const baselines = await listBaselines(warehouse, "reflow_peak");
    expect(baselines.map((b) => b.status)).toEqual(["proposed"]);
    await approveBaseline(warehouse, "reflow_peak", 1, { by: "qa-lead" });
    await runSpc(ctx);
    expect(pointsOf(ctx.lines)).toHaveLength(12);
  });

  it("stops a characteristic whose approved baseline is for another chart, and runs the others", async () => {
    await insertSignal(warehouse, subgroupsOf(12), { start: T0 });
    await insertSignal(warehouse, subgroupsOf(12), { start: T0, field: "tal_s" });
    const tal = characteristic({
      name: "reflow_tal",
      source: { measurement: "reflow", field: "tal_s" },
      subgroup: { size: 5 },
      chart: "xbar-s",
      baseline: { minSubgroups: 10 },
    });
    const ctx = recordingContext(warehouse, [peak, tal], Date.now);
    await runSpc(ctx);
    const changed = { ...peak, chart: "ewma" as const };
    ctx.characteristics = [changed, tal];
    await insertSignal(warehouse, subgroupsOf(1), { start: subgroupStart(12) });
    await insertSignal(warehouse, subgroupsOf(1), { start: subgroupStart(12), field: "tal_s" });
    ctx.lines.length = 0;
    const failure = await runSpc(ctx).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SpcRunError);
    const result = (failure as SpcRunError).result;
    expect(result.characteristics.map((c) => c.error?.reason)).toEqual([
      "baseline-mismatch",
      undefined,
    ]);
    expect(pointsOf(ctx.lines).map((p) => p.ts)).toEqual([subgroupStart(12) + 4000]);
  });
});

/** X̄-S of the reflow's O2 over windows of 10 s, its first baseline from `minSubgroups` windows. */
const o2Windows = (minSubgroups: number) =>
  characteristic({
    name: "o2",
    source: { measurement: "env", field: "o2_ppm", where: { station: "reflow" } },
    subgroup: { windowMs: 10_000 },
    chart: "xbar-s",
    baseline: { minSubgroups },
  });

/** A `signal` row of that O2 channel. */
const o2Reading = (value: number, ts: number) => ({
  measurement: "env",
  site: "S1",
  line: "L1",
  station: "reflow",
  field: "o2_ppm",
  value,
  ts,
});

describe("subgroups", () => {
  it("an incomplete trailing subgroup waits for the next run", async () => {
    const values = subgroupsOf(13);
    await insertSignal(warehouse, values.slice(0, 63), { start: T0 });
    const ctx = recordingContext(warehouse, [peak], Date.now);
    const first = await runSpc(ctx);
    expect(first).toMatchObject({ rowsIn: 63 });
    expect(pointsOf(ctx.lines)).toHaveLength(12);

    ctx.lines.length = 0;
    const idle = await runSpc(ctx);
    expect(idle).toMatchObject({ rowsIn: 3, rowsOut: 0 });

    await insertSignal(warehouse, values.slice(63), { start: T0 + 63_000 });
    const second = await runSpc(ctx);
    expect(second.rowsIn).toBe(5);
    const [point] = pointsOf(ctx.lines);
    expect(point).toMatchObject({ subgroup_size: 5, value: 100, ts: T0 + 64_000 });
  });

  it("a time window is judged once it has closed and settled", async () => {
    const windows = o2Windows(3);
    const values = subgroupsOf(5);
    await insertRows(
      warehouse,
      "signal",
      values.map((value, i) => o2Reading(value, T0 + i * 2000)),
    );
    const ctx = recordingContext(warehouse, [windows], Date.now);
    ctx.options = { settleMs: 1000 };
    vi.setSystemTime(T0 + 40_500);
    await runSpc(ctx);
    // Windows [T0, T0+10 s) ... [T0+30 s, T0+40 s) are closed, but the last one has not settled.
    expect(pointsOf(ctx.lines).map((p) => p.ts)).toEqual([T0 + 8000, T0 + 18_000, T0 + 28_000]);
    vi.setSystemTime(T0 + 41_000);
    ctx.lines.length = 0;
    await runSpc(ctx);
    expect(pointsOf(ctx.lines).map((p) => p.ts)).toEqual([T0 + 38_000]);
    vi.setSystemTime(T0 + 51_000);
    ctx.lines.length = 0;
    await runSpc(ctx);
    expect(pointsOf(ctx.lines).map((p) => p.ts)).toEqual([T0 + 48_000]);

    // In passes smaller than a window, a window cut by the pass limit is never closed early.
    await resetMonitoring(warehouse, "o2");
    const passes = recordingContext(warehouse, [windows], Date.now);
    passes.options = { settleMs: 1000, maxReadingsPerPass: 3 };
    await runSpc(passes);
    expect(pointsOf(passes.lines).map((p) => [p.ts, p.subgroup_size])).toEqual([
      [T0 + 8000, 5],
      [T0 + 18_000, 5],
      [T0 + 28_000, 5],
      [T0 + 38_000, 5],
      [T0 + 48_000, 5],
    ]);
  });

  it("waits for the sync: a window is judged only once the sync has delivered all of it", async () => {
    const windows = o2Windows(2);
    const values = subgroupsOf(5);
    const delivered = (to: number) =>
      warehouse.run(
        `INSERT OR REPLACE INTO sync_watermark (measurement, synced_to, rows_total, updated_at)
         VALUES ('env', $to, 0, 0)`,
        { to },
      );
    // The sync is behind: it has delivered the readings up to T0 + 25 s, the clock says 60 s.
    await insertRows(
      warehouse,
      "signal",
      values.slice(0, 13).map((value, i) => o2Reading(value, T0 + i * 2000)),
    );
    await delivered(T0 + 25_000);
    const ctx = recordingContext(warehouse, [windows], Date.now);
    ctx.options = { settleMs: 1000 };
    vi.setSystemTime(T0 + 60_000);
    await runSpc(ctx);
    // The third window, [T0+20 s, T0+30 s), is only half in the warehouse: it waits.
    expect(pointsOf(ctx.lines).map((p) => p.ts)).toEqual([T0 + 8000, T0 + 18_000]);
    // The sync catches up with the rest of it and the next windows.
    await insertRows(
      warehouse,
      "signal",
      values.slice(13).map((value, i) => o2Reading(value, T0 + (13 + i) * 2000)),
    );
    await delivered(T0 + 59_000);
    ctx.lines.length = 0;
    await runSpc(ctx);
    expect(pointsOf(ctx.lines).map((p) => [p.ts, p.subgroup_size])).toEqual([
      [T0 + 28_000, 5],
      [T0 + 38_000, 5],
      [T0 + 48_000, 5],
    ]);
  });
});

describe("run rules across runs", () => {
  it("detects a run that starts in one run and completes in the next", async () => {
    await insertSignal(warehouse, subgroupsOf(10), { start: T0 });
    await insertSignal(warehouse, subgroupsOf(4, 1), { start: subgroupStart(10) });
    const ctx = recordingContext(warehouse, [peak], Date.now);
    await runSpc(ctx);
    expect(ctx.alerts).toEqual([]);

    await insertSignal(warehouse, subgroupsOf(3, 1), { start: subgroupStart(14) });
    ctx.lines.length = 0;
    await runSpc(ctx);
    expect(ctx.alerts).toHaveLength(1);
    expect(ctx.alerts[0]).toMatchObject({
      rule: "run",
      characteristic: "reflow_peak",
      value: 101,
      limit: 100,
      ts: subgroupStart(16) + 4000,
      source: "spc",
      state: "raised",
    });
    const violation = ctx.lines.find((l) => l.startsWith("spc_violation,"));
    expect(tagsOf(violation ?? "")).toMatchObject({
      rule: "run",
      series: "location",
      side: "upper",
    });
  });

  it("writes the same points and violations in many runs as in one", async () => {
    const values = [
      ...subgroupsOf(10),
      ...subgroupsOf(9, 1),
      ...subgroupsOf(3),
      ...subgroupsOf(8, -1),
    ];
    await insertSignal(warehouse, values, { start: T0 });
    const once = recordingContext(warehouse, [peak], Date.now);
    await runSpc(once);
    await resetMonitoring(warehouse, "reflow_peak");

    const stepwise = recordingContext(warehouse, [peak], Date.now);
    for (let k = 10; k <= 30; k += 4) {
      vi.setSystemTime(subgroupStart(k) + 4001);
      await runSpc(stepwise);
    }
    const results = (lines: string[]) =>
      lines.filter((l) => !l.startsWith("spc_capability,")).sort();
    expect(results(stepwise.lines)).toEqual(results(once.lines));
    expect(once.alerts.map((a) => a.id)).toEqual(stepwise.alerts.map((a) => a.id));
    expect(once.alerts.length).toBeGreaterThan(0);
  });

  it("continues EWMA and CUSUM over every subgroup, past the history kept between runs", async () => {
    // A shift of 0.6 (about 0.8 standard errors) that CUSUM needs some 15 subgroups to signal:
    // far more than the 3 subgroups of history each run keeps.
    await insertSignal(warehouse, [...subgroupsOf(10), ...subgroupsOf(30, 0.6)], { start: T0 });
    const charts = ["cusum", "ewma"].map((chart) =>
      characteristic({
        name: `peak_${chart}`,
        source: {
          measurement: "reflow",
          field: "peak_c",
          where: { site: "S1", line: "L1", station: "reflow" },
        },
        subgroup: { size: 5 },
        chart,
        baseline: { minSubgroups: 10 },
      }),
    );
    const options = { settleMs: 0, historySubgroups: 3 };
    const once = recordingContext(warehouse, charts, Date.now);
    once.options = options;
    await runSpc(once);
    for (const c of charts) await resetMonitoring(warehouse, c.name);

    const stepwise = recordingContext(warehouse, charts, Date.now);
    stepwise.options = options;
    for (let k = 10; k <= 40; k++) {
      vi.setSystemTime(subgroupStart(k) + 4001);
      await runSpc(stepwise);
    }
    const results = (lines: string[]) =>
      lines.filter((l) => !l.startsWith("spc_capability,")).sort();
    expect(results(stepwise.lines)).toEqual(results(once.lines));
    expect(stepwise.alerts.map((a) => a.id)).toEqual(once.alerts.map((a) => a.id));
    // CUSUM signals the shift; EWMA (λ 0.2, 3 sigma) stays within its limits, 1 standard error.
    expect(new Set(once.alerts.map((a) => a.characteristic))).toEqual(new Set(["peak_cusum"]));
    expect(pointsOf(once.lines).length).toBe(2 * 40);
  });
});

describe("alerts", () => {
  it("names the units at the station during the out-of-control subgroup, and none elsewhere", async () => {
    await insertSignal(warehouse, [...subgroupsOf(12), ...subgroupsOf(1, 30)], { start: T0 });
    await insertVisits(
      warehouse,
      Array.from({ length: 13 }, (_, k) => [
        // Each unit is still in the oven when the next subgroup's first reading is taken.
        { serial: `U${k}`, start: subgroupStart(k) + 500, complete: subgroupStart(k) + 5200 },
        {
          serial: `S${k}`,
          start: subgroupStart(k),
          complete: subgroupStart(k) + 4000,
          station: "spi",
        },
      ]).flat(),
    );
    const ctx = recordingContext(warehouse, [peak], Date.now);
    await runSpc(ctx);
    const beyond = ctx.alerts.filter((a) => a.rule === "beyond-limits");
    expect(beyond).toHaveLength(1);
    expect(beyond[0]).toMatchObject({
      serials: ["U11", "U12"],
      value: 130,
      site: "S1",
      line: "L1",
      station: "reflow",
    });
    expect(beyond[0]?.limit).toBe(pointsOf(ctx.lines)[0]?.ucl);
  });

  it("holds every unit since the first point of a run, not only the last subgroup's", async () => {
    await insertSignal(warehouse, [...subgroupsOf(10), ...subgroupsOf(7, 1)], { start: T0 });
    await insertVisits(
      warehouse,
      Array.from({ length: 17 }, (_, k) => ({
        serial: `U${k}`,
        start: subgroupStart(k) + 100,
        complete: subgroupStart(k) + 4100,
      })),
    );
    const ctx = recordingContext(warehouse, [peak], Date.now);
    await runSpc(ctx);
    expect(ctx.alerts.map((a) => a.rule)).toEqual(["run"]);
    expect(ctx.alerts[0]?.serials).toEqual(["U10", "U11", "U12", "U13", "U14", "U15", "U16"]);
    const line = ctx.lines.find((l) => l.startsWith("spc_violation,")) ?? "";
    expect(JSON.parse(String(fieldsOf(line).serials))).toEqual(ctx.alerts[0]?.serials);
    expect(fieldsOf(line).serial_count).toBe(7);
  });

  it("reaches every station of the line for an environmental channel, every line for a hall sensor", async () => {
    const humidity = (name: string, line: string) =>
      characteristic({
        name,
        source: { measurement: "env", field: "humidity_rh", where: { line } },
        subgroup: { size: 5 },
        chart: "xbar-r",
        baseline: { minSubgroups: 10 },
      });
    for (const line of ["L1", "hall"]) {
      await insertRows(
        warehouse,
        "signal",
        [...subgroupsOf(10), ...subgroupsOf(1, 30)].map((value, i) => ({
          measurement: "env",
          site: "S1",
          line,
          station: "sensor1",
          field: "humidity_rh",
          value,
          ts: T0 + i * 1000,
        })),
      );
    }
    const during = { start: subgroupStart(10) + 1000, complete: subgroupStart(10) + 2000 };
    await insertRows(
      warehouse,
      "unit_event",
      [
        { line: "L1", station: "spi", serial: "A" },
        { line: "L1", station: "reflow", serial: "B" },
        { line: "L2", station: "reflow", serial: "C" },
      ].flatMap((visit) => [
        { ...visit, site: "S1", event: "start", ts: during.start },
        { ...visit, site: "S1", event: "complete", ts: during.complete },
      ]),
    );
    const ctx = recordingContext(
      warehouse,
      [humidity("rh_l1", "L1"), humidity("rh_hall", "hall")],
      Date.now,
    );
    await runSpc(ctx);
    const beyond = ctx.alerts.filter((a) => a.rule === "beyond-limits");
    expect(beyond.map((a) => [a.characteristic, a.line, a.station, a.serials])).toEqual([
      ["rh_l1", "L1", "sensor1", ["A", "B"]],
      ["rh_hall", "hall", "sensor1", ["A", "B", "C"]],
    ]);
  });

  it("takes the serials of unit-scoped readings from the readings: SPI boards, test measurements", async () => {
    const spi = characteristic({
      name: "paste_volume",
      source: { measurement: "spi_board", field: "volume_pct_mean", where: { station: "spi" } },
      subgroup: { size: 1 },
      chart: "imr",
      baseline: { minSubgroups: 10 },
    });
    const vcc = characteristic({
      name: "vcc",
      source: { measurement: "test_measurement", field: "value", match: { name: "vcc_v" } },
      subgroup: { size: 1 },
      chart: "imr",
      baseline: { minSubgroups: 10 },
    });
    const volumes = [100, 102, 99, 101, 100, 98, 101, 100, 102, 99, 100, 140, 100];
    await insertRows(
      warehouse,
      "spi_board",
      volumes.map((volume, i) => ({
        site: "S1",
        line: "L1",
        station: "spi",
        serial: `B${i}`,
        volume_pct_mean: volume,
        ts: T0 + i * 1000,
      })),
    );
    await insertRows(
      warehouse,
      "test_measurement",
      volumes.flatMap((volume, i) => [
        {
          site: "S1",
          line: "L1",
          station: "fct",
          serial: `B${i}`,
          kind: "fct",
          name: "vcc_v",
          value: volume / 30,
          ts: T0 + i * 1000,
        },
        {
          site: "S1",
          line: "L1",
          station: "fct",
          serial: `B${i}`,
          kind: "fct",
          name: "i_ma",
          value: 1000 - i,
          ts: T0 + i * 1000,
        },
      ]),
    );
    const ctx = recordingContext(warehouse, [spi, vcc], Date.now);
    const result = await runSpc(ctx);
    expect(result.characteristics.map((c) => c.rowsIn)).toEqual([13, 13]);
    const flagged = ctx.alerts.filter((a) => a.rule === "beyond-limits");
    expect(flagged.map((a) => [a.characteristic, a.serials])).toEqual([
      ["paste_volume", ["B11"]],
      ["vcc", ["B11"]],
    ]);
    const dispersion = ctx.alerts.filter((a) => a.rule === "mr:beyond-limits");
    // The moving range is out at B11 and again at B12: one episode, held since B11.
    expect(dispersion.map((a) => a.serials)).toEqual([
      ["B11"],
      ["B11", "B12"],
      ["B11"],
      ["B11", "B12"],
    ]);
  });

  it("reads a per-serial feature column, from a table that can be named", async () => {
    await warehouse.run(
      "CREATE TABLE features_v2 (serial VARCHAR, line VARCHAR, completed_at BIGINT, reflow_peak_c DOUBLE)",
    );
    const peaks = [245, 246, 244, 245, 247, 243, 245, 246, 244, 245, 280];
    await insertRows(
      warehouse,
      "features_v2",
      peaks.map((p, i) => ({
        serial: `B${i}`,
        line: "L1",
        completed_at: T0 + i,
        reflow_peak_c: p,
      })),
    );
    const feature = characteristic({
      name: "unit_peak",
      source: { feature: "reflow_peak_c", where: { line: "L1" } },
      subgroup: { size: 1 },
      chart: "imr",
      baseline: { minSubgroups: 10 },
    });
    const ctx = recordingContext(warehouse, [feature], Date.now);
    ctx.options = {
      settleMs: 0,
      features: { table: "features_v2", serialColumn: "serial", tsColumn: "completed_at" },
    };
    await runSpc(ctx);
    expect(ctx.alerts.find((a) => a.rule === "beyond-limits")?.serials).toEqual(["B10"]);
    expect(tagsOf(ctx.lines[0] ?? "")).toMatchObject({ line: "L1", site: "*", station: "*" });

    // The default layout (unit_features, first_seen) is not this table's.
    ctx.options = { settleMs: 0 };
    const failure = await runSpc(ctx).catch((error: unknown) => error);
    const error = (failure as SpcRunError).result.characteristics[0]?.error;
    expect(error?.reason).toBe("unknown-feature");
    expect(error?.message).toContain("unit_features is not in the warehouse");

    // A feature ordered by the time it is known at, rather than the table's time column.
    await warehouse.run("ALTER TABLE features_v2 ADD COLUMN reflow_done BIGINT");
    await warehouse.run("UPDATE features_v2 SET reflow_done = completed_at + 1000");
    const byReflow = {
      ...feature,
      name: "unit_peak_at_reflow",
      source: { ...feature.source, time: "reflow_done" },
    };
    const timed = recordingContext(warehouse, [byReflow], Date.now);
    timed.options = {
      settleMs: 0,
      features: { table: "features_v2", serialColumn: "serial", tsColumn: "nope" },
    };
    await runSpc(timed);
    expect(pointsOf(timed.lines).at(-1)?.ts).toBe(T0 + 10 + 1000);
  });
});

describe("results in InfluxDB", () => {
  it("rewrites the same lines and alerts when the same data is judged again", async () => {
    await insertSignal(
      warehouse,
      [...subgroupsOf(12), ...subgroupsOf(8, 1), ...subgroupsOf(1, 9)],
      {
        start: T0,
      },
    );
    await insertVisits(
      warehouse,
      Array.from({ length: 21 }, (_, k) => ({
        serial: `U${k}`,
        start: subgroupStart(k),
        complete: subgroupStart(k) + 4000,
      })),
    );
    const ctx = recordingContext(warehouse, [peak], Date.now);
    await runSpc(ctx);
    const first = { lines: [...ctx.lines], alerts: [...ctx.alerts] };
    expect(first.alerts.length).toBeGreaterThan(0);
    await resetMonitoring(warehouse, "reflow_peak");
    ctx.lines.length = 0;
    ctx.alerts.length = 0;
    await runSpc(ctx);
    expect(ctx.lines).toEqual(first.lines);
    expect(ctx.alerts).toEqual(first.alerts);
  });

  it("writes points, violations and capability as line protocol", async () => {
    await insertSignal(warehouse, [...subgroupsOf(10), ...subgroupsOf(1, 9)], { start: T0 });
    const ctx = recordingContext(warehouse, [peak], Date.now);
    const result = await runSpc(ctx);
    const baseline = await currentBaseline(warehouse, "reflow_peak");
    const x = baseline?.limits.location;
    const r = baseline?.limits.dispersion;
    expect(result.rowsOut).toBe(ctx.lines.length);
    expect(ctx.lines[0]).toBe(
      `spc_point,characteristic=reflow_peak,chart=xbar,line=L1,series=location,site=S1,station=reflow baseline_version=1i,cl=100,lcl=${x?.lcl},phase=1i,subgroup_size=5i,ucl=${x?.ucl},value=100 ${T0 + 4000}`,
    );
    expect(ctx.lines[11]).toBe(
      `spc_point,characteristic=reflow_peak,chart=r,line=L1,series=dispersion,site=S1,station=reflow baseline_version=1i,cl=4,lcl=0,phase=1i,subgroup_size=5i,ucl=${r?.ucl},value=4 ${T0 + 4000}`,
    );
    const id = `spc/reflow_peak/location/beyond-limits/upper/${subgroupStart(10) + 4000}`;
    expect(ctx.lines[22]).toBe(
      `spc_violation,characteristic=reflow_peak,line=L1,rule=beyond-limits,series=location,side=upper,site=S1,station=reflow id="${id}",limit=${x?.ucl},serial_count=0i,serials="[]",value=109 ${subgroupStart(10) + 4000}`,
    );
    const capability = ctx.lines[23] ?? "";
    expect(
      capability.startsWith(
        "spc_capability,characteristic=reflow_peak,line=L1,site=S1,station=reflow ",
      ),
    ).toBe(true);
    expect(fieldsOf(capability)).toMatchObject({
      n: 55,
      subgroups: 11,
      sigma_method: "UWAVE-R",
      baseline_version: 1,
    });
    expect(ctx.lines).toHaveLength(24);
  });

  it("formats a point exactly as the client library's Point does", () => {
    const key = seriesKey("spc_point", {
      characteristic: "o2 ppm,hall",
      site: "S=1",
      line: "L1",
      station: "reflow",
      chart: "cusum",
      series: "location",
    });
    const expected = new Point("spc_point")
      .tag("characteristic", "o2 ppm,hall")
      .tag("site", "S=1")
      .tag("line", "L1")
      .tag("station", "reflow")
      .tag("chart", "cusum")
      .tag("series", "location")
      .intField("baseline_version", 3)
      .floatField("cl", 0)
      .floatField("lcl", -5)
      .floatField("lower", -1.5e21)
      .floatField("mean", 1e-7)
      .intField("phase", 2)
      .intField("subgroup_size", 5)
      .floatField("ucl", 5)
      .floatField("value", 0.1 + 0.2)
      .timestamp(String(T0))
      .toLineProtocol();
    const lines = new PointLines(key, 3);
    expect(lines.line(0.1 + 0.2, 0, -5, 5, 5, 2, T0, 1e-7, -1.5e21)).toBe(expected);
    // The limits' text is reused only while the limits stay the same.
    expect(lines.line(1, 0, -6, 6, 5, 2, T0 + 1)).toBe(
      `${key} baseline_version=3i,cl=0,lcl=-6,phase=2i,subgroup_size=5i,ucl=6,value=1 ${T0 + 1}`,
    );
  });
});

describe("X̄-R and X̄-S judged as columns", () => {
  /** A reflow peak of normal noise (a fixed LCG and Box-Muller) with a shift, a drift and a saw-tooth. */
  function realisticPeaks(count: number): number[] {
    let state = 42;
    const uniform = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    return Array.from({ length: count }, (_, i) => {
      const stretch = Math.floor(i / 200) % 4;
      const shift =
        stretch === 1 ? 1.5 : stretch === 2 ? (i % 200) * 0.01 : stretch === 3 ? (i % 2) * 3 : 0;
      const noise = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
      return 245 + shift + noise;
    });
  }

  const charts = [
    { chart: "xbar-r", rules: "qcc", subgroup: { size: 5 } },
    { chart: "xbar-s", rules: "we", subgroup: { size: 4 } },
    { chart: "xbar-r", rules: "nelson", subgroup: { windowMs: 7000, minSize: 3 } },
  ].map((c, i) =>
    characteristic({
      ...c,
      name: `peak_${i}`,
      source: {
        measurement: "reflow",
        field: "peak_c",
        where: { site: "S1", line: "L1", station: "reflow" },
      },
      lsl: 240,
      usl: 250,
      baseline: { minSubgroups: 20 },
    }),
  );

  it("writes the same lines and sends the same alerts as the per-point path, run by run", async () => {
    await insertSignal(warehouse, realisticPeaks(1600), { start: T0 });
    await insertVisits(
      warehouse,
      Array.from({ length: 320 }, (_, k) => ({
        serial: `U${k}`,
        start: subgroupStart(k) + 100,
        complete: subgroupStart(k) + 4500,
      })),
    );
    const judgedBy = async (perPointOnly: boolean) => {
      for (const c of charts) await resetMonitoring(warehouse, c.name);
      const ctx = recordingContext(warehouse, charts, Date.now);
      ctx.perPointOnly = perPointOnly;
      ctx.options = { settleMs: 0, maxReadingsPerPass: 333, writeBatchLines: 97 };
      // A backlog in passes, then runs that each bring a few new subgroups.
      vi.setSystemTime(T0 + 1_000_000);
      const results = [await runSpc(ctx)];
      for (let t = 1_100_000; t <= 1_600_000; t += 100_000) {
        vi.setSystemTime(T0 + t);
        results.push(await runSpc(ctx));
      }
      return { lines: ctx.lines, alerts: ctx.alerts, results };
    };
    const columns = await judgedBy(false);
    const perPoint = await judgedBy(true);
    expect(columns.alerts.length).toBeGreaterThan(100);
    expect(new Set(columns.alerts.map((a) => a.rule)).size).toBeGreaterThan(6);
    expect(columns.alerts.some((a) => a.serials.length > 1)).toBe(true);
    expect(columns.lines).toHaveLength(perPoint.lines.length);
    expect(columns.lines).toEqual(perPoint.lines);
    expect(columns.alerts).toEqual(perPoint.alerts);
    expect(columns.results).toEqual(perPoint.results);
  });
});

describe("a failed InfluxDB write", () => {
  it("commits nothing: the next run writes and alerts everything, as a first run would", async () => {
    await insertSignal(warehouse, [...subgroupsOf(12), ...subgroupsOf(8, 1)], { start: T0 });
    await insertVisits(
      warehouse,
      Array.from({ length: 20 }, (_, k) => ({
        serial: `U${k}`,
        start: subgroupStart(k),
        complete: subgroupStart(k) + 4000,
      })),
    );
    const failing = recordingContext(warehouse, [peak], Date.now);
    failing.options = { settleMs: 0, writeBatchLines: 5 };
    let calls = 0;
    failing.influx = {
      write: async () => {
        calls++;
        if (calls === 2) throw new Error("503 Service Unavailable");
      },
    };
    const failure = await runSpc(failing).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SpcRunError);
    const error = (failure as SpcRunError).result.characteristics[0]?.error;
    expect(error).toMatchObject({ reason: "influx-write", retryable: true });
    expect(failing.alerts).toEqual([]);

    const retry = recordingContext(warehouse, [peak], Date.now);
    await runSpc(retry);
    await resetMonitoring(warehouse, "reflow_peak");
    const fresh = recordingContext(warehouse, [peak], Date.now);
    await runSpc(fresh);
    expect(retry.alerts.length).toBeGreaterThan(0);
    expect(retry.alerts.some((a) => a.serials.length > 0)).toBe(true);
    expect(retry.lines).toEqual(fresh.lines);
    expect(retry.alerts).toEqual(fresh.alerts);
  });
});
