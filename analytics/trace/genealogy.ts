import { TraceError } from "./errors.ts";
import { unknownSerial } from "./record.ts";
import type { TraceSession } from "./session.ts";
import { containerChainSql, FEW_SERIALS, packsSince, resetStage, stageGenealogy } from "./stage.ts";
import type { Container, Placement, Visit } from "./types.ts";

/** A lot of one part, as it went into a unit. */
export interface LotUse {
  lot: string | null;
  part: string | null;
  supplier: string | null;
  date_code: string | null;
  /** Reference designators it was placed at. */
  refs: string[];
  reels: string[];
}

/** Backward genealogy of a unit: what went into it, from whom, and when and where it was made. */
export interface Backward {
  serial: string;
  product: string | null;
  lots: LotUse[];
  suppliers: { supplier: string | null; parts: string[]; lots: string[] }[];
  placements: Placement[];
  /** The process windows: each visit with its start and complete. */
  process: Visit[];
  containers: Container[];
}

/** What a forward trace starts from. */
export type ForwardScope =
  | { lot: string }
  | { part: string; supplier?: string | undefined }
  | { spcViolation: string }
  | { serials: readonly string[] };

/** Where an affected unit is now and how it last fared. */
export interface AffectedUnit {
  serial: string;
  product: string | null;
  /** Reference designators where the lot / part sits on this unit (empty for an SPC scope). */
  refs: string[];
  /** The last verdict a station gave it (`pass`, `fail`, `scrap`) and where. */
  latest: { result: string | null; station: string; line: string; ts: number } | null;
  /** The last station that saw it, and whether it left it. */
  lastSeen: { station: string; line: string; event: string; ts: number } | null;
  box: string | null;
  pallet: string | null;
  shipment: string | null;
  destination: string | null;
  /** `shipped`, `packed`, `on-line` (still between stations), `left-line` (failed or scrapped, not packed), `unknown`. */
  location: "shipped" | "packed" | "on-line" | "left-line" | "unknown";
}

/** Recall scope: every unit affected, with counts by location and verdict. */
export interface Forward {
  scope: Record<string, string>;
  units: AffectedUnit[];
  counts: { units: number; byLocation: Record<string, number>; byResult: Record<string, number> };
  /** What may make the scope incomplete (a truncated violation list, an unreachable source). */
  notes: string[];
}

