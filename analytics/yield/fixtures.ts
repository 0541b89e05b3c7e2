// Test fixtures: warehouse rows written in a line's own words, at minutes after a fixed day.
import { quoteIdentifier, type SqlValue, Warehouse } from "../warehouse/index.ts";

/** 2025-03-03T00:00:00Z, a Monday: the day every fixture lives in. */
export const DAY0 = Date.UTC(2025, 2, 3);
export const HOUR = 3_600_000;

/** Epoch ms of hh:mm on DAY0 (hours past 23 run into the next days). */
export function at(hh: number, mm = 0): number {
  return DAY0 + hh * HOUR + mm * 60_000;
}

interface Where {
  site?: string;
  line?: string;
  station: string;
  serial: string;
  ts: number;
}

export type Fixture =
  | ({ unit: "start" | "complete"; product?: string; result?: "pass" | "fail" | "scrap" } & Where)
  | ({ test: "aoi" | "axi" | "ict" | "fct"; result: "pass" | "fail" } & Where)
  | ({ defect: "aoi" | "axi" | "ict" | "fct"; code: string; ref?: string; count?: number } & Where);

async function insert(w: Warehouse, table: string, row: Record<string, SqlValue>): Promise<void> {
  const columns = Object.keys(row);
  await w.run(
    `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(", ")}) VALUES (${columns.map((c) => `$${c}`).join(", ")})`,
    row,
  );
}

/** Writes the fixtures as the sync would: one row per point, ts as BIGINT epoch ms. */
export async function load(w: Warehouse, fixtures: readonly Fixture[]): Promise<void> {
  for (const f of fixtures) {
    const origin = {
      site: f.site ?? "S1",
      line: f.line ?? "L1",
      station: f.station,
      serial: f.serial,
      ts: BigInt(f.ts),
    };
    if ("unit" in f) {
      await insert(w, "unit_event", {
        ...origin,
        event: f.unit,
        product: f.product ?? null,
        result: f.result ?? null,
        seen: true,
      });
    } else if ("test" in f) {
      await insert(w, "test_result", {
        ...origin,
        kind: f.test,
        result: f.result,
        defect_count: 0n,
      });
    } else {
      await insert(w, "test_defect", {
        ...origin,
        kind: f.defect,
        code: f.code,
        ref: f.ref ?? "-",
        count: BigInt(f.count ?? 1),
      });
    }
  }
}

/** A fresh in-memory warehouse holding `fixtures`, closed after `work`. */
export async function withWarehouse<T>(
  fixtures: readonly Fixture[],
  work: (w: Warehouse) => Promise<T>,
): Promise<T> {
  const w = await Warehouse.open(":memory:");
  try {
    await load(w, fixtures);
    return await work(w);
  } finally {
    w.close();
  }
}

/** A test on the line: the unit's start (naming its product) and the result, at the same station. */
export function tested(
  serial: string,
  station: "aoi" | "ict" | "fct",
  result: "pass" | "fail",
  ts: number,
  extra: { product?: string; line?: string; site?: string } = {},
): Fixture[] {
  const where = { station, serial, ts, line: extra.line, site: extra.site };
  return [
    { unit: "start", product: extra.product, ...where },
    { test: station, result, ...where },
  ];
}

/**
 * A small line L1 (aoi → ict → fct) building product P1, everything first tested in hour 10:
 * - A1 passes everything first time.
 * - A2 fails AOI (bridge on U1 twice, missing R5), passes the AOI retest, then ICT and FCT.
 * - A3 fails ICT (open U1), fails the retest (open U1, short U2), is scrapped at ICT.
 * - A4 fails FCT at 10:55 (vout_low, no ref) and passes the FCT retest at 11:05.
 * - A5 has passed AOI only so far.
 * - A6 visits AOI (start, complete pass) but has no test record.
 */
export const SMALL_LINE: readonly Fixture[] = [
  ...tested("A1", "aoi", "pass", at(10, 5), { product: "P1" }),
  ...tested("A1", "ict", "pass", at(10, 10), { product: "P1" }),
  ...tested("A1", "fct", "pass", at(10, 20), { product: "P1" }),

  ...tested("A2", "aoi", "fail", at(10, 6), { product: "P1" }),
  {
    defect: "aoi",
    station: "aoi",
    serial: "A2",
    ts: at(10, 6),
    code: "bridge",
    ref: "U1",
    count: 2,
  },
  { defect: "aoi", station: "aoi", serial: "A2", ts: at(10, 6), code: "missing", ref: "R5" },
  { test: "aoi", station: "aoi", serial: "A2", ts: at(10, 30), result: "pass" },
  ...tested("A2", "ict", "pass", at(10, 40), { product: "P1" }),
  ...tested("A2", "fct", "pass", at(10, 50), { product: "P1" }),

  ...tested("A3", "aoi", "pass", at(10, 7), { product: "P1" }),
  ...tested("A3", "ict", "fail", at(10, 15), { product: "P1" }),
  { defect: "ict", station: "ict", serial: "A3", ts: at(10, 15), code: "open", ref: "U1" },
  { test: "ict", station: "ict", serial: "A3", ts: at(10, 25), result: "fail" },
  { defect: "ict", station: "ict", serial: "A3", ts: at(10, 25), code: "open", ref: "U1" },
  { defect: "ict", station: "ict", serial: "A3", ts: at(10, 25), code: "short", ref: "U2" },
  { unit: "complete", station: "ict", serial: "A3", ts: at(10, 26), result: "scrap" },

  ...tested("A4", "aoi", "pass", at(10, 8), { product: "P1" }),
  ...tested("A4", "ict", "pass", at(10, 18), { product: "P1" }),
  ...tested("A4", "fct", "fail", at(10, 55), { product: "P1" }),
  { defect: "fct", station: "fct", serial: "A4", ts: at(10, 55), code: "vout_low" },
  { test: "fct", station: "fct", serial: "A4", ts: at(11, 5), result: "pass" },

  ...tested("A5", "aoi", "pass", at(10, 9), { product: "P1" }),

  { unit: "start", station: "aoi", serial: "A6", ts: at(10, 11), product: "P1" },
  { unit: "complete", station: "aoi", serial: "A6", ts: at(10, 12), result: "pass" },
];
