import type { PredictTarget } from "./options.ts";

// How results are said to the line: short numbers, the test's own name, "boards".

/** The outcome in words: "failed AOI" and "failing AOI". */
export interface OutcomeWords {
  failed: string;
  failing: string;
}

const TEST_NAMES: Readonly<Record<Exclude<PredictTarget, "any">, string>> = {
  aoi: "AOI",
  axi: "AXI",
  ict: "ICT",
  fct: "FCT",
};

/** Words for the target; a custom outcome column (a file's label) is named as it is. */
export function outcomeWords(target: PredictTarget, customLabel?: string): OutcomeWords {
  if (customLabel !== undefined) {
    return { failed: `failed (${customLabel})`, failing: `failing (${customLabel})` };
  }
  if (target === "any") return { failed: "failed a test", failing: "failing a test" };
  return { failed: `failed ${TEST_NAMES[target]}`, failing: `failing ${TEST_NAMES[target]}` };
}

/** The outcome at one reference designator: "failed ICT at C3". */
export function designatorWords(target: PredictTarget, ref: string): OutcomeWords {
  const words = outcomeWords(target);
  return { failed: `${words.failed} at ${ref}`, failing: `${words.failing} at ${ref}` };
}

/** A ratio to two significant digits: 3.1, 62, 0.55. */
export function ratioText(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-";
  return String(Number(value.toPrecision(2)));
}

/** A measured value to four significant digits. */
export function valueText(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** A share as a percentage: one decimal below 10 %. */
export function percentText(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 ? Math.round(pct) : Number(pct.toFixed(1))} %`;
}

export function countText(count: number): string {
  return count.toLocaleString("en-US");
}

export function qText(q: number): string {
  if (Number.isNaN(q)) return "q n/a";
  return q < 0.001 ? "q < 0.001" : `q = ${Number(q.toPrecision(2))}`;
}

export function levelText(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(3))} % CI`;
}
