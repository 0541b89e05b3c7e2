import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildUnitFeatures, insertSignal, Warehouse } from "./index.ts";

// Times in seconds in the fixtures, stored as epoch ms from T0.
const T0 = 1_764_000_000_000;
const at = (seconds: number) => BigInt(T0 + Math.round(seconds * 1000));

let w: Warehouse;
beforeEach(async () => {
  w = await Warehouse.open(":memory:");
  await plant();
});
afterEach(() => w.close());

async function visit(
  serial: string,
  station: string,
  start: number,
  complete: number,
  line = "L1",
): Promise<void> {
  for (const [event, ts] of [
    ["start", start],
    ["complete", complete],
  ] as const) {
    await w.run(
      `INSERT INTO unit_event (site, line, station, serial, event, product, result, seen, ts)
       VALUES ('S1', $line, $station, $serial, $event, 'P1', $result, true, $ts)`,
      {
        line,
        station,
        serial,
        event,
        result: event === "complete" ? "pass" : null,
        ts: at(ts),
      },
    );
  }
}

/** One sample per second over [from, to] s of `value(t)`. */
async function signal(
  measurement: string,
  origin: { site?: string; line: string; station: string; serial?: string },
  field: string,
  from: number,
  to: number,
  value: string,
): Promise<void> {
  await insertSignal(
    w,
    `SELECT $measurement, $site, $line, $station, $serial, $field, ${value}, CAST($t0 AS BIGINT) + t * 1000
     FROM range(CAST($from AS BIGINT), CAST($to AS BIGINT) + 1) r(t)`,
    {
      measurement,
      site: origin.site ?? "S1",
      line: origin.line,
      station: origin.station,
      serial: origin.serial ?? null,
      field,
      t0: BigInt(T0),
      from: BigInt(from),
      to: BigInt(to),
    },
  );
}

async function spiBoard(serial: string, ts: number, pads: [string, number][]): Promise<void> {
  await w.run(
    `INSERT INTO spi_board (site, line, station, serial, product, result, pad_count, ts)
     VALUES ('S1', 'L1', 'spi', $serial, 'P1', 'pass', $count, $ts)`,
    { serial, count: BigInt(pads.length), ts: at(ts) },
  );
  for (const [ref, volume] of pads) {
    await w.run(
      `INSERT INTO spi_pad (site, line, station, serial, ref, volume_pct, ts)
       VALUES ('S1', 'L1', 'spi', $serial, $ref, $volume, $ts)`,
      { serial, ref, volume, ts: at(ts) },
    );
  }
}

async function test(serial: string, kind: string, result: string, ts: number): Promise<void> {
  await w.run(
    `INSERT INTO test_result (site, line, station, serial, kind, result, defect_count, ts)
     VALUES ('S1', 'L1', $kind, $serial, $kind, $result, 0, $ts)`,
    { serial, kind, result, ts: at(ts) },
  );
}

/**
 * U1 (profiled) and U2 (not) through one line; U3 on another line, seen once. Every expected
 * value below is worked out by hand from these shapes.
 */
