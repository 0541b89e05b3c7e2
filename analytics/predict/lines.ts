import { Point } from "@influxdata/influxdb-client";
import type { RiskScore } from "./analyse.ts";
import type { Driver } from "./drivers.ts";
import type { PredictTarget } from "./options.ts";

/** InfluxDB measurement of unit risk scores. */
export const RISK_MEASUREMENT = "risk";

/** InfluxDB measurement of ranked defect drivers. */
export const DRIVER_MEASUREMENT = "defect_driver";

/** Site and line tag when the units do not say (a file without those columns). */
export const UNKNOWN_ORIGIN = "unknown";

function serialized(point: Point): string {
  const line = point.toLineProtocol();
  // Every point here carries a field, so none means a broken row, not an empty one.
  if (line === undefined) throw new Error(`${point.toString()} has no fields`);
  return line;
}

/** Where and when the scores and drivers of one run belong. */
export interface ResultStamp {
  target: PredictTarget;
  /** Time of points whose unit has no time of its own, and of drivers: the run, epoch ms. */
  at: number;
  /** Site and line when the units do not carry them. Default "unknown". */
  site?: string;
  line?: string;
}

/**
 * Line protocol (ms precision) of risk scores, measurement `risk`, series (site, line, product,
 * target, serial) — serial is a tag as on every unit-scoped point — at the unit's time (the run's
 * when the unit has none). A later run re-scoring the same unit overwrites its point.
 */
export function riskLines(scores: readonly RiskScore[], stamp: ResultStamp): string[] {
  return scores.map((s) => {
    const point = new Point(RISK_MEASUREMENT)
      .tag("site", s.site ?? stamp.site ?? UNKNOWN_ORIGIN)
      .tag("line", s.line ?? stamp.line ?? UNKNOWN_ORIGIN)
      .tag("target", stamp.target)
      .tag("serial", s.id)
      .floatField("score", s.score);
    if (s.product !== undefined) point.tag("product", s.product);
    return serialized(point.timestamp(s.time ?? stamp.at));
  });
}

/**
 * Line protocol (ms precision) of drivers, measurement `defect_driver`, series (site, line, target,
 * feature, rank) at the run's time: each run is one ranked snapshot, and within a run a feature
 * has one rank, so no two drivers share a series and timestamp. Drivers of defects at a reference
 * designator (with `ref`) add the tags `scope=designator` and `ref`.
 */
export function driverLines(
  drivers: readonly (Driver & { ref?: string })[],
  stamp: ResultStamp,
): string[] {
  return drivers.map((d, index) => {
    const point = new Point(DRIVER_MEASUREMENT)
      .tag("site", stamp.site ?? UNKNOWN_ORIGIN)
      .tag("line", stamp.line ?? UNKNOWN_ORIGIN)
      .tag("target", stamp.target)
      .tag("feature", d.feature)
      .tag("rank", String(index + 1))
      .stringField("summary", d.summary)
      .stringField("kind", d.kind)
      .stringField("test", d.test)
      .intField("units", d.units)
      .intField("failed", d.failed);
    const floats: [string, number | null][] = [
      ["effect", d.effect],
      ["ci_low", d.ciLow],
      ["ci_high", d.ciHigh],
      ["p", d.p],
      ["q", d.q],
    ];
    for (const [name, value] of floats) {
      if (value !== null && Number.isFinite(value)) point.floatField(name, value);
    }
    if (d.group !== null) point.stringField("group", d.group);
    // Designator drivers rank among themselves: the scope tag keeps their ranks apart.
    if (d.ref !== undefined) point.tag("scope", "designator").tag("ref", d.ref);
    return serialized(point.timestamp(stamp.at));
  });
}
