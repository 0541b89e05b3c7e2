import type { Warehouse } from "../warehouse/index.ts";
import { COHORT_CTES, cohortParams, inRangeSql, periodStartSql } from "./cohort-sql.ts";
import { YieldError } from "./errors.ts";
import { resolveYieldOptions, type YieldOptions } from "./options.ts";
import { firstPassYield } from "./station-yield.ts";
import type { RouteYield, StationYield } from "./types.ts";

// The route of a line and product in a period: the steps with a cohort there. A unit is decided
// once it failed a first result anywhere on the line, was scrapped on the line, or was tested at
// every step of the route of the period it was first tested in.
const UNIT_YIELD_SQL = `
WITH ${COHORT_CTES},
route AS (
  SELECT DISTINCT p.period, ${periodStartSql("s.first_ts")} AS start,
    s.site, s.line, s.product, s.station, s.kind
  FROM steps s CROSS JOIN periods p
  WHERE ${inRangeSql("s.first_ts")}
),
route_size AS (
  SELECT period, start, site, line, product, count(*) AS steps
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
  units: number;
  units_passed_all: number;
  units_pending: number;
  units_scrapped: number;
}

function routeKey(r: {
  period: string;
  start: number;
  site: string;
  line: string;
  product: string;
}) {
  return JSON.stringify([r.period, r.start, r.site, r.line, r.product]);
}

/**
 * Rolled throughput yield per line, product and period, both ways: `rty`, the product of the
 * first-pass yields of the route's steps (each over its own cohort), and `rtyUnits`, the share of
 * decided units that passed every step first time. Pass the {@link firstPassYield} rows of the same
 * options when already computed, to spare the query. Rows are ordered by period, start, site, line,
 * product.
 */
export async function rolledThroughputYield(
  warehouse: Warehouse,
  options: Partial<YieldOptions> = {},
  stations?: readonly StationYield[],
): Promise<RouteYield[]> {
  const o = resolveYieldOptions(options);
  const stationRows = stations ?? (await firstPassYield(warehouse, o));
  const routes = new Map<string, StationYield[]>();
  for (const s of stationRows) {
    const key = routeKey(s);
    const steps = routes.get(key);
    if (steps) steps.push(s);
    else routes.set(key, [s]);
  }
  const counts = await warehouse.all<UnitCounts>(UNIT_YIELD_SQL, cohortParams(o));
  return counts.map((c) => {
    const steps = routes.get(routeKey(c)) ?? [];
    if (steps.length !== c.steps) {
      throw new YieldError(
        "mismatched-rows",
        `route ${routeKey(c)} has ${c.steps} steps but ${steps.length} station rows: pass the firstPassYield rows of the same options`,
      );
    }
    // A fixed order of multiplication: the same rows give the same bits.
    const rty = steps.map((s) => s.fpy).reduce((product, fpy) => product * fpy, 1);
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