async function plant(): Promise<void> {
  await visit("U1", "printer", 0, 20);
  await visit("U1", "spi", 30, 40);
  await visit("U1", "reflow", 100, 400);
  await visit("U2", "printer", 450, 470);
  await visit("U2", "reflow", 500, 800);
  await visit("U3", "printer", 0, 10, "L2");

  // Oven zones (constant): zone means 155, 190, 235, 250 °C; O2 = 400 + t ppm.
  const oven = { line: "L1", station: "reflow" };
  for (const [field, c] of [
    ["z1_top_c", 150],
    ["z1_bot_c", 160],
    ["z2_top_c", 190],
    ["z2_bot_c", 190],
    ["z3_top_c", 230],
    ["z3_bot_c", 240],
    ["z4_top_c", 250],
    ["z4_bot_c", 250],
  ] as const) {
    await signal("reflow", oven, field, 0, 1000, String(c));
  }
  await signal("reflow", oven, "o2_ppm", 0, 1000, "400 + t");
  await signal("reflow", oven, "conveyor_cm_min", 0, 1000, "80");
  // The shielding gas on this line falls 1 mbar/s; another line's must not count.
  await signal("nitrogen", { line: "L1", station: "n2" }, "pressure_bar", 0, 1000, "6 - t / 1000");
  await signal("nitrogen", { line: "L2", station: "n2" }, "pressure_bar", 0, 1000, "1");

  // Profiler on U1, 1 Hz: tc1 rises 2 °C/s from 25 °C at t=100 to 245 at t=210, falls 2 °C/s;
  // tc2 rises 1 °C/s to 235 at t=310, falls 1 °C/s until t=330 (215 °C).
  const profiler = { line: "L1", station: "reflow", serial: "U1" };
  await signal(
    "profile",
    profiler,
    "tc1_c",
    100,
    320,
    "CASE WHEN t <= 210 THEN 25 + 2 * (t - 100) ELSE 245 - 2 * (t - 210) END",
  );
  await signal(
    "profile",
    profiler,
    "tc2_c",
    100,
    330,
    "CASE WHEN t <= 310 THEN 25 + (t - 100) ELSE 235 - (t - 310) END",
  );
  await signal("profile", profiler, "battery_v", 100, 330, "3.3");

  // Environment: hall humidity 40 + t/100 %RH at 22 °C, the line's own sensor 60 %RH at 24 °C;
  // another line's and another site's sensors must not count.
  await signal("env", { line: "hall", station: "env01" }, "humidity_rh", 0, 1000, "40 + t / 100");
  await signal("env", { line: "hall", station: "env01" }, "temperature_c", 0, 1000, "22");
  await signal("env", { line: "L1", station: "envL1" }, "humidity_rh", 0, 1000, "60");
  await signal("env", { line: "L1", station: "envL1" }, "temperature_c", 0, 1000, "24");
  await signal("env", { line: "L2", station: "envL2" }, "humidity_rh", 0, 1000, "99");
  await signal("env", { site: "S2", line: "hall", station: "env01" }, "humidity_rh", 0, 1000, "99");

  // U1's first SPI inspection counts; its re-inspection does not.
  await spiBoard("U1", 35, [
    ["U1.1", 100],
    ["U1.2", 60],
    ["C1.1", 140],
    ["C1.2", 90],
    ["R1", 75],
  ]);
  await spiBoard("U1", 60, [
    ["U1.1", 10],
    ["U1.2", 10],
  ]);

  await test("U1", "aoi", "fail", 500);
  await test("U1", "aoi", "pass", 600);
  await test("U1", "fct", "pass", 700);
  await test("U2", "aoi", "pass", 900);
}

type Row = Record<string, unknown>;

async function features(options = {}): Promise<Map<string, Row>> {
  await buildUnitFeatures(w, options);
  const rows = await w.all<Row>("SELECT * FROM unit_features ORDER BY serial");
  return new Map(rows.map((r) => [r.serial as string, r]));
}

