import { percentile } from "./stats.ts";

/** One board as the live SPC benchmark published it and saw it come back from InfluxDB. */
export interface BoardSighting {
  serial: string;
  /** Its SPI reading's `ts`, epoch ms: a subgroup's spc_point is stamped with its last reading's. */
  ts: number;
  /** PUBACK of its SPI message, epoch ms (the ingestor acknowledges once the point is durable). */
  ackedAt: number;
  /** Answer of the first poll that held its `spi` point, epoch ms; undefined while never seen. */
  seenAt?: number;
}

/** An spc_point (location series) as the polls first saw it. */
export interface PointSighting {
  /** Its timestamp, epoch ms: the ts of the subgroup's last reading. */
  ts: number;
  /** Answer of the first poll that held it, epoch ms. */
  seenAt: number;
}

/** One subgroup of the measured boards and how long its point took. */
export interface SubgroupLatency {
  /** 1 for the first subgroup closed by a measured board. */
  index: number;
  lastSerial: string;
  lastTs: number;
  /** spc_point queryable − its last reading queryable, ms; null when either was never seen. */
  fromQueryableMs: number | null;
  /** spc_point queryable − the last reading's PUBACK, ms; null when the point was never seen. */
  fromAckMs: number | null;
  /** spc_point queryable − the last reading's `ts`, ms; null when the point was never seen. */
  fromTsMs: number | null;
}

/** How the measured boards fall into subgroups, as the job forms them. */
export interface Subgrouping {
  /** Readings per subgroup (`subgroup.size` of the characteristic). */
  size: number;
  /** Readings of the characteristic before the measured boards: the subgroups count from the first of all. */
  readingsBefore: number;
}

/**
 * The subgroups that the measured boards close, each with its point's latency. Boards are in
 * publish order (their `ts` increasing); the job cuts consecutive readings into subgroups from the
 * characteristic's first reading, so a board closes one when the readings up to it fill a whole
 * number of subgroups. A point is matched by its timestamp, which is its last reading's; a point
 * that matches no closing board (`strayPoints`) means the job cut the readings otherwise.
 */
export function subgroupLatencies(
  boards: readonly BoardSighting[],
  points: readonly PointSighting[],
  subgrouping: Subgrouping,
): { subgroups: SubgroupLatency[]; strayPoints: number } {
  if (!(Number.isInteger(subgrouping.size) && subgrouping.size >= 1))
    throw new RangeError(`subgroup size must be a positive integer: ${subgrouping.size}`);
  const pointAt = new Map(points.map((p) => [p.ts, p.seenAt]));
  const subgroups: SubgroupLatency[] = [];
  const closing = new Set<number>();
  boards.forEach((board, i) => {
    if ((subgrouping.readingsBefore + i + 1) % subgrouping.size !== 0) return;
    closing.add(board.ts);
    const seenAt = pointAt.get(board.ts);
    subgroups.push({
      index: subgroups.length + 1,
      lastSerial: board.serial,
      lastTs: board.ts,
      fromQueryableMs:
        seenAt === undefined || board.seenAt === undefined ? null : seenAt - board.seenAt,
      fromAckMs: seenAt === undefined ? null : seenAt - board.ackedAt,
      fromTsMs: seenAt === undefined ? null : seenAt - board.ts,
    });
  });
  const first = boards[0]?.ts ?? Number.POSITIVE_INFINITY;
  const strayPoints = points.filter((p) => p.ts >= first && !closing.has(p.ts)).length;
  return { subgroups, strayPoints };
}

/** Latencies of the subgroups against the goal; a subgroup whose point never came counts as late. */
export interface LatencyVerdict {
  goalMs: number;
  subgroups: number;
  /** Subgroups whose point was seen. */
  measured: number;
  /** Subgroups whose point (or last reading) was never seen before the run ended. */
  missing: number;
  withinGoal: number;
  /** Of the measured latencies, ms (nearest rank); null when none was measured. */
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  met: boolean;
}

export function judgeLatencies(
  latencies: readonly (number | null)[],
  goalMs: number,
): LatencyVerdict {
  const measured = latencies.filter((l): l is number => l !== null).sort((a, b) => a - b);
  const withinGoal = measured.filter((l) => l <= goalMs).length;
  const has = measured.length > 0;
  return {
    goalMs,
    subgroups: latencies.length,
    measured: measured.length,
    missing: latencies.length - measured.length,
    withinGoal,
    p50Ms: has ? percentile(measured, 50) : null,
    p95Ms: has ? percentile(measured, 95) : null,
    maxMs: has ? (measured[measured.length - 1] as number) : null,
    met: latencies.length > 0 && withinGoal === latencies.length,
  };
}

/** A cron schedule that fires every `periodMs`, `offsetMs` into each period (`5-59/10 * * * * *`). */
export interface PeriodicSchedule {
  periodMs: number;
  offsetMs: number;
}

/**
 * The period and offset of a six-field cron that fires at fixed seconds of every minute
 * (`*\/10`, `5-59/10`, `*\/15` with the other fields `*`, and a step that divides 60); undefined
 * for any other shape, which the prediction below does not cover.
 */
export function periodicSchedule(cron: string): PeriodicSchedule | undefined {
  const match = /^(\*|(\d{1,2})-59)\/(\d{1,2}) \* \* \* \* \*$/.exec(cron.trim());
  if (!match) return undefined;
  const step = Number(match[3]);
  const start = match[2] === undefined ? 0 : Number(match[2]);
  if (step < 1 || 60 % step !== 0 || start >= step) return undefined;
  return { periodMs: step * 1000, offsetMs: start * 1000 };
}

/**
 * When the job run that judges a subgroup closed by a reading at `ts` starts, by the schedule
 * alone: the first tick whose settled horizon (`tick − settleMs`) has passed the reading, as the
 * job reads readings strictly before `now − settleMs`. The run's own time and the write come on top.
 */
export function judgingTick(ts: number, settleMs: number, schedule: PeriodicSchedule): number {
  const { periodMs, offsetMs } = schedule;
  const earliest = ts + settleMs + 1;
  const k = Math.ceil((earliest - offsetMs) / periodMs);
  return k * periodMs + offsetMs;
}
