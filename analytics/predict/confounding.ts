import { chiSquareUpperTail } from "./distributions.ts";

/** Whether a unit (a row of the dataset) is in a driver's group; null when it has no value. */
export type GroupMembership = (row: number) => boolean | null;

/** A driver whose effect is gone among boards alike in a stronger one. */
export interface RidingAlong {
  /** The feature that explains it. */
  feature: string;
  /** Mantel–Haenszel p of this driver's group, stratified by the explaining driver's group. */
  p: number;
}

/**
 * Mantel–Haenszel test (continuity-corrected, 1 df) of group `a` against failing, within the
 * strata in / not in group `b`: does `a` still go with failing among boards alike in `b`?
 * 1 when no stratum has boards on both sides of `a`.
 */
export function stratifiedP(
  a: GroupMembership,
  b: GroupMembership,
  rows: readonly number[],
  outcome: Int8Array,
): number {
  let observedMinusExpected = 0;
  let variance = 0;
  for (const stratum of [true, false]) {
    let n = 0;
    let inA = 0;
    let failed = 0;
    let inAFailed = 0;
    for (const row of rows) {
      const memberA = a(row);
      if (memberA === null || b(row) !== stratum) continue;
      const y = outcome[row] as number;
      n++;
      failed += y;
      if (memberA) {
        inA++;
        inAFailed += y;
      }
    }
    if (n < 2) continue;
    observedMinusExpected += inAFailed - (inA * failed) / n;
    variance += (inA * (n - inA) * failed * (n - failed)) / (n * n * (n - 1));
  }
  if (!(variance > 0)) return 1;
  const corrected = Math.max(0, Math.abs(observedMinusExpected) - 0.5);
  return chiSquareUpperTail((corrected * corrected) / variance, 1);
}

/**
 * Which of the leading drivers only ride along with another: a lot in use during a humid
 * afternoon fails as often as the humidity says, and the two rank side by side. A driver is
 * riding along with a better-explaining one when, among boards alike in the other (both in its
 * group, or both out), its own group no longer goes with failing (stratified p ≥ alpha) while
 * the other's still does among boards alike in it (p < alpha). Drivers that cannot be told apart
 * (the same boards, e.g. one lot on two designators) explain each other away and neither is
 * marked. `candidates` are indices into `members`, strongest first; only those `mayRide` allows
 * are checked for riding along (the job lets categories ride: a lot, supplier, station or shift
 * marks when a board was built, and so goes with whatever happened then; a measured value is the
 * physical evidence, and a coarser summary of it, such as the SPI verdict, must not demote it).
 */
export function findRidersAlong(
  candidates: readonly number[],
  mayRide: (index: number) => boolean,
  members: readonly GroupMembership[],
  names: readonly string[],
  rows: readonly number[],
  outcome: Int8Array,
  alpha: number,
): Map<number, RidingAlong> {
  // Every pair once each way; then each rider is named after the strongest driver that explains
  // it and rides along with nothing itself (a lot explained by another lot that the humidity
  // explains is named after the humidity), else the strongest that explains it.
  const explainers = new Map<number, { b: number; p: number }[]>();
  for (const a of candidates) {
    if (!mayRide(a)) continue;
    for (const b of candidates) {
      if (a === b) continue;
      const aGivenB = stratifiedP(
        members[a] as GroupMembership,
        members[b] as GroupMembership,
        rows,
        outcome,
      );
      if (aGivenB < alpha) continue;
      const bGivenA = stratifiedP(
        members[b] as GroupMembership,
        members[a] as GroupMembership,
        rows,
        outcome,
      );
      if (bGivenA >= alpha) continue;
      const list = explainers.get(a) ?? [];
      list.push({ b, p: aGivenB });
      explainers.set(a, list);
    }
  }
  const riders = new Map<number, RidingAlong>();
  for (const [a, list] of explainers) {
    const chosen = list.find((e) => !explainers.has(e.b)) ?? (list[0] as { b: number; p: number });
    riders.set(a, { feature: names[chosen.b] as string, p: chosen.p });
  }
  return riders;
}
