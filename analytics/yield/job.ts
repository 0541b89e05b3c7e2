import type { InfluxClient } from "../../influx/index.ts";
import type { Warehouse } from "../warehouse/index.ts";
import { VERDICTS_CTE } from "./cohort-sql.ts";
import { paretoLines, yieldLines } from "./lines.ts";
import { type RunYieldOptions, resolveRunYieldOptions, type YieldOptions } from "./options.ts";
import { defectPareto } from "./pareto.ts";
import { rolledThroughputYield } from "./rolled-yield.ts";
import { firstPassYield } from "./station-yield.ts";

/** What one run of the yield job read and wrote. */
export interface YieldRunResult {
  /** Result records (test results and visit verdicts) the written rows were computed from, count. */
  rowsIn: number;
  /** Line-protocol lines written to InfluxDB, count. */
  rowsOut: number;
  /** Earliest period start recomputed, epoch ms; null when nothing happened since `since`. */
  from: number | null;
}

// A retest or a scrap changes the row of the period in which its serial was FIRST tested, which
// may be long before `since`: recompute from the earliest result of every unit of a line that saw
// a result or a scrap since then. Every period from there on is rewritten whole.
const EARLIEST_TOUCHED_SQL = `
WITH ${VERDICTS_CTE},
active AS (
  SELECT site, line, serial FROM verdicts WHERE ts >= CAST($since AS BIGINT)
  UNION
  SELECT site, line, serial FROM unit_event
  WHERE event = 'complete' AND result = 'scrap' AND ts >= CAST($since AS BIGINT)
)
SELECT min(v.ts) AS earliest FROM verdicts v SEMI JOIN active USING (site, line, serial)`;

/**
 * The yield job: recomputes station yields, rolled throughput yields and defect Paretos of every
 * period touched since `since` (default the last 2 days) and writes them to InfluxDB as `yield` and
 * `defect_pareto`, in batches. Rewriting a period overwrites its points, so a run interrupted by a
 * failed write (the InfluxError is thrown as is) is repaired by running again.
 */
export async function runYield(
  warehouse: Warehouse,
  influx: Pick<InfluxClient, "write">,
  options: Partial<RunYieldOptions> = {},
): Promise<YieldRunResult> {
  const o = resolveRunYieldOptions(options);
  const since = o.since ?? o.now() - o.lookbackMs;
  const [touched] = await warehouse.all<{ earliest: number | null }>(EARLIEST_TOUCHED_SQL, {
    since,
    visitVerdicts: o.visitVerdicts,
  });
  const earliest = touched?.earliest ?? null;
  if (earliest === null) return { rowsIn: 0, rowsOut: 0, from: null };

  const query: Partial<YieldOptions> = {
    periods: o.periods,
    visitVerdicts: o.visitVerdicts,
    utcOffsetMinutes: o.utcOffsetMinutes,
    paretoScopes: o.paretoScopes,
    from: earliest,
  };
  const stations = await firstPassYield(warehouse, query);
  const routes = await rolledThroughputYield(warehouse, query);
  const pareto = await defectPareto(warehouse, query);
  const lines = [...yieldLines(stations), ...yieldLines(routes), ...paretoLines(pareto)];
  for (let i = 0; i < lines.length; i += o.batchSize) {
    await influx.write(lines.slice(i, i + o.batchSize));
  }

  const counted = o.periods[0];
  const rowsIn = stations
    .filter((s) => s.period === counted)
    .reduce((n, s) => n + s.tested + s.retests, 0);
  const from = stations.reduce((min, s) => Math.min(min, s.start), Number.POSITIVE_INFINITY);
  return { rowsIn, rowsOut: lines.length, from: Number.isFinite(from) ? from : null };
}
