import type { Warehouse } from "../warehouse/index.ts";
import { COHORT_CTES, cohortParams, inRangeSql, periodStartSql } from "./cohort-sql.ts";
import { resolveYieldOptions, type YieldOptions } from "./options.ts";
import type { StationYield } from "./types.ts";

const STATION_YIELD_SQL = `
WITH ${COHORT_CTES}
SELECT p.period, ${periodStartSql("s.first_ts")} AS start,
  s.site, s.line, s.station, s.kind, s.product,
  count(*) AS tested,
  count(*) FILTER (WHERE s.first_passed) AS first_pass_passed,
  count(*) FILTER (WHERE s.results > 1) AS retested,
  CAST(sum(s.results - 1) AS BIGINT) AS retests,
  count(*) FILTER (WHERE s.results > 1 AND s.last_passed AND NOT s.scrapped) AS retest_passed,
  count(*) FILTER (WHERE s.last_passed AND NOT s.scrapped) AS final_passed,
  count(*) FILTER (WHERE s.scrapped) AS scrapped
FROM steps s CROSS JOIN periods p
WHERE ${inRangeSql("s.first_ts")}
GROUP BY ALL
ORDER BY p.period, start, s.site, s.line, s.station, s.kind, s.product`;

interface StationCounts {
  period: StationYield["period"];
  start: number;
  site: string;
  line: string;
  station: string;
  kind: string;
  product: string;
  tested: number;
  first_pass_passed: number;
  retested: number;
  retests: number;
  retest_passed: number;
  final_passed: number;
  scrapped: number;
}

/**
 * First-pass yield, retests and final yield of every test step per product and period, from the
 * warehouse. A step is a station and a test kind of `test_result`, or (with `visitVerdicts`) a
 * station without any test record whose unit `complete` verdicts count as results of kind `visit`.
 * Rows are ordered by period, start, site, line, station, kind, product.
 */
export async function firstPassYield(
  warehouse: Warehouse,
  options: Partial<YieldOptions> = {},
): Promise<StationYield[]> {
  const o = resolveYieldOptions(options);
  const counts = await warehouse.all<StationCounts>(STATION_YIELD_SQL, cohortParams(o));
  return counts.map((c) => ({
    level: "station",
    period: c.period,
    start: c.start,
    site: c.site,
    line: c.line,
    station: c.station,
    kind: c.kind,
    product: c.product,
    tested: c.tested,
    firstPassPassed: c.first_pass_passed,
    fpy: c.first_pass_passed / c.tested,
    retested: c.retested,
    retests: c.retests,
    retestPassed: c.retest_passed,
    retestPassRate: c.retested === 0 ? null : c.retest_passed / c.retested,
    finalPassed: c.final_passed,
    finalYield: c.final_passed / c.tested,
    scrapped: c.scrapped,
  }));
}
