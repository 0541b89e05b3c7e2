import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { unitVisits, type Visit, Warehouse } from "./index.ts";

let w: Warehouse;
beforeEach(async () => {
  w = await Warehouse.open(":memory:");
});
afterEach(() => w.close());

type Edge = [
  serial: string,
  station: string,
  event: "start" | "complete",
  ts: number,
  extra?: { product?: string; result?: string; line?: string },
];

async function edges(list: Edge[]): Promise<void> {
  for (const [serial, station, event, ts, extra] of list) {
    await w.run(
      `INSERT INTO unit_event (site, line, station, serial, event, product, result, seen, ts)
       VALUES ('S1', $line, $station, $serial, $event, $product, $result, true, $ts)`,
      {
        line: extra?.line ?? "L1",
        station,
        serial,
        event,
        product: extra?.product ?? null,
        result: extra?.result ?? null,
        ts: BigInt(ts),
      },
    );
  }
}

function visit(
  serial: string,
  station: string,
  start: number | null,
  complete: number | null,
  status: Visit["status"],
  extra: Partial<Visit> = {},
): Visit {
  return {
    serial,
    site: "S1",
    line: "L1",
    station,
    start,
    complete,
    result: null,
    product: null,
    panel: null,
    status,
    ...extra,
  };
}

describe("unit_visit", () => {
  it("pairs each start with the next complete of the same serial at the same station", async () => {
    await edges([
      ["A", "printer", "start", 1000, { product: "P1" }],
      ["A", "printer", "complete", 2000, { result: "pass" }],
      ["A", "spi", "start", 3000],
      ["A", "printer", "start", 5000],
      ["A", "printer", "complete", 6000, { result: "fail", product: "P1" }],
      ["B", "printer", "complete", 1500, { result: "pass" }],
    ]);
    expect(await unitVisits(w)).toEqual([
      visit("A", "printer", 1000, 2000, "complete", { product: "P1", result: "pass" }),
      visit("B", "printer", null, 1500, "no_start", { result: "pass" }),
      visit("A", "spi", 3000, null, "open"),
      visit("A", "printer", 5000, 6000, "complete", { product: "P1", result: "fail" }),
    ]);
  });

  it("leaves a start followed by another start open, and pairs a start and complete in the same ms", async () => {
    await edges([
      ["C", "reflow", "start", 100],
      ["C", "reflow", "start", 200],
      ["C", "reflow", "complete", 300, { result: "pass" }],
      ["D", "aoi", "complete", 500, { result: "pass" }],
      ["D", "aoi", "start", 500],
    ]);
    expect(await unitVisits(w)).toEqual([
      visit("C", "reflow", 100, null, "open"),
      visit("C", "reflow", 200, 300, "complete", { result: "pass" }),
      visit("D", "aoi", 500, 500, "complete", { result: "pass" }),
    ]);
  });

  it("never pairs across stations or lines, and a complete after a complete has no start", async () => {
    await edges([
      ["E", "printer", "start", 100],
      ["E", "spi", "complete", 200],
      ["F", "printer", "start", 100],
      ["F", "printer", "complete", 150, { line: "L2" }],
      ["G", "pnp", "start", 10],
      ["G", "pnp", "complete", 20],
      ["G", "pnp", "complete", 30],
    ]);
    const visits = await unitVisits(w);
    expect(visits).toEqual([
      visit("G", "pnp", 10, 20, "complete"),
      visit("G", "pnp", null, 30, "no_start"),
      visit("E", "printer", 100, null, "open"),
      visit("F", "printer", 100, null, "open"),
      { ...visit("F", "printer", null, 150, "no_start"), line: "L2" },
      visit("E", "spi", null, 200, "no_start"),
    ]);
  });

  it("filters by serial, station and overlap with a time range", async () => {
    await edges([
      ["A", "printer", "start", 1000],
      ["A", "printer", "complete", 2000],
      ["B", "printer", "start", 2500],
      ["B", "printer", "complete", 3000],
      ["C", "printer", "start", 3500],
      ["A", "spi", "start", 2100],
      ["A", "spi", "complete", 2200],
    ]);
    const serials = (visits: Visit[]) => visits.map((v) => `${v.serial}@${v.station}`);
    expect(serials(await unitVisits(w, { serial: "A" }))).toEqual(["A@printer", "A@spi"]);
    expect(serials(await unitVisits(w, { station: "printer" }))).toEqual([
      "A@printer",
      "B@printer",
      "C@printer",
    ]);
    // [2000, 2600): A@printer ends at 2000, B starts at 2500; C (open, from 3500) begins after.
    expect(serials(await unitVisits(w, { from: 2000, to: 2600 }))).toEqual([
      "A@printer",
      "A@spi",
      "B@printer",
    ]);
    // An open visit overlaps every range after its start.
    expect(serials(await unitVisits(w, { from: 9000, to: 10_000 }))).toEqual(["C@printer"]);
  });
});
