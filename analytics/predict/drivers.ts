import { findRidersAlong, type GroupMembership, type RidingAlong } from "./confounding.ts";
import type { CategoricalFeature, ContinuousFeature, Dataset } from "./dataset.ts";
import { normalCritical } from "./distributions.ts";
import { benjaminiHochberg } from "./multiple-testing.ts";
import { MISSING_CATEGORY } from "./preprocess.ts";
import { mannWhitney } from "./rank-tests.ts";
import { chiSquareTest, fisherExact, rateRatio } from "./tables.ts";
import { fitUnivariateLogistic } from "./univariate-logistic.ts";
import {
  countText,
  levelText,
  type OutcomeWords,
  percentText,
  qText,
  ratioText,
  valueText,
} from "./words.ts";

/** A univariate logistic fit of failing on a measured value. */
export interface LogisticEffect {
  /** Odds ratio of failing per `per` of the value (IQR; SD when the IQR is 0), Wald interval. */
  oddsRatio: number;
  ciLow: number;
  ciHigh: number;
  per: "IQR" | "SD";
  /** Width of that step, in the value's unit. */
  step: number;
  /** Wald p of the slope. */
  p: number;
}

/** A candidate cause of failing, its effect and the evidence for it. */
export interface Driver {
  feature: string;
  kind: "continuous" | "categorical";
  /**
   * Rate ratio of failing: boards in `group` against all other boards with a value. For a measured
   * value the group is the upper quartile (above Q3), or the lower one (below Q1) when failing boards
   * rank low. null when no group of enough boards can be formed.
   */
  effect: number | null;
  /** Katz log interval of `effect` (0.5 added to every cell when one is empty). */
  ciLow: number | null;
  ciHigh: number | null;
  /** p of the test that ranks the drivers: Mann–Whitney U, Fisher exact (two groups) or chi-square. */
  p: number;
  /** Benjamini–Hochberg q-value across every feature tested. */
  q: number;
  test: "mann-whitney" | "fisher-exact" | "chi-square";
  /** The finding in the line's words. */
  summary: string;
  /** Boards with an outcome and a value, and how many of them failed. */
  units: number;
  failed: number;
  /** The group compared with the rest: a category, or "> 4.338" / "< 1.2" for a measured value. */
  group: string | null;
  groupUnits: number | null;
  groupRate: number | null;
  otherRate: number | null;
  /** Continuous: where the group was cut off (the median when ties leave the quartile too thin). */
  cut?: "upper quartile" | "lower quartile" | "median";
  /** Categorical: groups in the table, after pooling rare ones as "(other)". */
  levels?: number;
  /** Continuous: chance that a failing board has the higher value (Mann–Whitney U / pairs). */
  rankAuc?: number;
  /** Continuous: the logistic effect over the whole range; null when separation leaves it infinite. */
  logistic?: LogisticEffect | null;
  /**
   * Set when the effect is gone among boards alike in a stronger driver (Mantel–Haenszel), while
   * that one's is not among boards alike in this: it rides along (a lot in use during a humid
   * afternoon). Such drivers rank after the others of the leading group.
   */
  ridingAlong?: RidingAlong;
}

/** A tested feature before the q-values, with who is in its group (kept out of the report). */
type Tested = Omit<Driver, "q" | "summary"> & { member?: GroupMembership };

/** Boards in a group against the rest: rate ratio, interval and the rates. */
interface Contrast {
  effect: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  group: string | null;
  groupUnits: number | null;
  groupRate: number | null;
  otherRate: number | null;
}

const NO_CONTRAST: Contrast = {
  effect: null,
  ciLow: null,
  ciHigh: null,
  group: null,
  groupUnits: null,
  groupRate: null,
  otherRate: null,
};

function contrast(
  group: string,
  groupUnits: number,
  groupFailed: number,
  units: number,
  failed: number,
  z: number,
): Contrast {
  const a = groupFailed;
  const b = groupUnits - groupFailed;
  const c = failed - groupFailed;
  const d = units - groupUnits - c;
  const ratio = rateRatio(a, b, c, d, z);
  return {
    effect: ratio.estimate,
    ciLow: ratio.low,
    ciHigh: ratio.high,
    group,
    groupUnits,
    groupRate: a / groupUnits,
    otherRate: c / (units - groupUnits),
  };
}