describe("buildUnitFeatures", () => {
  it("computes profile KPIs per thermocouple from straight lines between samples", async () => {
    await buildUnitFeatures(w);
    const profile = await w.all<Row>(
      "SELECT thermocouple, samples, peak_c, peak_ts, tal_s, soak_s, ramp_max_c_s FROM unit_reflow_profile ORDER BY thermocouple",
    );
    expect(profile).toHaveLength(2);
    const [tc1, tc2] = profile as [Row, Row];
    // tc1: 217 °C reached at t=196 on the way up and left at t=224: TAL 28 s; 150→200 °C
    // between t=162.5 and t=187.5: soak 25 s; ramp 2 °C/s.
    expect(tc1).toMatchObject({ thermocouple: "tc1_c", samples: 221, peak_c: 245 });
    expect(tc1.peak_ts).toBe(Number(at(210)));
    expect(tc1.tal_s).toBeCloseTo(28, 9);
    expect(tc1.soak_s).toBeCloseTo(25, 9);
    expect(tc1.ramp_max_c_s).toBeCloseTo(2, 9);
    // tc2: above 217 °C from t=292 to t=328: 36 s; soak t=225..275: 50 s; ramp 1 °C/s.
    expect(tc2).toMatchObject({ thermocouple: "tc2_c", samples: 231, peak_c: 235 });
    expect(tc2.tal_s).toBeCloseTo(36, 9);
    expect(tc2.soak_s).toBeCloseTo(50, 9);
    expect(tc2.ramp_max_c_s).toBeCloseTo(1, 9);
  });

  it("summarises the board's profile over its thermocouples", async () => {
    const u1 = (await features()).get("U1") as Row;
    expect(u1).toMatchObject({
      site: "S1",
      line: "L1",
      product: "P1",
      reflow_station: "reflow",
      reflow_start: Number(at(100)),
      reflow_complete: Number(at(400)),
      reflow_source: "profiler",
      reflow_thermocouples: 2,
      reflow_peak_c: 245,
      reflow_peak_min_c: 235,
    });
    expect(u1.reflow_tal_min_s).toBeCloseTo(28, 9);
    expect(u1.reflow_tal_max_s).toBeCloseTo(36, 9);
    expect(u1.reflow_soak_min_s).toBeCloseTo(25, 9);
    expect(u1.reflow_soak_max_s).toBeCloseTo(50, 9);
    expect(u1.reflow_ramp_max_c_s).toBeCloseTo(2, 9);
  });

  it("estimates the profile from the oven's zones when no profiler rode along", async () => {
    const u2 = (await features()).get("U2") as Row;
    // 300 s in 4 zones of 155, 190, 235, 250 °C: 75 s each.
    expect(u2).toMatchObject({
      reflow_source: "zones",
      reflow_thermocouples: 0,
      reflow_peak_c: 250,
      reflow_peak_min_c: null,
    });
    expect(u2.reflow_tal_min_s).toBeCloseTo(150, 9); // zones 3 and 4
    expect(u2.reflow_tal_max_s).toBeCloseTo(150, 9);
    expect(u2.reflow_soak_min_s).toBeCloseTo(150, 9); // zones 1 and 2
    expect(u2.reflow_ramp_max_c_s).toBeCloseTo(45 / 75, 9); // 190 → 235 °C in 75 s
  });

  it("averages O2 at the oven and N2 pressure on its line during the reflow visit", async () => {
    const f = await features();
    const u1 = f.get("U1") as Row;
    // Samples t = 100..400: O2 400 + t, N2 6 − t/1000 bar.
    expect(u1.o2_mean_ppm).toBeCloseTo(650, 9);
    expect(u1.o2_max_ppm).toBe(800);
    expect(u1.n2_min_bar).toBeCloseTo(5.6, 9);
    expect(u1.n2_mean_bar).toBeCloseTo(5.75, 9);
    const u2 = f.get("U2") as Row;
    expect(u2.o2_mean_ppm).toBeCloseTo(1050, 9);
    expect(u2.n2_min_bar).toBeCloseTo(5.2, 9);
    expect(f.get("U3")?.o2_mean_ppm).toBeNull();
  });

  it("takes the environment of the unit's site and line plus its hall, over its time on the line", async () => {
    const f = await features();
    const u1 = f.get("U1") as Row;
    // U1 on the line t = 0..400: hall mean 42 %RH and line sensor 60 %RH, as many samples each.
    expect(u1.env_humidity_mean_rh).toBeCloseTo(51, 9);
    expect(u1.env_humidity_max_rh).toBe(60);
    expect(u1.env_temperature_mean_c).toBeCloseTo(23, 9);
    expect(u1.env_temperature_max_c).toBe(24);
    // U3 on line L2, t = 0..10: hall 40..40.1 %RH and L2's own 99 %RH.
    const u3 = f.get("U3") as Row;
    expect(u3.env_humidity_mean_rh).toBeCloseTo((40.05 + 99) / 2, 9);
    expect(u3.env_temperature_mean_c).toBeCloseTo(22, 9);
    // Only the printer visit (t = 0..20): hall 40..40.2, line 60.
    const printer = (await features({ environmentStations: ["printer"] })).get("U1") as Row;
    expect(printer.env_humidity_mean_rh).toBeCloseTo((40.1 + 60) / 2, 9);
  });

  it("summarises the first SPI inspection per board and per pad group", async () => {
    const u1 = (await features()).get("U1") as Row;
    expect(u1).toMatchObject({
      spi_result: "pass",
      spi_pad_count: 5,
      spi_volume_min_pct: 60,
      spi_volume_max_pct: 140,
      spi_outside_share: 0.4,
      spi_U1_volume_mean_pct: 80,
      spi_U1_outside_share: 0.5,
      spi_C1_volume_mean_pct: 115,
      spi_C1_outside_share: 0.5,
      spi_R1_volume_mean_pct: 75,
      spi_R1_outside_share: 0,
    });
    expect(u1.spi_volume_mean_pct).toBeCloseTo(93, 9);
    const groups = await w.all<Row>(
      "SELECT pad_group, pads, volume_min_pct, volume_max_pct FROM unit_spi_group WHERE serial = 'U1' ORDER BY pad_group",
    );
    expect(groups).toEqual([
      { pad_group: "C1", pads: 2, volume_min_pct: 90, volume_max_pct: 140 },
      { pad_group: "R1", pads: 1, volume_min_pct: 75, volume_max_pct: 75 },
      { pad_group: "U1", pads: 2, volume_min_pct: 60, volume_max_pct: 100 },
    ]);
    const mapped = (await features({ padGroups: { R1: "passives", "C1.1": "passives" } })).get(
      "U1",
    ) as Row;
    expect(mapped.spi_passives_volume_mean_pct).toBeCloseTo((75 + 140) / 2, 9);
    expect(mapped.spi_C1_volume_mean_pct).toBe(90);
    const narrow = (await features({ spiVolumeLowPct: 80, spiVolumeHighPct: 120 })).get(
      "U1",
    ) as Row;
    expect(narrow.spi_outside_share).toBeCloseTo(3 / 5, 9); // 60, 140 and 75
  });

  it("reports the first result of each test kind", async () => {
    const f = await features();
    expect(f.get("U1")).toMatchObject({
      aoi_first_result: "fail",
      axi_first_result: null,
      ict_first_result: null,
      fct_first_result: "pass",
      test_first_fail: true,
    });
    expect(f.get("U2")).toMatchObject({ aoi_first_result: "pass", test_first_fail: false });
    expect(f.get("U3")).toMatchObject({ aoi_first_result: null, test_first_fail: null });
  });

  it("gives the same features whatever the join bucket", async () => {
    const reference = [...(await features()).values()];
    for (const joinBucketMs of [1000, 7000, 3_600_000]) {
      expect([...(await features({ joinBucketMs })).values()]).toEqual(reference);
    }
  });

  it("rebuilds from scratch and refuses options out of range", async () => {
    const first = await buildUnitFeatures(w);
    expect(first).toMatchObject({ units: 3, profiled: 1, zoneEstimated: 1 });
    await w.run(
      "DELETE FROM signal_value WHERE series IN (SELECT id FROM signal_series WHERE measurement = 'profile')",
    );
    const second = await buildUnitFeatures(w, { padGroupColumns: false });
    expect(second).toMatchObject({ units: 3, profiled: 0, zoneEstimated: 2 });
    expect(second.columns).not.toContain("spi_U1_volume_mean_pct");
    await expect(buildUnitFeatures(w, { soakLowC: 210 })).rejects.toMatchObject({
      reason: "bad-option",
    });
    await expect(buildUnitFeatures(w, { joinBucketMs: 10 })).rejects.toThrow(/joinBucketMs=10/);
  });
});

