import { Point } from "@influxdata/influxdb-client";
import type { ParetoRow, RouteYield, StationYield, YieldRow } from "./types.ts";

/** InfluxDB measurement of station and route yields. */
export const YIELD_MEASUREMENT = "yield";

/** InfluxDB measurement of defect Pareto bars. */
export const PARETO_MEASUREMENT = "defect_pareto";

function serialized(point: Point): string {
  const line = point.toLineProtocol();
  // Every row carries integer counts, so a point without fields means a broken row, not an empty one.
  if (line === undefined) throw new Error("yield point without fields");
  return line;
}

function stationLine(r: StationYield): string {
  const point = new Point(YIELD_MEASUREMENT)
    .tag("site", r.site)
    .tag("line", r.line)
    .tag("station", r.station)
    .tag("kind", r.kind)
    .tag("product", r.product)
    .tag("period", r.period)
    .intField("tested", r.tested)
    .intField("first_pass_passed", r.firstPassPassed)
    .floatField("fpy", r.fpy)
    .intField("retested", r.retested)
    .intField("retests", r.retests)
    .intField("retest_passed", r.retestPassed)
    .intField("final_passed", r.finalPassed)
    .floatField("final_yield", r.finalYield)
    .intField("scrapped", r.scrapped);
  if (r.retestPassRate !== null) point.floatField("retest_pass_rate", r.retestPassRate);
  return serialized(point.timestamp(r.start));
}

function routeLine(r: RouteYield): string {
  const point = new Point(YIELD_MEASUREMENT)
    .tag("site", r.site)
    .tag("line", r.line)
    .tag("product", r.product)
    .tag("period", r.period)
    .intField("steps", r.steps)
    .floatField("rty", r.rty)
    .intField("units", r.units)
    .intField("units_passed_all", r.unitsPassedAll)
    .intField("units_pending", r.unitsPending)
    .intField("units_scrapped", r.unitsScrapped);
  if (r.rtyUnits !== null) point.floatField("rty_units", r.rtyUnits);
  return serialized(point.timestamp(r.start));
}

/**
 * Line protocol (ms precision) of yield rows, measurement `yield`, one line per row, in row order.
 * A station row's series is (site, line, station, kind, product, period) and a route row's is
 * (site, line, product, period), both at the period start: rewriting a period overwrites its own
 * points, and no two distinct rows share a series and timestamp.
 */
export function yieldLines(rows: readonly YieldRow[]): string[] {
  return rows.map((r) => (r.level === "station" ? stationLine(r) : routeLine(r)));
}

/**
 * Line protocol (ms precision) of Pareto bars, measurement `defect_pareto`, series
 * (site, line, product, period, scope, by, key) at the period start, one line per row.
 */
export function paretoLines(rows: readonly ParetoRow[]): string[] {
  return rows.map((r) =>
    serialized(
      new Point(PARETO_MEASUREMENT)
        .tag("site", r.site)
        .tag("line", r.line)
        .tag("product", r.product)
        .tag("period", r.period)
        .tag("scope", r.scope)
        .tag("by", r.by)
        .tag("key", r.key)
        .intField("count", r.count)
        .intField("units", r.units)
        .floatField("share", r.share)
        .floatField("cumulative_share", r.cumulativeShare)
        .intField("rank", r.rank)
        .timestamp(r.start),
    ),
  );
}
