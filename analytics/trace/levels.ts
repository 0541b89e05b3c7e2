import { TraceError } from "./errors.ts";
import { stageRecords } from "./record.ts";
import type { TraceSession } from "./session.ts";
import { clearStage, resetStage } from "./stage.ts";
import type { Completeness, Gap, MaterialLevel, ProcessLevel } from "./types.ts";

/** Which levels a product's units support, judged over a time range (or an even sample of its units). */
export interface ProductLevels {
  product: string;
  from: number;
  to: number;
  /** Units of the product with a visit in the range. */
  units: number;
  /** Units judged: all of them, or an even sample when there are more than asked for. */
  judged: number;
  /** Highest P / M level every judged unit supports. */
  processLevel: number;
  materialLevel: number;
  /** Judged units supporting each level. */
  supporting: Record<ProcessLevel | MaterialLevel, number>;
  /** Judged units at each highest level, 0..4. */
  distribution: { process: number[]; material: number[] };
  /** What holds levels back, most frequent first: units affected and a few of their serials. */
  gaps: { level: Gap["level"]; kind: string; units: number; examples: string[] }[];
}

export interface ProductLevelOptions {
  /** Start of the range, epoch ms; default: 7 days before `to`. */
  from?: number | undefined;
  /** End of the range, epoch ms; default: the product's last unit event. */
  to?: number | undefined;
  /** Most units judged; more are sampled evenly in time; default 500. */
  maxUnits?: number | undefined;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * The IPC-1782 levels a product's data supports: each unit judged as its own record is, without
 * copying its signals (counted per visit), then aggregated.
 */
export async function productLevels(
  session: TraceSession,
  product: string,
  options: ProductLevelOptions = {},
): Promise<ProductLevels> {
  const maxUnits = options.maxUnits ?? 500;
  if (!(Number.isInteger(maxUnits) && maxUnits >= 1))
    throw new TraceError("bad-option", `maxUnits ${maxUnits}: expected a positive integer`);
  await session.tail.measurement(
    "unit",
    options.from ?? (options.to === undefined ? undefined : options.to - WEEK_MS),
    options.to,
  );
  let to = options.to;
  if (to === undefined) {
    const [last] = await session.all<{ ts: number | null }>(
      `SELECT max(ts) AS ts FROM ${session.from("unit_event")} WHERE product = $product`,
      {
        product,
      },
    );
    if (last?.ts == null) throw unknownProduct(session, product);
    to = last.ts;
  }
  const from = options.from ?? to - WEEK_MS;
  if (!(from <= to))
    throw new TraceError("bad-option", `range ${from}..${to}: expected from <= to`);
  const units = (
    await session.all<{ serial: string }>(
      `SELECT serial FROM ${session.from("unit_event", { from, to })}
       WHERE product = $product AND serial IS NOT NULL
       GROUP BY serial ORDER BY min(ts), serial`,
      { product },
    )
  ).map((r) => r.serial);
  if (units.length === 0) throw unknownProduct(session, product);
  const judged = evenSample(units, maxUnits);
  await resetStage(session);
  const all = new Map<string, Completeness>();
  const batch = session.options.exportBatchSerials;
  for (let i = 0; i < judged.length; i += batch) {
    await clearStage(session);
    for (const [serial, c] of await stageRecords(session, judged.slice(i, i + batch), "assess"))
      all.set(serial, c);
  }
  return aggregate(product, from, to, units.length, all);
}

function unknownProduct(session: TraceSession, product: string): TraceError {
  if (session.tailState.kind === "unavailable")
    return new TraceError(
      "source-unavailable",
      `product ${JSON.stringify(product)} is not in the archive or warehouse, and InfluxDB did not answer`,
    );
  return new TraceError(
    "not-found",
    `product ${JSON.stringify(product)}: no unit visit names it in the range`,
  );
}

/** Every k-th unit in time order, so that a sample spans the whole range. */
export function evenSample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)] as T);
}

export function aggregate(
  product: string,
  from: number,
  to: number,
  units: number,
  judged: ReadonlyMap<string, Completeness>,
): ProductLevels {
  const names = ["P1", "P2", "P3", "P4", "M1", "M2", "M3", "M4"] as const;
  const supporting = Object.fromEntries(names.map((n) => [n, 0])) as ProductLevels["supporting"];
  const process = [0, 0, 0, 0, 0];
  const material = [0, 0, 0, 0, 0];
  const gaps = new Map<string, { level: Gap["level"]; kind: string; serials: Set<string> }>();
  let processLevel = 4;
  let materialLevel = 4;
  for (const [serial, c] of judged) {
    for (const n of names) if (c.levels[n]) supporting[n]++;
    process[c.processLevel] = (process[c.processLevel] ?? 0) + 1;
    material[c.materialLevel] = (material[c.materialLevel] ?? 0) + 1;
    processLevel = Math.min(processLevel, c.processLevel);
    materialLevel = Math.min(materialLevel, c.materialLevel);
    for (const g of c.gaps) {
      const key = `${g.level}\u0000${g.kind}`;
      const entry = gaps.get(key) ?? { level: g.level, kind: g.kind, serials: new Set() };
      entry.serials.add(serial);
      gaps.set(key, entry);
    }
  }
  if (judged.size === 0) {
    processLevel = 0;
    materialLevel = 0;
  }
  return {
    product,
    from,
    to,
    units,
    judged: judged.size,
    processLevel,
    materialLevel,
    supporting,
    distribution: { process, material },
    gaps: [...gaps.values()]
      .map((g) => ({
        level: g.level,
        kind: g.kind,
        units: g.serials.size,
        examples: [...g.serials].slice(0, 5),
      }))
      .sort(
        (a, b) =>
          b.units - a.units || a.level.localeCompare(b.level) || a.kind.localeCompare(b.kind),
      ),
  };
}
