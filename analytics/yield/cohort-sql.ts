import type { SqlValue } from "../warehouse/index.ts";
import { longestPeriod, PERIOD_MS, periodStart, type YieldOptions } from "./options.ts";

/** Product of a serial that no unit event names. */
export const UNKNOWN_PRODUCT = "-";

/** Step kind of unit `complete` verdicts at stations without test records. */
export const VISIT_KIND = "visit";

/**
 * Every result at every step: `test_result` verdicts, and (when `$visitVerdicts`) unit `complete`
 * verdicts at stations of a line that have no test record at all, as kind `visit` (scrap is a fail).
 * Rows repeated by a replayed sync count once.
 */
export const VERDICTS_CTE = `
verdicts AS (
  SELECT DISTINCT site, line, station, kind, serial, ts, result = 'pass' AS passed
  FROM test_result
  WHERE result IN ('pass', 'fail')
    AND site IS NOT NULL AND line IS NOT NULL AND station IS NOT NULL
    AND kind IS NOT NULL AND serial IS NOT NULL
  UNION ALL
  SELECT DISTINCT u.site, u.line, u.station, '${VISIT_KIND}', u.serial, u.ts, u.result = 'pass'
  FROM unit_event u
  WHERE $visitVerdicts AND u.event = 'complete' AND u.result IN ('pass', 'fail', 'scrap')
    AND u.site IS NOT NULL AND u.line IS NOT NULL AND u.station IS NOT NULL AND u.serial IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM test_result t
      WHERE t.site = u.site AND t.line = u.line AND t.station = u.station
    )
)`;

/**
 * The common part of every yield query: one row per serial and step (`steps`) with its first and
 * last verdict, its product and whether it was scrapped at the station, restricted to the serials
 * of a line with a result at or after `$from` (their whole history, so "first" is truly first),
 * and the selected periods (`periods`). Values are bound; the SQL text is constant.
 */
export const COHORT_CTES = `
${VERDICTS_CTE},
touched AS (
  SELECT DISTINCT site, line, serial FROM verdicts WHERE ts >= CAST($from AS BIGINT)
),
attempts AS (
  -- Two verdicts of one serial at one step in the same millisecond cannot be ordered: the fail
  -- counts as both first and last, so a tie never flatters the yield.
  SELECT v.site, v.line, v.station, v.kind, v.serial,
    min(v.ts) AS first_ts,
    first(v.passed ORDER BY v.ts, v.passed) AS first_passed,
    first(v.passed ORDER BY v.ts DESC, v.passed) AS last_passed,
    count(*) AS results
  FROM verdicts v SEMI JOIN touched USING (site, line, serial)
  GROUP BY v.site, v.line, v.station, v.kind, v.serial
),
products AS (
  -- A serial relabelled to another product counts as its latest one.
  SELECT site, serial, first(product ORDER BY ts DESC, product DESC) AS product
  FROM unit_event SEMI JOIN (SELECT DISTINCT site, serial FROM touched) USING (site, serial)
  WHERE product IS NOT NULL
  GROUP BY site, serial
),
scraps AS (
  SELECT DISTINCT site, line, station, serial
  FROM unit_event
  WHERE event = 'complete' AND result = 'scrap'
),
steps AS (
  SELECT a.*, coalesce(p.product, '${UNKNOWN_PRODUCT}') AS product, s.serial IS NOT NULL AS scrapped
  FROM attempts a
  LEFT JOIN products p ON p.site = a.site AND p.serial = a.serial
  LEFT JOIN scraps s
    ON s.site = a.site AND s.line = a.line AND s.station = a.station AND s.serial = a.serial
),
periods AS (
  SELECT period, size FROM (VALUES ('hour', ${PERIOD_MS.hour}::BIGINT), ('day', ${PERIOD_MS.day}::BIGINT)) AS p(period, size)
  WHERE (period = 'hour' AND $hour) OR (period = 'day' AND $day)
)`;

/** SQL for the start of the period (of `periods p`) holding the epoch-ms column `column`. */
export function periodStartSql(column: string): string {
  const local = `(${column} + CAST($offset AS BIGINT))`;
  return `(${local} - ((${local} % p.size) + p.size) % p.size - CAST($offset AS BIGINT))`;
}

/** SQL condition: the epoch-ms column `column` lies within the query's [from, to). */
export function inRangeSql(column: string): string {
  return `(${column} >= CAST($from AS BIGINT) AND ${column} < CAST($to AS BIGINT))`;
}

/** The bound values of {@link COHORT_CTES}, with from/to widened to whole periods. */
export function cohortParams(o: YieldOptions): Record<string, SqlValue> {
  const longest = longestPeriod(o.periods);
  const from =
    o.from === undefined
      ? Number.MIN_SAFE_INTEGER
      : periodStart(o.from, longest, o.utcOffsetMinutes);
  const to =
    o.to === undefined
      ? Number.MAX_SAFE_INTEGER
      : periodStart(o.to - 1, longest, o.utcOffsetMinutes) + PERIOD_MS[longest];
  return {
    // Numbers, cast to BIGINT in the SQL: a JS bigint would bind as HUGEINT.
    from,
    to,
    offset: o.utcOffsetMinutes * 60_000,
    visitVerdicts: o.visitVerdicts,
    hour: o.periods.includes("hour"),
    day: o.periods.includes("day"),
  };
}