/** Lots, suppliers, date codes and process windows of one serial. */
export async function traceBackward(session: TraceSession, serial: string): Promise<Backward> {
  await resetStage(session);
  await stageGenealogy(session, [serial]);
  const process = await session.all<Visit>(
    "SELECT visit, site, line, station, product, panel, start, complete, result, status FROM x_visits ORDER BY visit",
  );
  const placements = await session.all<Placement>(
    "SELECT ts, site, line, station, ref, part, lot, supplier, date_code, reel FROM x_materials ORDER BY ref, ts",
  );
  const containers = await session.all<Container>(
    "SELECT DISTINCT level, kind, container, holds, ts, site, line, station, destination FROM x_containers ORDER BY level, ts, container",
  );
  if (process.length + placements.length + containers.length === 0) {
    const unknown = await unknownSerial(session, serial);
    // A serial with only inspection or test records still has a (thin) genealogy.
    const tests = await session.all<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT serial FROM ${session.from("test_result")} WHERE serial = $serial UNION ALL SELECT serial FROM ${session.from("spi_board")} WHERE serial = $serial)`,
      { serial },
    );
    if (Number(tests[0]?.n ?? 0) === 0 || unknown.reason === "source-unavailable") throw unknown;
  }
  const lots = new Map<string, LotUse>();
  for (const p of placements) {
    const key = JSON.stringify([p.lot, p.part, p.supplier, p.date_code]);
    const use = lots.get(key) ?? {
      lot: p.lot,
      part: p.part,
      supplier: p.supplier,
      date_code: p.date_code,
      refs: [],
      reels: [],
    };
    if (!use.refs.includes(p.ref)) use.refs.push(p.ref);
    if (p.reel !== null && !use.reels.includes(p.reel)) use.reels.push(p.reel);
    lots.set(key, use);
  }
  const suppliers = new Map<
    string,
    { supplier: string | null; parts: Set<string>; lots: Set<string> }
  >();
  for (const p of placements) {
    const key = p.supplier ?? "\u0000";
    const s = suppliers.get(key) ?? { supplier: p.supplier, parts: new Set(), lots: new Set() };
    if (p.part !== null) s.parts.add(p.part);
    if (p.lot !== null) s.lots.add(p.lot);
    suppliers.set(key, s);
  }
  return {
    serial,
    product: process.find((v) => v.product)?.product ?? null,
    lots: [...lots.values()],
    suppliers: [...suppliers.values()].map((s) => ({
      supplier: s.supplier,
      parts: [...s.parts].sort(),
      lots: [...s.lots].sort(),
    })),
    placements,
    process,
    containers,
  };
}

/**
 * Every serial a lot, a part from a supplier, an SPC violation (or a given list) reaches, with its
 * latest verdict and where it is now: box, pallet, shipment. Set-based in DuckDB: one scan of the
 * placements, one of the unit events of the affected serials, the container chain of `pack`.
 */
export async function traceForward(session: TraceSession, scope: ForwardScope): Promise<Forward> {
  const notes: string[] = [];
  await session.run("CREATE TEMP TABLE IF NOT EXISTS affected (serial VARCHAR, ref VARCHAR)");
  await session.run("DELETE FROM affected");
  let described: Record<string, string>;
  if ("lot" in scope) {
    described = { lot: scope.lot };
    await session.tail.placements({ lot: scope.lot });
    await session.run(
      `INSERT INTO affected SELECT DISTINCT serial, ref FROM ${session.from("placement")} WHERE lot = $lot AND serial IS NOT NULL`,
      {
        lot: scope.lot,
      },
    );
  } else if ("part" in scope) {
    described =
      scope.supplier === undefined
        ? { part: scope.part }
        : { part: scope.part, supplier: scope.supplier };
    await session.tail.placements({ part: scope.part, supplier: scope.supplier });
    await session.run(
      `INSERT INTO affected SELECT DISTINCT serial, ref FROM ${session.from("placement")} WHERE part = $part AND ($supplier IS NULL OR supplier = $supplier) AND serial IS NOT NULL`,
      { part: scope.part, supplier: scope.supplier ?? null },
    );
  } else if ("spcViolation" in scope) {
    described = { spcViolation: scope.spcViolation };
    const serials = await violationSerials(session, scope.spcViolation, notes);
    await insertSerials(session, serials);
  } else {
    described = { serials: `${scope.serials.length}` };
    await insertSerials(session, scope.serials);
  }
  const serials = (
    await session.all<{ serial: string }>("SELECT DISTINCT serial FROM affected ORDER BY serial")
  ).map((r) => r.serial);
  await session.tail.serials(serials);
  const first = await session.all<{ ts: number | null }>(
    `SELECT min(ts) AS ts FROM ${session.from("unit_event")} WHERE serial IN (SELECT serial FROM affected)`,
  );
  const since = first[0]?.ts ?? undefined;
  await session.tail.measurement("pack", since ?? undefined, undefined);

  const units = await session.all<{
    serial: string;
    product: string | null;
    refs: string[] | null;
    result: string | null;
    result_station: string | null;
    result_line: string | null;
    result_ts: number | null;
    seen_station: string | null;
    seen_line: string | null;
    seen_event: string | null;
    seen_ts: number | null;
  }>(
    `WITH a AS (
       SELECT serial, list(DISTINCT ref ORDER BY ref) FILTER (WHERE ref IS NOT NULL) AS refs FROM affected GROUP BY serial
     ), ev AS (
       SELECT serial, line, station, event, result, product, ts FROM ${session.from("unit_event")} WHERE serial IN (SELECT serial FROM affected)
     ), last AS (
       SELECT serial,
         any_value(product) FILTER (WHERE product IS NOT NULL) AS product,
         arg_max(result, ts) FILTER (WHERE event = 'complete') AS result,
         arg_max(station, ts) FILTER (WHERE event = 'complete') AS result_station,
         arg_max(line, ts) FILTER (WHERE event = 'complete') AS result_line,
         max(ts) FILTER (WHERE event = 'complete') AS result_ts,
         arg_max(station, ts) AS seen_station, arg_max(line, ts) AS seen_line,
         arg_max(event, ts) AS seen_event, max(ts) AS seen_ts
       FROM ev GROUP BY serial
     )
     SELECT a.serial, last.product, a.refs, last.result, last.result_station, last.result_line, last.result_ts,
       last.seen_station, last.seen_line, last.seen_event, last.seen_ts
     FROM a LEFT JOIN last USING (serial) ORDER BY a.serial`,
  );
  const chain = await session.all<Container & { serial: string }>(
    `${containerChainSql("SELECT serial FROM affected", packsSince(session, since ?? undefined), serials.length <= FEW_SERIALS)} ORDER BY serial, level, ts`,
  );
  const chains = new Map<string, (Container & { serial: string })[]>();
  for (const c of chain) {
    const list = chains.get(c.serial);
    if (list) list.push(c);
    else chains.set(c.serial, [c]);
  }
  const affected: AffectedUnit[] = units.map((u) => {
    const where = whereNow(chains.get(u.serial) ?? []);
    const latest =
      u.result_station !== null && u.result_ts !== null && u.result_line !== null
        ? { result: u.result, station: u.result_station, line: u.result_line, ts: u.result_ts }
        : null;
    const lastSeen =
      u.seen_station !== null && u.seen_ts !== null && u.seen_line !== null && u.seen_event !== null
        ? { station: u.seen_station, line: u.seen_line, event: u.seen_event, ts: u.seen_ts }
        : null;
    const location: AffectedUnit["location"] =
      where.shipment !== null
        ? "shipped"
        : where.box !== null
          ? "packed"
          : latest?.result === "fail" || latest?.result === "scrap"
            ? "left-line"
            : lastSeen !== null
              ? "on-line"
              : "unknown";
    return {
      serial: u.serial,
      product: u.product,
      refs: u.refs ?? [],
      latest,
      lastSeen,
      ...where,
      location,
    };
  });
  if (session.tailState.kind === "unavailable")
    notes.push(
      `InfluxDB did not answer (${session.tailState.reason}): units placed or moved after the archive and warehouse may be missing`,
    );
  const byLocation: Record<string, number> = {};
  const byResult: Record<string, number> = {};
  for (const u of affected) {
    byLocation[u.location] = (byLocation[u.location] ?? 0) + 1;
    const result = u.latest?.result ?? "none";
    byResult[result] = (byResult[result] ?? 0) + 1;
  }
  return {
    scope: described,
    units: affected,
    counts: { units: affected.length, byLocation, byResult },
    notes,
  };
}

/** The latest box holding the unit, the latest pallet holding that box, the latest shipment holding that pallet. */
function whereNow(
  chain: readonly Container[],
): Pick<AffectedUnit, "box" | "pallet" | "shipment" | "destination"> {
  const latest = (level: number, holds: string | undefined) =>
    chain
      .filter((c) => c.level === level && (holds === undefined || c.holds === holds))
      .reduce<Container | undefined>(
        (best, c) => (best === undefined || c.ts >= best.ts ? c : best),
        undefined,
      );
  const box = latest(1, undefined);
  const pallet = box ? latest(2, box.container) : undefined;
  const shipment = pallet ? latest(3, pallet.container) : undefined;
  return {
    box: box?.container ?? null,
    pallet: pallet?.container ?? null,
    shipment: shipment?.container ?? null,
    destination: shipment?.destination ?? pallet?.destination ?? box?.destination ?? null,
  };
}

async function insertSerials(session: TraceSession, serials: readonly string[]): Promise<void> {
  const appender = await session.connection.createAppender("affected", "main", "temp");
  try {
    for (const serial of new Set(serials)) {
      appender.appendVarchar(serial);
      appender.appendNull();
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * The units an SPC violation named: from the `alert` records (synced) and InfluxDB's
 * `spc_violation` (tracebox's own result, never synced), by id.
 */
async function violationSerials(
  session: TraceSession,
  id: string,
  notes: string[],
): Promise<string[]> {
  const serials = new Set<string>();
  let found = false;
  const alerts = await session.all<{ serials: string | null }>(
    `SELECT serials FROM ${session.from("alert")} WHERE id = $id`,
    { id },
  );
  for (const a of alerts) {
    found = true;
    for (const s of parseSerials(a.serials)) serials.add(s);
  }
  const series = await session.tail.results(
    `SELECT "serials", "serials_truncated", "serial_count" FROM "spc_violation" WHERE "id" = $id`,
    { id },
  );
  for (const s of series ?? []) {
    const columns = s.columns;
    for (const values of s.values) {
      found = true;
      const row = Object.fromEntries(columns.map((c, i) => [c, values[i]]));
      for (const serial of parseSerials(typeof row.serials === "string" ? row.serials : null))
        serials.add(serial);
      if (row.serials_truncated === true)
        notes.push(
          `violation ${id} names ${row.serial_count} units but its stored list is truncated: the scope here is the stored part`,
        );
    }
  }
  if (!found) {
    if (session.tailState.kind === "unavailable")
      throw new TraceError(
        "source-unavailable",
        `SPC violation ${JSON.stringify(id)} is not in the archive or warehouse, and InfluxDB did not answer`,
      );
    throw new TraceError("not-found", `SPC violation ${JSON.stringify(id)} is unknown`);
  }
  return [...serials];
}

function parseSerials(text: string | null): string[] {
  if (text === null) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}