/** How drivers are found. */
export interface DriverSettings {
  words: OutcomeWords;
  /** Confidence level of the intervals. */
  confidence: number;
  /** Fewest units a group needs for its own row; rarer groups pool as "(other)". */
  minLevelUnits: number;
  /** Significance for the riding-along check (q of a leading driver, stratified p); default 0.05. */
  alpha?: number;
}

const OTHER_LEVEL = "(other)";
/** Leading drivers checked pairwise for riding along another (Mantel–Haenszel, both ways). */
const RIDERS_CHECKED = 20;

/** Type-7 quantile of sorted values. */
function quantile(sorted: Float64Array, probability: number): number {
  const position = (sorted.length - 1) * probability;
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  const lowValue = sorted[low] as number;
  return lowValue + (position - low) * ((sorted[high] as number) - lowValue);
}

/**
 * The upper quartile (or the lower one when failing boards rank low) against the rest; when ties
 * leave too few boards beyond the quartile, boards at it count too, then the median splits.
 */
function quartileContrast(
  x: Float64Array,
  y: Uint8Array,
  failed: number,
  upper: boolean,
  settings: DriverSettings,
  z: number,
  sorted: Float64Array,
): Contrast & { cut?: Driver["cut"]; inGroup?: (v: number) => boolean } {
  const units = x.length;
  const quartile = upper ? "upper quartile" : "lower quartile";
  const cuts: [number, boolean, NonNullable<Driver["cut"]>][] = [
    [quantile(sorted, upper ? 0.75 : 0.25), false, quartile],
    [quantile(sorted, upper ? 0.75 : 0.25), true, quartile],
    [quantile(sorted, 0.5), false, "median"],
  ];
  for (const [cut, inclusive, name] of cuts) {
    let groupUnits = 0;
    let groupFailed = 0;
    for (let i = 0; i < units; i++) {
      const v = x[i] as number;
      const inGroup = upper
        ? v > cut || (inclusive && v === cut)
        : v < cut || (inclusive && v === cut);
      if (inGroup) {
        groupUnits++;
        groupFailed += y[i] as number;
      }
    }
    if (groupUnits >= settings.minLevelUnits && units - groupUnits >= settings.minLevelUnits) {
      const sign = `${upper ? ">" : "<"}${inclusive ? "=" : ""}`;
      return {
        ...contrast(`${sign} ${valueText(cut)}`, groupUnits, groupFailed, units, failed, z),
        cut: name,
        inGroup: (v) =>
          upper ? v > cut || (inclusive && v === cut) : v < cut || (inclusive && v === cut),
      };
    }
  }
  return NO_CONTRAST;
}

function logisticEffect(
  x: Float64Array,
  y: Uint8Array,
  sorted: Float64Array,
  z: number,
): LogisticEffect | null {
  const fit = fitUnivariateLogistic(x, y);
  if (!fit.estimable) return null;
  let per: LogisticEffect["per"] = "IQR";
  let step = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  if (!(step > 0)) {
    // Mostly one value (a rarely changed setting): the IQR is 0, so say it per standard deviation.
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    let ss = 0;
    for (const v of x) ss += (v - mean) ** 2;
    step = Math.sqrt(ss / (x.length - 1));
    per = "SD";
  }
  return {
    oddsRatio: Math.exp(fit.slope * step),
    ciLow: Math.exp((fit.slope - z * fit.slopeSe) * step),
    ciHigh: Math.exp((fit.slope + z * fit.slopeSe) * step),
    per,
    step,
    p: fit.p,
  };
}

function continuousDriver(
  feature: ContinuousFeature,
  rows: Uint32Array,
  outcome: Int8Array,
  settings: DriverSettings,
): Tested | string {
  let units = 0;
  for (const i of rows) if (!Number.isNaN(feature.values[i] as number)) units++;
  const x = new Float64Array(units);
  const y = new Uint8Array(units);
  let k = 0;
  let failed = 0;
  for (const i of rows) {
    const v = feature.values[i] as number;
    if (Number.isNaN(v)) continue;
    x[k] = v;
    y[k] = outcome[i] as number;
    failed += outcome[i] as number;
    k++;
  }
  if (failed === 0 || failed === units) {
    return `no ${failed === 0 ? "failing" : "passing"} board has a value`;
  }
  const rank = mannWhitney(x, y);
  const sorted = Float64Array.from(x).sort();
  const z = normalCritical(settings.confidence);
  const { inGroup, ...group } = quartileContrast(
    x,
    y,
    failed,
    rank.auc >= 0.5,
    settings,
    z,
    sorted,
  );
  const values = feature.values;
  return {
    feature: feature.name,
    kind: "continuous",
    ...group,
    ...(inGroup === undefined
      ? {}
      : {
          member: (row: number) => {
            const v = values[row] as number;
            return Number.isNaN(v) ? null : inGroup(v);
          },
        }),
    p: rank.p,
    test: "mann-whitney",
    units,
    failed,
    rankAuc: rank.auc,
    logistic: logisticEffect(x, y, sorted, z),
  };
}

