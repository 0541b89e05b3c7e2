import type { Warehouse } from "../warehouse/index.ts";
import { COHORT_CTES, cohortParams, inRangeSql, periodStartSql } from "./cohort-sql.ts";
import { resolveYieldOptions, type YieldOptions } from "./options.ts";
import type { ParetoRow } from "./types.ts";

// Spelled out in each window: DuckDB 1.5.6 drops the partition of a chained named window when
// the OVER clause adds a frame (`OVER (ranked ROWS ...)` summed across partitions).
const PARETO_WINDOW = "PARTITION BY period, start, site, line, product, scope, dimension";

// A defect belongs to the test result of the same station, kind, serial and millisecond (the codec
// writes both at the message's ts); its period is its serial's cohort at that step, as in the
// station yield, so a Pareto explains the failures of the same rows.
const PARETO_SQL = `
WITH ${COHORT_CTES},
scopes AS (
  SELECT scope FROM (VALUES ('first-pass'), ('all')) AS t(scope)
  WHERE (scope = 'first-pass' AND $firstPass) OR (scope = 'all' AND $all)
),
defects AS (
  SELECT site, line, station, kind, serial, ts, code,
    coalesce(ref, '-') AS ref, coalesce(count, 1) AS calls
  FROM test_defect
  WHERE code IS NOT NULL
),
scoped AS (
  SELECT sc.scope, s.first_ts, s.site, s.line, s.product, s.serial, d.code, d.ref, d.calls
  FROM steps s
  JOIN defects d
    ON d.site = s.site AND d.line = s.line AND d.station = s.station AND d.kind = s.kind
    AND d.serial = s.serial
  JOIN scopes sc ON sc.scope = 'all' OR (d.ts = s.first_ts AND NOT s.first_passed)
  WHERE ${inRangeSql("s.first_ts")}
),
bars AS (
  SELECT p.period, ${periodStartSql("x.first_ts")} AS start, x.site, x.line, x.product, x.scope,
    'code' AS dimension, x.code AS key,
    CAST(sum(x.calls) AS BIGINT) AS calls, count(DISTINCT x.serial) AS units
  FROM scoped x CROSS JOIN periods p
  GROUP BY ALL
  UNION ALL
  SELECT p.period, ${periodStartSql("x.first_ts")} AS start, x.site, x.line, x.product, x.scope,
    'ref' AS dimension, x.ref AS key,
    CAST(sum(x.calls) AS BIGINT) AS calls, count(DISTINCT x.serial) AS units
  FROM scoped x CROSS JOIN periods p
  GROUP BY ALL
)
SELECT period, start, site, line, product, scope, dimension, key, calls, units,
  row_number() OVER (${PARETO_WINDOW} ORDER BY calls DESC, key) AS rank,
  sum(calls) OVER (
    ${PARETO_WINDOW} ORDER BY calls DESC, key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS calls_so_far,
  sum(calls) OVER (${PARETO_WINDOW}) AS calls_total
FROM bars
ORDER BY period, start, site, line, product, scope, dimension, rank`;

interface Bar {
  period: ParetoRow["period"];
  start: number;
  site: string;
  line: string;
  product: string;
  scope: ParetoRow["scope"];
  dimension: ParetoRow["by"];
  key: string;
  calls: number;
  units: number;
  rank: number;
  calls_so_far: number;
  calls_total: number;
}

/**
 * Defect Pareto per line, product and period, by defect code and by reference designator, bars
 * sorted by calls descending (ties by key). Scope `first-pass` counts the defects of serials' failed
 * first results at a step; `all` counts every defect call of the cohort, retests included.
 * Rows are ordered by period, start, site, line, product, scope, by, rank.
 */
export async function defectPareto(
  warehouse: Warehouse,
  options: Partial<YieldOptions> = {},
): Promise<ParetoRow[]> {
  const o = resolveYieldOptions(options);
  if (o.paretoScopes.length === 0) return [];
  const bars = await warehouse.all<Bar>(PARETO_SQL, {
    ...cohortParams(o),
    firstPass: o.paretoScopes.includes("first-pass"),
    all: o.paretoScopes.includes("all"),
  });
  return bars.map((b) => ({
    period: b.period,
    start: b.start,
    site: b.site,
    line: b.line,
    product: b.product,
    scope: b.scope,
    by: b.dimension,
    key: b.key,
    count: b.calls,
    units: b.units,
    share: b.calls / b.calls_total,
    cumulativeShare: b.calls_so_far / b.calls_total,
    rank: b.rank,
  }));
}
