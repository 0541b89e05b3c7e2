import { describe, expect, it } from "vitest";
import { SCENARIO_PARAMETERS, simulateLine } from "../../simulator/index.ts";
import { observe } from "../../simulator/observe.ts";
import { analyse, buildDataset, columnsFromRows } from "./index.ts";

// The warehouse's per-unit feature table is not built yet, so the per-board table here is built
// straight from the simulator's messages, the way that table would hold them: the lot and supplier
// of every reference designator, the mean SPI volume of its pads, and the ICT verdict.

function boardTable(seed: number, units: number): Record<string, unknown>[] {
  const { boards } = observe(
    simulateLine({ seed, units, signalRateHz: 1, profilerEvery: 100_000, scenarios: ["bad-lot"] }),
  );
  return [...boards.values()].map((board) => {
    const row: Record<string, unknown> = {
      serial: board.serial,
      printed_at: board.printedAt ?? null,
      ict_fail: board.ict === undefined ? null : board.ict.result === "fail",
    };
    for (const placement of board.placements ?? []) {
      row[`lot_${placement.ref}`] = placement.lot;
      row[`supplier_${placement.ref}`] = placement.supplier ?? null;
    }
    for (const [ref, volumes] of board.volumes ?? []) {
      row[`spi_volume_${ref}`] = volumes.reduce((s, v) => s + v, 0) / volumes.length;
    }
    return row;
  });
}

describe("simulator scenario bad-lot: ICT fails on C3/C4 from lot N2544-9117", () => {
  const rows = boardTable(21, 1500);
  const dataset = buildDataset(columnsFromRows(rows), { label: "ict_fail", time: "printed_at" });
  const { report, scores } = analyse(dataset, {
    target: "ict",
    repeats: 1,
    cGrid: [1e-2, 1e-1, 1],
  });
  const { lot } = SCENARIO_PARAMETERS.badLot;

  it("ranks the bad lot of C3 / C4 first, failing far more often", () => {
    const top = report.drivers[0];
    expect(["lot_C3", "lot_C4"]).toContain(top?.feature);
    expect(top?.group).toBe(lot);
    // The documented effect: 44 % of exposed boards fail ICT against 0.7 % of the others.
    expect(top?.ciLow as number).toBeGreaterThan(10);
    expect(top?.groupRate as number).toBeGreaterThan(0.3);
    expect(top?.summary).toContain(`boards with ${top?.feature} = ${lot} failed ICT`);
    // The same lot feeds both references; nothing else comes close.
    expect(
      report.drivers
        .slice(0, 2)
        .map((d) => d.feature)
        .sort(),
    ).toEqual(["lot_C3", "lot_C4"]);
    const third = report.drivers[2];
    expect(third?.p as number).toBeGreaterThan((top?.p as number) * 1e6);
  });

  it("makes a model that finds the boards of that lot", () => {
    expect(report.cv?.auc as number).toBeGreaterThan(0.85);
  });

  it("scores the boards still in the line, those of the bad lot highest", () => {
    const untested = rows.filter((r) => r.ict_fail === null);
    expect(report.untested).toBe(untested.length);
    const byId = new Map(scores.map((s) => [s.id, s.score]));
    const scoreOf = (r: Record<string, unknown>) => byId.get(r.serial as string) as number;
    const bad = untested.filter((r) => r.lot_C3 === lot).map(scoreOf);
    const good = untested.filter((r) => r.lot_C3 !== undefined && r.lot_C3 !== lot).map(scoreOf);
    expect(bad.length).toBeGreaterThan(2);
    expect(good.length).toBeGreaterThan(2);
    // Every untested board of the bad lot outranks every one of a good lot.
    expect(Math.min(...bad)).toBeGreaterThan(Math.max(...good));
    expect(report.risk.atRisk[0]?.id).toBe(
      untested.find((r) => scoreOf(r) === Math.max(...bad))?.serial,
    );
  });
});
