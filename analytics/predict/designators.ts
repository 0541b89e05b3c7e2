import type { Dataset, Feature } from "./dataset.ts";
import { type Driver, type DriverSettings, driverSummary, findDrivers } from "./drivers.ts";
import { benjaminiHochberg } from "./multiple-testing.ts";
import type { OutcomeWords } from "./words.ts";

// Lineage by reference designator: a defect called at C3 is set against what C3 itself was made
// of — the lot and supplier it was placed from, the paste on its own pads — rather than against
// the whole board, so a bad lot of one capacitor shows at that capacitor.

/** What one board knows of one reference designator, and whether the test called a defect there. */
export interface DesignatorRecord {
  serial: string;
  ref: string;
  lot: string | null;
  supplier: string | null;
  /** Mean paste volume of the designator's pads at the first SPI inspection, % (null: not inspected). */
  spiVolumeMeanPct: number | null;
  /** Share of those pads outside the SPI window. */
  spiOutsideShare: number | null;
  /** The first test of the target's kind called a defect at this designator; null: not tested. */
  defect: boolean | null;
}

/** "boards with C3.lot = L" said as "boards whose C3 came from lot L". */
function designatorSentence(ref: string, sentence: string): string {
  const whose = `boards whose ${ref}`;
  for (const [attribute, words] of [
    ["lot = ", "came from lot "],
    ["supplier = ", "came from supplier "],
    ["spi_volume_mean_pct ", "pads had a mean paste volume (%) "],
    ["spi_outside_share ", "pads had a share outside the SPI window "],
  ] as const) {
    const prefix = `boards with ${ref}.${attribute}`;
    if (sentence.startsWith(prefix)) return `${whose} ${words}${sentence.slice(prefix.length)}`;
  }
  return sentence;
}

/**
 * A driver of defects at one reference designator. Its feature is `<ref>.lot`, `<ref>.supplier`,
 * `<ref>.spi_volume_mean_pct` or `<ref>.spi_outside_share`: apart from the board drivers' names.
 */
export interface DesignatorDriver extends Driver {
  ref: string;
}

/**
 * Per designator with defects: its lot, supplier and pads tested against "the test called a
 * defect here", with the same tests and effects as board drivers; q-values across every
 * designator and feature tested. `words(ref)` names the outcome ("failed ICT at C3").
 */
export function findDesignatorDrivers(
  records: readonly DesignatorRecord[],
  settings: Omit<DriverSettings, "words">,
  words: (ref: string) => OutcomeWords,
): { drivers: DesignatorDriver[]; skipped: string[] } {
  const byRef = new Map<string, DesignatorRecord[]>();
  for (const r of records) {
    const list = byRef.get(r.ref);
    if (list) list.push(r);
    else byRef.set(r.ref, [r]);
  }
  const found: DesignatorDriver[] = [];
  const skipped: string[] = [];
  const wordsOf = new Map<string, OutcomeWords>();
  for (const [ref, rows] of [...byRef].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const features: Feature[] = [
      { kind: "categorical", name: `${ref}.lot`, values: rows.map((r) => r.lot) },
      { kind: "categorical", name: `${ref}.supplier`, values: rows.map((r) => r.supplier) },
      {
        kind: "continuous",
        name: `${ref}.spi_volume_mean_pct`,
        values: Float64Array.from(rows, (r) => r.spiVolumeMeanPct ?? Number.NaN),
      },
      {
        kind: "continuous",
        name: `${ref}.spi_outside_share`,
        values: Float64Array.from(rows, (r) => r.spiOutsideShare ?? Number.NaN),
      },
    ];
    const dataset: Dataset = {
      label: `defect at ${ref}`,
      idColumn: "serial",
      timeColumn: undefined,
      ids: rows.map((r) => r.serial),
      outcome: Int8Array.from(rows, (r) => (r.defect === null ? -1 : r.defect ? 1 : 0)),
      times: undefined,
      features: features.filter((f) =>
        f.kind === "continuous"
          ? f.values.some((v) => !Number.isNaN(v))
          : f.values.some((v) => v !== null),
      ),
      attributes: {},
      notes: [],
    };
    const refWords = words(ref);
    wordsOf.set(ref, refWords);
    const result = findDrivers(dataset, { ...settings, words: refWords });
    skipped.push(...result.skipped.map((s) => `${s} (defects at ${ref})`));
    for (const d of result.drivers) found.push({ ...d, ref });
  }
  const q = benjaminiHochberg(found.map((d) => d.p));
  found.forEach((d, i) => {
    d.q = q[i] as number;
    d.summary = designatorSentence(
      d.ref,
      driverSummary(d, { ...settings, words: wordsOf.get(d.ref) as OutcomeWords }),
    );
  });
  const strength = (d: Driver) => (d.effect === null ? 0 : Math.abs(Math.log(d.effect)));
  found.sort(
    (x, y) =>
      (Number.isNaN(x.p) ? 2 : x.p) - (Number.isNaN(y.p) ? 2 : y.p) ||
      strength(y) - strength(x) ||
      x.feature.localeCompare(y.feature),
  );
  return { drivers: found, skipped };
}
