import type { Warehouse } from "./warehouse.ts";

/** How a visit's edges paired up (see `UNIT_VISIT_VIEW` in schema.ts). */
export type VisitStatus = "complete" | "open" | "no_start";

/** A unit's stay at one station: its `start` to its `complete`. */
export interface Visit {
  serial: string;
  site: string | null;
  line: string | null;
  station: string | null;
  /** Epoch ms of the start; null for a complete without start. */
  start: number | null;
  /** Epoch ms of the complete; null while open (or never completed). */
  complete: number | null;
  /** The complete's verdict (`pass`, `fail`, `scrap`), if it gave one. */
  result: string | null;
  product: string | null;
  panel: string | null;
  status: VisitStatus;
}

/** Which visits to list; every field optional. */
export interface VisitFilter {
  serial?: string;
  site?: string;
  line?: string;
  station?: string;
  /** Visits that end at or after this time (open ones: that started before `to`), epoch ms. */
  from?: number;
  /** Visits that begin before this time, epoch ms. */
  to?: number;
}

/**
 * The visits of the `unit_visit` view, in time order (by start, else complete). A visit overlaps
 * [from, to) when it begins before `to` and ends (or is still open) at or after `from`.
 */
export async function unitVisits(warehouse: Warehouse, filter: VisitFilter = {}): Promise<Visit[]> {
  const where: string[] = [];
  const params: Record<string, string | bigint> = {};
  for (const key of ["serial", "site", "line", "station"] as const) {
    const value = filter[key];
    if (value !== undefined) {
      where.push(`${key} = $${key}`);
      params[key] = value;
    }
  }
  if (filter.from !== undefined) {
    where.push("coalesce(complete, 9223372036854775807) >= $from");
    params.from = BigInt(Math.ceil(filter.from));
  }
  if (filter.to !== undefined) {
    where.push("coalesce(start, complete) < $to");
    params.to = BigInt(Math.ceil(filter.to));
  }
  return warehouse.all<Visit>(
    `SELECT serial, site, line, station, start, complete, result, product, panel, status
     FROM unit_visit ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY coalesce(start, complete), serial, site, line, station`,
    params,
  );
}
