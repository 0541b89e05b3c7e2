import type { Subgroup, VariablesSubgroup } from "../spc/index.ts";
import { chartSpec } from "./charts.ts";
import type { Characteristic, SubgroupSpec } from "./config.ts";
import type { Readings } from "./source.ts";

/**
 * A complete subgroup of readings, numbered in the order the characteristic formed them. It is
 * the engine's measurements subgroup as it is (label and values), so a backlog of a million
 * readings does not make a second object per subgroup.
 */
export interface FormedSubgroup extends VariablesSubgroup {
  /** 1-based position among all subgroups of the characteristic. */
  readonly seq: number;
  /** `seq` as text: the subgroup's name on the chart. */
  readonly label: string;
  /** First instant the subgroup covers: its first reading, or its time window's start (epoch ms). */
  readonly from: number;
  /** Last instant it covers: its last reading, or its window's last millisecond. */
  readonly to: number;
  /** Its last reading: the timestamp of everything written about it. */
  readonly last: number;
  readonly values: number[];
}

/** How far a characteristic's readings are consumed: every reading before `ts`, and `offset` at `ts`. */
export interface Cursor {
  readonly ts: number;
  readonly offset: number;
}

/**
 * Complete subgroups as columns over the readings they were formed from: subgroup k is readings
 * `starts[k]` up to, not including, `ends[k]` (a sparse window between two subgroups is skipped).
 */
export interface FormedColumns {
  /** `seq` of the first subgroup; the others follow one by one. */
  readonly firstSeq: number;
  readonly starts: number[];
  readonly ends: number[];
  /** First instant each subgroup covers: its first reading, or its time window's start (epoch ms). */
  readonly from: number[];
  /** Last instant each covers: its last reading, or its window's last millisecond. */
  readonly to: number[];
  /** Each one's last reading: the timestamp of everything written about it. */
  readonly last: number[];
  /** Where the next run starts; the previous cursor when nothing was consumed. */
  readonly cursor: Cursor | null;
  /** Time windows that closed with fewer readings than `minSize` (consumed, not charted). */
  readonly sparseWindows: number;
  /** Readings consumed from the front: those of the subgroups and of the sparse windows. */
  readonly consumed: number;
}

export interface Formed {
  readonly subgroups: FormedSubgroup[];
  /** Where the next run starts; the previous cursor when nothing was consumed. */
  readonly cursor: Cursor | null;
  /** Time windows that closed with fewer readings than `minSize` (consumed, not charted). */
  readonly sparseWindows: number;
  /** Readings consumed from the front: those of the subgroups and of the sparse windows. */
  readonly consumed: number;
}

/**
 * Complete subgroups only, as columns: N consecutive readings, or epoch-aligned time windows that
 * have closed (window end ≤ `before`). What is left over (an incomplete trailing subgroup) is not
 * consumed, and waits for the next run.
 */
export function formSubgroupColumns(
  readings: Readings,
  spec: SubgroupSpec,
  at: { firstSeq: number; previous: Cursor | null; before: number },
): FormedColumns {
  const { ts } = readings;
  const formed = {
    firstSeq: at.firstSeq,
    starts: [] as number[],
    ends: [] as number[],
    from: [] as number[],
    to: [] as number[],
    last: [] as number[],
  };
  if (spec.kind === "size") {
    const count = Math.floor(ts.length / spec.size);
    for (let k = 0; k < count; k++) {
      const start = k * spec.size;
      const end = start + spec.size;
      formed.starts.push(start);
      formed.ends.push(end);
      formed.from.push(ts[start] as number);
      formed.to.push(ts[end - 1] as number);
      formed.last.push(ts[end - 1] as number);
    }
    const consumed = count * spec.size;
    if (consumed === 0) return { ...formed, cursor: at.previous, sparseWindows: 0, consumed };
    const lastTs = ts[consumed - 1] as number;
    let offset = 0;
    for (let i = consumed - 1; i >= 0 && ts[i] === lastTs; i--) offset++;
    if (at.previous !== null && at.previous.ts === lastTs) offset += at.previous.offset;
    return { ...formed, cursor: { ts: lastTs, offset }, sparseWindows: 0, consumed };
  }
  const width = spec.windowMs;
  let cursor = at.previous;
  let sparseWindows = 0;
  let i = 0;
  while (i < ts.length) {
    const windowStart = Math.floor((ts[i] as number) / width) * width;
    const windowEnd = windowStart + width;
    if (windowEnd > at.before) break;
    let j = i;
    while (j < ts.length && (ts[j] as number) < windowEnd) j++;
    if (j - i >= spec.minSize) {
      formed.starts.push(i);
      formed.ends.push(j);
      formed.from.push(windowStart);
      formed.to.push(windowEnd - 1);
      formed.last.push(ts[j - 1] as number);
    } else {
      sparseWindows++;
    }
    cursor = { ts: windowEnd, offset: 0 };
    i = j;
  }
  return { ...formed, cursor, sparseWindows, consumed: i };
}

/** Subgroup k of formed columns as the object history and the general path keep. */
export function formedSubgroup(
  readings: Readings,
  formed: FormedColumns,
  k: number,
): FormedSubgroup {
  const seq = formed.firstSeq + k;
  return {
    seq,
    label: String(seq),
    from: formed.from[k] as number,
    to: formed.to[k] as number,
    last: formed.last[k] as number,
    values: Array.from(readings.values.subarray(formed.starts[k], formed.ends[k])),
  };
}

/** Complete subgroups only, as objects: `formSubgroupColumns`, one object per subgroup. */
export function formSubgroups(
  readings: Readings,
  spec: SubgroupSpec,
  at: { firstSeq: number; previous: Cursor | null; before: number },
): Formed {
  const formed = formSubgroupColumns(readings, spec, at);
  const { cursor, sparseWindows, consumed } = formed;
  const subgroups = formed.starts.map((_, k) => formedSubgroup(readings, formed, k));
  return { subgroups, cursor, sparseWindows, consumed };
}

/**
 * What the SPC engine charts for one subgroup. Measurements as they are; for the attribute
 * charts each reading is one unit: p and np count the units out of specification (outside
 * lsl..usl when given, else a non-zero reading, e.g. a fail flag), c and u add the readings up
 * as nonconformities (a defect count per unit), u per unit inspected.
 */
export function toChartSubgroup(
  characteristic: Pick<Characteristic, "chart" | "spec">,
  subgroup: Pick<FormedSubgroup, "label" | "values">,
): Subgroup {
  const { label, values } = subgroup;
  if (chartSpec(characteristic.chart).input === "variables") return subgroup;
  switch (characteristic.chart) {
    case "p":
    case "np": {
      const { lsl, usl } = characteristic.spec;
      const bySpec = lsl !== undefined || usl !== undefined;
      let count = 0;
      for (const value of values) {
        const nonconforming = bySpec
          ? (lsl !== undefined && value < lsl) || (usl !== undefined && value > usl)
          : value !== 0;
        if (nonconforming) count++;
      }
      return { label, count, size: values.length };
    }
    case "c":
      return { label, count: sumOf(values) };
    default:
      return { label, count: sumOf(values), size: values.length };
  }
}

function sumOf(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
