import type { Warehouse } from "../warehouse/index.ts";
import { COHORT_CTES, cohortParams, inRangeSql, periodStartSql } from "./cohort-sql.ts";
import { resolveYieldOptions, type YieldOptions } from "./options.ts";
import type { RouteYield } from "./types.ts";

// The route of a line and product in a period: the steps with a cohort there. A unit is decided
// once it failed a first result anywhere on the line, was scrapped on the line, or was tested at
// every step of the route of the period it was first tested in.
const UNIT_YIELD_SQL = `
WITH ${COHORT_CTES},
route AS (
  SELECT p.period, ${periodStartSql("s.first_ts")} AS start,
    s.site, s.line, s.product, s.station, s.kind,
    count(*) AS tested, count(*) FILTER (WHERE s.first_passed) AS first_pass_passed
  FROM steps s CROSS JOIN periods p
  WHERE ${inRangeSql("s.first_ts")}
  GROUP BY ALL
),
route_size AS (
  SELECT period, start, site, line, product, count(*) AS steps,
    list(CAST(tested AS INTEGER) ORDER BY station, kind) AS tested,
    list(CAST(first_pass_passed AS INTEGER) ORDER BY station, kind) AS first_pass_passed
  FROM route GROUP BY ALL
),
units AS (
  SELECT site, line, serial, product,
    min(first_ts) AS unit_ts,
    bool_or(NOT first_passed) AS first_failed
  FROM steps GROUP BY site, line, serial, product
),
unit_periods AS (
  SELECT p.period, ${periodStartSql("u.unit_ts")} AS start, u.*,
    EXISTS (
      SELECT 1 FROM scraps x WHERE x.site = u.site AND x.line = u.line AND x.serial = u.serial
    ) AS scrapped
  FROM units u CROSS JOIN periods p
  WHERE ${inRangeSql("u.unit_ts")}
),
coverage AS (
  SELECT up.period, up.start, up.site, up.line, up.serial, count(*) AS covered
  FROM unit_periods up
  JOIN steps s ON s.site = up.site AND s.line = up.line AND s.serial = up.serial
  JOIN route r
    ON r.period = up.period AND r.start = up.start AND r.site = up.site AND r.line = up.line
    AND r.product = up.product AND r.station = s.station AND r.kind = s.kind
  GROUP BY ALL
),
judged AS (
  SELECT up.period, up.start, up.site, up.line, up.product, up.scrapped,
    up.first_failed OR up.scrapped OR coalesce(c.covered, 0) = rs.steps AS decided,
    NOT up.first_failed AND NOT up.scrapped AND coalesce(c.covered, 0) = rs.steps AS passed_all
  FROM unit_periods up
  JOIN route_size rs USING (period, start, site, line, product)
  LEFT JOIN coverage c USING (period, start, site, line, serial)
)
SELECT rs.period, rs.start, rs.site, rs.line, rs.product, rs.steps,
  rs.tested, rs.first_pass_passed,
  count(j.decided) FILTER (WHERE j.decided) AS units,
  count(j.decided) FILTER (WHERE j.passed_all) AS units_passed_all,
  count(j.decided) FILTER (WHERE NOT j.decided) AS units_pending,
  count(j.decided) FILTER (WHERE j.decided AND j.scrapped) AS units_scrapped
FROM route_size rs
LEFT JOIN judged j USING (period, start, site, line, product)
GROUP BY ALL
ORDER BY rs.period, rs.start, rs.site, rs.line, rs.product`;

interface UnitCounts {
  period: RouteYield["period"];
  start: number;
  site: string;
  line: string;
  product: string;
  steps: number;
  tested: number[];
  first_pass_passed: number[];
  units: number;
  units_passed_all: number;
  units_pending: number;
  units_scrapped: number;
}

/**
 * Rolled throughput yield per line, product and period, both ways: `rty`, the product of the
 * first-pass yields of the route's steps (each over its own cohort, as in `firstPassYield`),
 * and `rtyUnits`, the share of decided units that passed every step first time. One query, so
 * both come from the same state of the warehouse. Rows are ordered by period, start, site, line,
 * product.
 */
export async function rolledThroughputYield(
  warehouse: Warehouse,
  options: Partial<YieldOptions> = {},
): Promise<RouteYield[]> {
  const o = resolveYieldOptions(options);
  const counts = await warehouse.all<UnitCounts>(UNIT_YIELD_SQL, cohortParams(o));
  return counts.map((c) => {
    // Steps in (station, kind) order: the same rows multiply to the same bits on every run.
    const rty = c.tested.reduce(
      (product, tested, i) => product * ((c.first_pass_passed[i] ?? 0) / tested),
      1,
    );
    return {
      level: "route",
      period: c.period,
      start: c.start,
      site: c.site,
      line: c.line,
      product: c.product,
      steps: c.steps,
      rty,
      units: c.units,
      unitsPassedAll: c.units_passed_all,
      rtyUnits: c.units === 0 ? null : c.units_passed_all / c.units,
      unitsPending: c.units_pending,
      unitsScrapped: c.units_scrapped,
    };
  });
}
