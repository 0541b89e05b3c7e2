import type { ParetoScope, Period } from "./options.ts";

/**
 * Yield of one test step (site, line, station, kind) for one product, over the cohort of serials
 * whose FIRST result at that step falls in the period. Later results of those serials (retests,
 * a scrap) count in the same row, whenever they happen.
 */
export interface StationYield {
  level: "station";
  period: Period;
  /** Period start, epoch ms (local midnight / hour of the plant's fixed UTC offset). */
  start: number;
  site: string;
  line: string;
  station: string;
  /** Test kind (`aoi`, `axi`, `ict`, `fct`) of `test_result`, or `visit` for unit verdicts. */
  kind: string;
  /** The serial's product from its unit events at the site, `-` when none names one. */
  product: string;
  /** Serials with a first result at this step in the period, count. */
  tested: number;
  /** Of those, serials whose first result passed, count. */
  firstPassPassed: number;
  /** First-pass yield: firstPassPassed / tested, fraction 0..1. */
  fpy: number;
  /** Serials with more than one result at this step (retested for any reason), count. */
  retested: number;
  /** Results after the first (all retests of all serials), count. */
  retests: number;
  /** Retested serials whose final result passed and that were not scrapped here, count. */
  retestPassed: number;
  /** retestPassed / retested, fraction 0..1; null when no serial was retested. */
  retestPassRate: number | null;
  /** Serials whose last result passed and that were not scrapped at this station, count. */
  finalPassed: number;
  /** Final yield after retests: finalPassed / tested, fraction 0..1. */
  finalYield: number;
  /** Tested serials with a unit `complete` result `scrap` at this station, count. */
  scrapped: number;
}

/**
 * Rolled throughput yield of one line and product in one period, both ways. The route is the set of
 * steps that tested a unit of the product in the period (the steps of its {@link StationYield} rows).
 */
export interface RouteYield {
  level: "route";
  period: Period;
  /** Period start, epoch ms. */
  start: number;
  site: string;
  line: string;
  product: string;
  /** Steps on the route in this period, count. */
  steps: number;
  /** Product of the route's first-pass yields, fraction 0..1. */
  rty: number;
  /** Units first tested on the line in the period whose outcome is known (see `unitsPending`), count. */
  units: number;
  /** Of those, units that passed every route step first time and were never scrapped on the line, count. */
  unitsPassedAll: number;
  /** Per-unit ("true") RTY: unitsPassedAll / units, fraction 0..1; null when units is 0. */
  rtyUnits: number | null;
  /** Units with only first-pass passes so far that have not yet been tested at every route step, count. */
  unitsPending: number;
  /** Decided units scrapped anywhere on the line, count. */
  unitsScrapped: number;
}

/** A row of the `yield` measurement: one step's yield, or one route's rolled throughput yield. */
export type YieldRow = StationYield | RouteYield;

/** One bar of a defect Pareto of a line and product in a period. */
export interface ParetoRow {
  period: Period;
  /** Period start, epoch ms (of the cohort: the serial's first result at the step). */
  start: number;
  site: string;
  line: string;
  product: string;
  scope: ParetoScope;
  /** What the bars are: defect codes, or reference designators (`-` for defects naming none). */
  by: "code" | "ref";
  /** The defect code or the reference designator. */
  key: string;
  /** Defect calls, count (the `count` of `test_defect`, summed). */
  count: number;
  /** Distinct serials with at least one such call, count. */
  units: number;
  /** count / all calls of the Pareto, fraction 0..1. */
  share: number;
  /** Share of this bar and every bar before it, fraction 0..1 (1 at the last bar). */
  cumulativeShare: number;
  /** Position, 1 = most calls; ties ordered by key. */
  rank: number;
}
