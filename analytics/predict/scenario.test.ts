import { describe, expect, it } from "vitest";
import { SCENARIO_PARAMETERS, type ScenarioName, simulateLine } from "../../simulator/index.ts";
import {
  mean,
  meanOver,
  type Observation,
  observe,
  type Reading,
} from "../../simulator/observe.ts";
import { analyse, buildDataset, columnsFromRows } from "./index.ts";

// A per-board table built straight from the simulator's messages, as a file given to
// `tracebox predict --input` would be (warehouse-scenarios.test.ts takes the warehouse's own
// unit_features instead): the lot and supplier of every reference designator, and the reflow
// atmosphere, as a second look at bad-lot and o2-rise without the warehouse in between.

function series(observation: Observation, suffix: string): Reading[] {
  for (const [topic, readings] of observation.signals) if (topic.endsWith(suffix)) return readings;
  return [];
}

function boardTable(
  seed: number,
  units: number,
  scenario: ScenarioName,
): Record<string, unknown>[] {
  const observation = observe(
    simulateLine({ seed, units, signalRateHz: 1, profilerEvery: 100_000, scenarios: [scenario] }),
  );
  const oven = series(observation, "/line1/reflow/reflow");
  const nitrogen = series(observation, "/line1/n2/nitrogen");
  const hall = series(observation, "/hall/env01/env");
  const verdict = (test: { result: string } | undefined) =>
    test === undefined ? null : test.result;
  return [...observation.boards.values()].map((board) => {
    const row: Record<string, unknown> = {
      serial: board.serial,
      printed_at: board.printedAt ?? null,
      aoi_first_result: verdict(board.aoi),
      ict_first_result: verdict(board.ict),
      fct_first_result: verdict(board.fct),
    };
    for (const placement of board.placements ?? []) {
      row[`lot_${placement.ref}`] = placement.lot;
      row[`supplier_${placement.ref}`] = placement.supplier ?? null;
    }
    const all: number[] = [];
    for (const [ref, volumes] of board.volumes ?? []) {
      row[`spi_${ref}_volume_mean_pct`] = mean(volumes);
      all.push(...volumes);
    }
    row.spi_volume_mean_pct = all.length > 0 ? mean(all) : null;
    const { reflow } = board;
    if (reflow?.to !== undefined) {
      row.o2_mean_ppm = meanOver(oven, "o2_ppm", reflow.from, reflow.to) ?? null;
      row.n2_mean_bar = meanOver(nitrogen, "pressure_bar", reflow.from, reflow.to) ?? null;
      row.reflow_z7_mean_c = meanOver(oven, "z7_top_c", reflow.from, reflow.to) ?? null;
    }
    if (board.printedAt !== undefined && reflow !== undefined) {
      row.env_humidity_mean_rh =
        meanOver(hall, "humidity_rh", board.printedAt, reflow.from) ?? null;
    }
    return row;
  });
}

const OTHER_TESTS = ["aoi_first_result", "ict_first_result", "fct_first_result"];

function datasetFor(rows: Record<string, unknown>[], label: string) {
  return buildDataset(columnsFromRows(rows), {
    label,
    time: "printed_at",
    exclude: OTHER_TESTS.filter((c) => c !== label),
  });
}

describe("simulator scenario bad-lot: ICT fails on C3/C4 from lot N2544-9117", () => {
  const rows = boardTable(21, 1500, "bad-lot");
  const dataset = datasetFor(rows, "ict_first_result");
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
    const untested = rows.filter((r) => r.ict_first_result === null);
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

describe("simulator scenario o2-rise: FCT fails when the nitrogen pressure drops", () => {
  const rows = boardTable(23, 1500, "o2-rise");
  const { report } = analyse(datasetFor(rows, "fct_first_result"), {
    target: "fct",
    driversOnly: true,
  });

  it("ranks the O2 during reflow first, the nitrogen pressure close behind", () => {
    expect(report.drivers[0]?.feature).toBe("o2_mean_ppm");
    // The nitrogen pressure, the upstream cause, follows within the top three; lots whose reels
    // changed during the same hours ride along (a driver is an association, not a cause).
    const top3 = report.drivers.slice(0, 3).map((d) => d.feature);
    expect(top3).toContain("n2_mean_bar");
    const o2 = report.drivers.find((d) => d.feature === "o2_mean_ppm");
    const n2 = report.drivers.find((d) => d.feature === "n2_mean_bar");
    expect(o2?.cut).toBe("upper quartile");
    expect(n2?.cut).toBe("lower quartile");
    expect(o2?.ciLow as number).toBeGreaterThan(3);
    expect(o2?.summary).toMatch(
      /^boards with o2_mean_ppm above [\d.]+ \(the upper quartile\) failed FCT/,
    );
    expect(n2?.summary).toMatch(
      /^boards with n2_mean_bar below [\d.]+ \(the lower quartile\) failed FCT/,
    );
  });
});