async function place(
  serial: string,
  ref: string,
  lot: string,
  supplier: string | null,
  ts: number,
): Promise<void> {
  await w.run(
    `INSERT INTO placement (site, line, station, serial, ref, part, lot, supplier, ts)
     VALUES ('S1', 'L1', 'pnp', $serial, $ref, 'P-' || $ref, $lot, $supplier, $ts)`,
    { serial, ref, lot, supplier, ts: at(ts) },
  );
}

async function defect(serial: string, kind: string, code: string, ref: string, ts: number) {
  await w.run(
    `INSERT INTO test_defect (site, line, station, serial, kind, code, ref, count, ts)
     VALUES ('S1', 'L1', $kind, $serial, $kind, $code, $ref, 1, $ts)`,
    { serial, kind, code, ref, ts: at(ts) },
  );
}

/** C1 of U1 from lot A (reworked later from lot B), U1 of U1 from lot X; C1 of U2 from lot B. */
async function material(): Promise<void> {
  await place("U1", "C1", "A", "Kemet", 50);
  await place("U1", "U1", "X", null, 50);
  await place("U1", "C1", "B", "Kemet", 650);
  await place("U2", "C1", "B", "Murata", 480);
  // U1's first AOI (t=500) called two defects at U1 and one without a designator; its retest none.
  await defect("U1", "aoi", "insufficient_solder", "U1", 500);
  await defect("U1", "aoi", "bridge", "U1", 500);
  await defect("U1", "aoi", "other", "-", 500);
  await defect("U1", "aoi", "bridge", "C1", 600);
}

