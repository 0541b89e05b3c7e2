import {
  type ColumnChart,
  type ColumnViolation,
  type ControlChart,
  type ControlLimits,
  evaluate,
  evaluateColumns,
  type RecurrenceCarry,
  type RuleSetName,
} from "../spc/index.ts";
import { chartSpec } from "./charts.ts";
import type { Characteristic } from "./config.ts";
import type { PointLines } from "./lines.ts";
import type { Readings } from "./source.ts";
import { type FormedColumns, type FormedSubgroup, toChartSubgroup } from "./subgroups.ts";

/**
 * The subgroups one pass judges, as columns: the history kept from earlier runs followed by the
 * pass's new subgroups (qcc's phase I + newdata as one sequence). Subgroup k is `values[starts[k]]`
 * up to `values[starts[k + 1]]`; one object per subgroup is made only where one is kept or needed.
 */
export interface Sequence {
  readonly count: number;
  /** Position of the first new subgroup; those before it are history. */
  readonly firstNew: number;
  readonly values: Float64Array;
  readonly starts: Int32Array;
  readonly seq: Float64Array;
  readonly from: Float64Array;
  readonly to: Float64Array;
  readonly last: Float64Array;
}

/** History, then the subgroups formed from the pass's readings. */
export function sequenceOf(
  history: readonly FormedSubgroup[],
  readings: Readings,
  formed: FormedColumns,
): Sequence {
  const fresh = formed.starts.length;
  const count = history.length + fresh;
  let total = 0;
  for (const subgroup of history) total += subgroup.values.length;
  for (let k = 0; k < fresh; k++)
    total += (formed.ends[k] as number) - (formed.starts[k] as number);
  const sequence = {
    count,
    firstNew: history.length,
    values: new Float64Array(total),
    starts: new Int32Array(count + 1),
    seq: new Float64Array(count),
    from: new Float64Array(count),
    to: new Float64Array(count),
    last: new Float64Array(count),
  };
  let at = 0;
  history.forEach((subgroup, k) => {
    sequence.values.set(subgroup.values, at);
    at += subgroup.values.length;
    sequence.starts[k + 1] = at;
    sequence.seq[k] = subgroup.seq;
    sequence.from[k] = subgroup.from;
    sequence.to[k] = subgroup.to;
    sequence.last[k] = subgroup.last;
  });
  // Subgroups of N readings follow one another in the readings: copied a run at a time.
  for (let k = 0; k < fresh; ) {
    let next = k + 1;
    while (next < fresh && formed.starts[next] === formed.ends[next - 1]) next++;
    const start = formed.starts[k] as number;
    sequence.values.set(readings.values.subarray(start, formed.ends[next - 1]), at);
    for (; k < next; k++) {
      const position = history.length + k;
      at += (formed.ends[k] as number) - (formed.starts[k] as number);
      sequence.starts[position + 1] = at;
      sequence.seq[position] = formed.firstSeq + k;
      sequence.from[position] = formed.from[k] as number;
      sequence.to[position] = formed.to[k] as number;
      sequence.last[position] = formed.last[k] as number;
    }
  }
  return sequence;
}

/** Values in subgroup k. */
function sizeAt(sequence: Sequence, k: number): number {
  return (sequence.starts[k + 1] as number) - (sequence.starts[k] as number);
}

/** Subgroup k as the object the history keeps (and the general path charts). */
function subgroupAt(sequence: Sequence, k: number): FormedSubgroup {
  const seq = sequence.seq[k] as number;
  return {
    seq,
    label: String(seq),
    from: sequence.from[k] as number,
    to: sequence.to[k] as number,
    last: sequence.last[k] as number,
    values: Array.from(sequence.values.subarray(sequence.starts[k], sequence.starts[k + 1])),
  };
}

/** The last `n` subgroups (all when fewer), as objects. */
export function lastSubgroups(sequence: Sequence, n: number): FormedSubgroup[] {
  const subgroups: FormedSubgroup[] = [];
  for (let k = Math.max(0, sequence.count - n); k < sequence.count; k++) {
    subgroups.push(subgroupAt(sequence, k));
  }
  return subgroups;
}

type Series = "location" | "dispersion";

/** One chart of a pass, judged: its violations, and its points as `spc_point` lines. */
export interface JudgedSeries {
  readonly series: Series;
  readonly chart: ControlChart["chart"];
  /** Position of the chart's first point: 1 on a moving-range chart, which has none at 0. */
  readonly firstPoint: number;
  readonly violations: readonly ColumnViolation[];
  /** The statistic a violation is about, and the limit it crossed (the centre line for run rules). */
  valueAndLimit(violation: ColumnViolation): { value: number; limit: number };
  /**
   * The `spc_point` line of the subgroup at `position` (≥ `firstPoint`); `stamp` is its last
   * reading's time as `timestampText` writes it.
   */
  line(
    position: number,
    lines: PointLines,
    sequence: Sequence,
    phase: 1 | 2,
    stamp: string,
  ): string;
  /** EWMA's and CUSUM's recurrence state after the point at `position`; undefined for the others. */
  stateAfter(position: number): Omit<RecurrenceCarry, "before"> | undefined;
}

/**
 * The limit a Shewhart point crossed: a control limit, a zone boundary (centre ± 2σ or 1σ of the
 * WE and Nelson zone rules), or the centre line for run and trend rules.
 */