function categoricalDriver(
  feature: CategoricalFeature,
  rows: Uint32Array,
  outcome: Int8Array,
  settings: DriverSettings,
): Tested | string {
  const counts = new Map<string, { units: number; failed: number }>();
  for (const i of rows) {
    const level = feature.values[i] ?? MISSING_CATEGORY;
    const entry = counts.get(level) ?? { units: 0, failed: 0 };
    entry.units++;
    entry.failed += outcome[i] as number;
    counts.set(level, entry);
  }
  const groups: { level: string; units: number; failed: number }[] = [];
  const pooled = { level: OTHER_LEVEL, units: 0, failed: 0 };
  for (const [level, c] of counts) {
    if (c.units >= settings.minLevelUnits) groups.push({ level, ...c });
    else {
      pooled.units += c.units;
      pooled.failed += c.failed;
    }
  }
  if (pooled.units > 0) groups.push(pooled);
  if (groups.length < 2) return `fewer than two groups of ${settings.minLevelUnits} or more boards`;
  let units = 0;
  let failed = 0;
  for (const g of groups) {
    units += g.units;
    failed += g.failed;
  }
  if (failed === 0 || failed === units) return `no ${failed === 0 ? "failing" : "passing"} board`;

  // The group the data single out most among those that fail more often than the rest (what to
  // act on is a bad lot, not the good ones): smallest Fisher p against the rest, then the higher rate.
  const overall = failed / units;
  const raising = groups.filter((g) => g.level !== OTHER_LEVEL && g.failed / g.units > overall);
  let best: { level: string; units: number; failed: number; p: number } | undefined;
  for (const g of raising.length > 0 ? raising : groups) {
    if (g.level === OTHER_LEVEL) continue;
    const rest = units - g.units;
    const restFailed = failed - g.failed;
    const p = fisherExact(g.failed, g.units - g.failed, restFailed, rest - restFailed);
    const better =
      best === undefined ||
      p < best.p ||
      (p === best.p && g.failed / g.units > best.failed / best.units);
    if (better) best = { ...g, p };
  }
  if (best === undefined) return "only rare groups";
  const table =
    groups.length === 2
      ? { p: best.p, test: "fisher-exact" as const }
      : {
          p: chiSquareTest(
            groups.map((g) => g.failed),
            groups.map((g) => g.units),
          ).p,
          test: "chi-square" as const,
        };
  const z = normalCritical(settings.confidence);
  const level = best.level;
  const values = feature.values;
  return {
    feature: feature.name,
    kind: "categorical",
    ...contrast(best.level, best.units, best.failed, units, failed, z),
    member: (row: number) => (values[row] ?? MISSING_CATEGORY) === level,
    p: table.p,
    test: table.test,
    units,
    failed,
    levels: groups.length,
  };
}

/** A driver in the line's words (its `summary`), from its figures. */
export function driverSummary(driver: Omit<Driver, "summary">, settings: DriverSettings): string {
  const { words } = settings;
  const q = qText(driver.q);
  const ci = levelText(settings.confidence);
  if (driver.effect === null) {
    const rank =
      driver.rankAuc === undefined
        ? ""
        : `a failing board has the higher value in ${percentText(driver.rankAuc)} of pairs; `;
    return `${driver.feature} differs between failing and passing boards (${rank}${countText(driver.units)} boards; ${q}), but too few distinct values to compare groups of boards`;
  }
  const who =
    driver.kind === "categorical"
      ? `boards with ${driver.feature} = ${driver.group}`
      : `boards with ${driver.feature} ${(driver.group as string).replace(">=", "at or above").replace("<=", "at or below").replace(">", "above").replace("<", "below")}`;
  const quartile = driver.cut === undefined ? "" : ` (the ${driver.cut})`;
  const shares = `${percentText(driver.groupRate as number)} vs ${percentText(driver.otherRate as number)}`;
  const riding =
    driver.ridingAlong === undefined
      ? ""
      : `; but no more often than boards alike in ${driver.ridingAlong.feature} (stratified p ${pText(driver.ridingAlong.p)}): it rides along with that`;
  return `${who}${quartile} ${words.failed} ${ratioText(driver.effect)}× as often as the other boards (${shares}; ${ci} ${ratioText(driver.ciLow as number)}–${ratioText(driver.ciHigh as number)}; ${countText(driver.groupUnits as number)} of ${countText(driver.units)} boards; ${q})${riding}`;
}