describe("placement and lineage by reference designator", () => {
  it("gives each board the lot and supplier first placed at each designator", async () => {
    await material();
    const f = await features();
    expect(f.get("U1")).toMatchObject({
      lot_C1: "A",
      supplier_C1: "Kemet",
      lot_U1: "X",
      supplier_U1: null,
    });
    expect(f.get("U2")).toMatchObject({ lot_C1: "B", supplier_C1: "Murata", lot_U1: null });
    expect(f.get("U3")).toMatchObject({ lot_C1: null, supplier_C1: null });
    const off = await buildUnitFeatures(w, { placementColumns: false });
    expect(off.columns.filter((c) => /^(lot|supplier)_/.test(c))).toEqual([]);
  });

  it("joins each designator's placement, SPI pads and first-test defects", async () => {
    await material();
    const built = await buildUnitFeatures(w);
    expect(built.designators).toBe(4);
    const rows = await w.all<Row>(
      `SELECT serial, ref, lot, supplier, spi_pads, spi_volume_mean_pct, spi_outside_share,
         aoi_defect, aoi_defect_codes, ict_defect, fct_defect
       FROM unit_designator ORDER BY serial, ref`,
    );
    expect(rows).toEqual([
      // The bridge at C1 was called by the retest, not the first AOI.
      {
        serial: "U1",
        ref: "C1",
        lot: "A",
        supplier: "Kemet",
        spi_pads: 2,
        spi_volume_mean_pct: 115,
        spi_outside_share: 0.5,
        aoi_defect: false,
        aoi_defect_codes: null,
        ict_defect: null,
        fct_defect: false,
      },
      {
        serial: "U1",
        ref: "R1",
        lot: null,
        supplier: null,
        spi_pads: 1,
        spi_volume_mean_pct: 75,
        spi_outside_share: 0,
        aoi_defect: false,
        aoi_defect_codes: null,
        ict_defect: null,
        fct_defect: false,
      },
      {
        serial: "U1",
        ref: "U1",
        lot: "X",
        supplier: null,
        spi_pads: 2,
        spi_volume_mean_pct: 80,
        spi_outside_share: 0.5,
        aoi_defect: true,
        aoi_defect_codes: "bridge,insufficient_solder",
        ict_defect: null,
        fct_defect: false,
      },
      {
        serial: "U2",
        ref: "C1",
        lot: "B",
        supplier: "Murata",
        spi_pads: 0,
        spi_volume_mean_pct: null,
        spi_outside_share: null,
        aoi_defect: false,
        aoi_defect_codes: null,
        ict_defect: null,
        fct_defect: null,
      },
    ]);
  });

  it("quotes designator names and binds their values", async () => {
    const hostile = `C9" VARCHAR); DROP TABLE placement; --`;
    await place("U1", hostile, "L'1", "S", 50);
    await place("U2", "C1", "B", "Murata", 480);
    // `c1` would make a column that DuckDB cannot tell from C1's.
    await place("U2", "c1", "Z", "Murata", 480);
    const built = await buildUnitFeatures(w);
    expect(built.columns).toContain(`lot_${hostile}`);
    expect(built.notes).toEqual([`no placement columns for designator 'c1': lot_c1 is taken`]);
    const [row] = await w.all<Row>(
      `SELECT "lot_C9"" VARCHAR); DROP TABLE placement; --" AS lot FROM unit_features WHERE serial = 'U1'`,
    );
    expect(row?.lot).toBe("L'1");
    expect((await w.all("SELECT * FROM placement")).length).toBe(3);
  });

  it("caps the designators with placement columns, keeping those whose lot changes", async () => {
    await material();
    const built = await buildUnitFeatures(w, { maxPlacementDesignators: 1 });
    expect(built.columns.filter((c) => /^(lot|supplier)_/.test(c))).toEqual([
      "lot_C1",
      "supplier_C1",
    ]);
    expect(built.notes).toEqual([
      "placement columns for 1 of 2 reference designators (maxPlacementDesignators); left out, fewest lots first: U1",
    ]);
    await expect(buildUnitFeatures(w, { maxPlacementDesignators: -1 })).rejects.toMatchObject({
      reason: "bad-option",
    });
  });
});