function shewhartLimit(
  violation: ColumnViolation,
  point: { center: number; lcl: number; ucl: number; sigma: number },
): number {
  const upper = violation.side !== "lower";
  switch (violation.rule) {
    case "beyond-limits":
    case "we1":
    case "nelson1":
      return upper ? point.ucl : point.lcl;
    case "we2":
    case "nelson5":
      return point.center + (upper ? 2 : -2) * point.sigma;
    case "we3":
    case "nelson6":
      return point.center + (upper ? 1 : -1) * point.sigma;
    default:
      return point.center;
  }
}

/** A chart judged by the engine's `evaluate`, an object per point. */
function perPoint(series: Series, chart: ControlChart): JudgedSeries {
  const { points } = chart;
  const firstPoint = (points[0]?.index ?? 1) - 1;
  const pointAt = (position: number) => {
    const point = points[position - firstPoint];
    if (point === undefined) throw new RangeError(`no point at ${position} on the chart`);
    return point;
  };
  return {
    series,
    chart: chart.chart,
    firstPoint,
    violations: chart.violations,
    valueAndLimit(violation) {
      const point = pointAt(violation.index - 1);
      if ("upper" in point) {
        return violation.side !== "lower"
          ? { value: point.upper, limit: point.ucl }
          : { value: point.lower, limit: point.lcl };
      }
      return { value: point.statistic, limit: shewhartLimit(violation, point) };
    },
    line(position, lines, sequence, phase, stamp) {
      const point = pointAt(position);
      const value = "upper" in point ? point.upper : point.statistic;
      const mean = "mean" in point ? point.mean : undefined;
      const lower = "lower" in point ? point.lower : undefined;
      return lines.line(
        value,
        point.center,
        point.lcl,
        point.ucl,
        sizeAt(sequence, position),
        phase,
        stamp,
        mean,
        lower,
      );
    },
    stateAfter(position) {
      const point = pointAt(position);
      if ("upper" in point) return { upper: point.upper, lower: point.lower };
      if (chart.chart === "ewma" && "statistic" in point) return { smoothed: point.statistic };
      return undefined;
    },
  };
}

/** A chart judged by the engine's `evaluateColumns`, its points as columns. */
function asColumns(series: Series, chart: ColumnChart): JudgedSeries {
  const { statistic, center, lcl, ucl, sigma } = chart;
  return {
    series,
    chart: chart.chart,
    firstPoint: 0,
    violations: chart.violations,
    valueAndLimit(violation) {
      const k = violation.index - 1;
      const point = {
        center: center[k] as number,
        lcl: lcl[k] as number,
        ucl: ucl[k] as number,
        sigma: sigma[k] as number,
      };
      return { value: statistic[k] as number, limit: shewhartLimit(violation, point) };
    },
    line(position, lines, sequence, phase, stamp) {
      return lines.line(
        statistic[position] as number,
        center[position] as number,
        lcl[position] as number,
        ucl[position] as number,
        sizeAt(sequence, position),
        phase,
        stamp,
      );
    },
    // X̄, R and S points depend on their own subgroup only: nothing carries over.
    stateAfter: () => undefined,
  };
}

/** The frozen limits of a characteristic's charts: location, and dispersion when it has one. */
interface JudgedLimits {
  readonly location: ControlLimits;
  readonly dispersion: ControlLimits | null;
}

/**
 * Whether a characteristic's subgroups are judged as columns: X̄-R and X̄-S, whose every point is
 * its own subgroup's mean, range or standard deviation. The other charts go through `evaluate`.
 */
function judgedAsColumns(characteristic: Pick<Characteristic, "chart">): boolean {
  const spec = chartSpec(characteristic.chart);
  return spec.location === "xbar" && (spec.dispersion === "r" || spec.dispersion === "s");
}

/**
 * Judges the sequence against the frozen limits: location chart first, then the dispersion
 * chart. X̄-R and X̄-S go over the columns as they are (unless `perPoint`); the other charts through
 * the engine's general per-point path, with the subgroups made into objects. Both give the
 * engine's numbers, bit for bit. Throws the engine's SpcError on data it refuses.
 */
export function judge(
  characteristic: Pick<Characteristic, "chart" | "spec" | "rules" | "runLength">,
  limits: JudgedLimits,
  sequence: Sequence,
  perPointOnly = false,
  carry?: RecurrenceCarry,
): JudgedSeries[] {
  const rules: { rules: RuleSetName; runLength: number } = {
    rules: characteristic.rules,
    runLength: characteristic.runLength,
  };
  const charts: [Series, ControlLimits][] = [["location", limits.location]];
  if (limits.dispersion) charts.push(["dispersion", limits.dispersion]);
  if (judgedAsColumns(characteristic) && !perPointOnly) {
    const columns = { values: sequence.values, starts: sequence.starts };
    return charts.map(([series, chartLimits]) =>
      asColumns(series, evaluateColumns(chartLimits, columns, rules)),
    );
  }
  const chartSubgroups = [];
  for (let k = 0; k < sequence.count; k++) {
    chartSubgroups.push(toChartSubgroup(characteristic, subgroupAt(sequence, k)));
  }
  const phases = {
    phase1: chartSubgroups.slice(0, sequence.firstNew),
    phase2: chartSubgroups.slice(sequence.firstNew),
  };
  return charts.map(([series, chartLimits]) =>
    perPoint(series, evaluate(chartLimits, phases, { ...rules, ...(carry ? { carry } : {}) })),
  );
}