function pText(p: number): string {
  return p >= 0.01 ? p.toFixed(2) : p.toExponential(0);
}

/**
 * Tests every candidate feature of the labelled units for an effect on failing, adjusts for the
 * number of features (Benjamini–Hochberg) and ranks them: smallest p first, then larger effect.
 * Features that cannot be tested are listed in `skipped` with the reason.
 */
export function findDrivers(
  dataset: Dataset,
  settings: DriverSettings,
): { drivers: Driver[]; skipped: string[] } {
  const labelled: number[] = [];
  for (let i = 0; i < dataset.outcome.length; i++)
    if ((dataset.outcome[i] as number) >= 0) labelled.push(i);
  const rows = Uint32Array.from(labelled);
  const found: Tested[] = [];
  const skipped: string[] = [];
  for (const feature of dataset.features) {
    const result =
      feature.kind === "continuous"
        ? continuousDriver(feature, rows, dataset.outcome, settings)
        : categoricalDriver(feature, rows, dataset.outcome, settings);
    if (typeof result === "string") skipped.push(`not tested ${feature.name}: ${result}`);
    else found.push(result);
  }
  const q = benjaminiHochberg(found.map((d) => d.p));
  const members = new Map<string, GroupMembership>();
  const drivers = found.map((d, i): Driver => {
    const { feature, kind, effect, ciLow, ciHigh, p, member, ...rest } = d;
    if (member) members.set(feature, member);
    return { feature, kind, effect, ciLow, ciHigh, p, q: q[i] as number, summary: "", ...rest };
  });
  const strength = (d: Driver) => (d.effect === null ? 0 : Math.abs(Math.log(d.effect)));
  drivers.sort(
    (x, y) =>
      (Number.isNaN(x.p) ? 2 : x.p) - (Number.isNaN(y.p) ? 2 : y.p) ||
      strength(y) - strength(x) ||
      x.feature.localeCompare(y.feature),
  );
  const ordered = demoteRidersAlong(drivers, members, labelled, dataset.outcome, settings);
  for (const driver of ordered) driver.summary = driverSummary(driver, settings);
  return { drivers: ordered, skipped };
}

/**
 * The leading drivers (q < alpha, at most `RIDERS_CHECKED`) with the categories riding along
 * another driver moved after the rest of them, in their order; the others keep their places.
 */
function demoteRidersAlong(
  drivers: Driver[],
  members: ReadonlyMap<string, GroupMembership>,
  rows: readonly number[],
  outcome: Int8Array,
  settings: DriverSettings,
): Driver[] {
  const alpha = settings.alpha ?? 0.05;
  const leading = drivers
    .slice(0, RIDERS_CHECKED)
    .filter((d) => d.q < alpha && members.has(d.feature));
  if (leading.length < 2) return drivers;
  const riders = findRidersAlong(
    leading.map((_, i) => i),
    (i) => leading[i]?.kind === "categorical",
    leading.map((d) => members.get(d.feature) as GroupMembership),
    leading.map((d) => d.feature),
    rows,
    outcome,
    alpha,
  );
  if (riders.size === 0) return drivers;
  leading.forEach((d, i) => {
    const rider = riders.get(i);
    if (rider) d.ridingAlong = rider;
  });
  // The leading drivers are a prefix (q rises with p); riders go to its end, in their order.
  const checked = Math.min(RIDERS_CHECKED, drivers.length);
  const prefix = drivers.slice(0, checked).findIndex((d) => !(d.q < alpha));
  const end = prefix === -1 ? checked : prefix;
  const head = drivers.slice(0, end);
  return [
    ...head.filter((d) => !d.ridingAlong),
    ...head.filter((d) => d.ridingAlong),
    ...drivers.slice(end),
  ];
}
