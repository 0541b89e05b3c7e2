import { type ControlLimits, computeLimits, SpcError } from "../spc/index.ts";
import { chartSpec, type JobChart } from "./charts.ts";
import {
  type Characteristic,
  DEFAULT_SPC_JOB_OPTIONS,
  type SpcJobOptions,
  type SubgroupSpec,
} from "./config.ts";
import { SpcJobError } from "./errors.ts";
import { readReadings, sourceTable } from "./source.ts";
import { type FormedSubgroup, formSubgroups, toChartSubgroup } from "./subgroups.ts";
import { ensureSpcTables, type SpcWarehouse } from "./tables.ts";

/** Frozen phase-I limits of a characteristic, and what they were computed for. */
export interface BaselineLimits {
  readonly chart: JobChart;
  readonly subgroup: SubgroupSpec;
  readonly location: ControlLimits;
  /** The R, S or moving-range chart's limits for xbar-r, xbar-s and imr; null for the others. */
  readonly dispersion: ControlLimits | null;
}

export type BaselineStatus = "proposed" | "approved" | "retired";

/** One version of a characteristic's baseline: the limits, and who made them, when, why, from what. */
export interface Baseline {
  readonly characteristic: string;
  readonly version: number;
  readonly limits: BaselineLimits;
  /** The phase-I window, epoch ms, both ends included. */
  readonly windowFrom: number;
  readonly windowTo: number;
  /** Phase-I subgroups the limits came from. */
  readonly subgroups: number;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly reason: string;
  readonly status: BaselineStatus;
  readonly approvedAt: number | null;
  readonly approvedBy: string | null;
}

/** Who records the first baseline of a characteristic when the job makes it. */
export const AUTOMATIC_BASELINE_AUTHOR = "tracebox (automatic first baseline)";

interface BaselineRow {
  characteristic: string;
  version: number;
  limits: string;
  window_from: number;
  window_to: number;
  subgroups: number;
  created_at: number;
  created_by: string;
  reason: string;
  status: BaselineStatus;
  approved_at: number | null;
  approved_by: string | null;
}

function fromRow(row: BaselineRow): Baseline {
  return {
    characteristic: row.characteristic,
    version: row.version,
    limits: deepFreeze(JSON.parse(row.limits) as BaselineLimits),
    windowFrom: row.window_from,
    windowTo: row.window_to,
    subgroups: row.subgroups,
    createdAt: row.created_at,
    createdBy: row.created_by,
    reason: row.reason,
    status: row.status,
    approvedAt: row.approved_at,
    approvedBy: row.approved_by,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const SELECT_BASELINE =
  "SELECT characteristic, version, limits::VARCHAR AS limits, window_from, window_to, subgroups, created_at, created_by, reason, status, approved_at, approved_by FROM spc_baseline";

/**
 * Phase I: the control limits of the location chart (and of the dispersion chart, if any) from
 * these subgroups. Throws SpcJobError `spc-refused` when the engine refuses the data.
 */
export function limitsFromSubgroups(
  characteristic: Characteristic,
  subgroups: readonly FormedSubgroup[],
): BaselineLimits {
  const spec = chartSpec(characteristic.chart);
  const phase1 = subgroups.map((subgroup) => toChartSubgroup(characteristic, subgroup));
  const options = { ...characteristic.limits, minSubgroups: characteristic.baseline.minSubgroups };
  try {
    return {
      chart: characteristic.chart,
      subgroup: characteristic.subgroup,
      location: computeLimits(spec.location, phase1, options),
      dispersion: spec.dispersion ? computeLimits(spec.dispersion, phase1, options) : null,
    };
  } catch (error) {
    if (error instanceof SpcError) {
      throw new SpcJobError(
        "spc-refused",
        `${characteristic.name}: phase I refused (${error.reason}): ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Whether a baseline was made for the chart and subgrouping the characteristic asks for now. */
export function baselineFits(baseline: Baseline, characteristic: Characteristic): boolean {
  return (
    baseline.limits.chart === characteristic.chart &&
    JSON.stringify(baseline.limits.subgroup) === JSON.stringify(characteristic.subgroup)
  );
}

/**
 * Records a baseline as the next version; `approved` also retires the one approved before. The
 * window is the one chosen, or else the span of the phase-I subgroups.
 */
export async function recordBaseline(
  warehouse: SpcWarehouse,
  characteristic: Characteristic,
  phase1: readonly FormedSubgroup[],
  record: {
    by: string;
    reason: string;
    now: number;
    status: "proposed" | "approved";
    window?: { from: number; to: number };
  },
): Promise<Baseline> {
  await ensureSpcTables(warehouse);
  const first = phase1[0];
  const last = phase1[phase1.length - 1];
  if (
    first === undefined ||
    last === undefined ||
    phase1.length < characteristic.baseline.minSubgroups
  ) {
    throw new SpcJobError(
      "too-few-subgroups",
      `${characteristic.name}: a baseline needs ${characteristic.baseline.minSubgroups} complete subgroups, the window has ${phase1.length}`,
    );
  }
  const limits = limitsFromSubgroups(characteristic, phase1);
  return warehouse.transaction(async () => {
    const [{ next } = { next: 1 }] = await warehouse.all<{ next: number }>(
      "SELECT coalesce(max(version), 0) + 1 AS next FROM spc_baseline WHERE characteristic = $c",
      { c: characteristic.name },
    );
    if (record.status === "approved") {
      await warehouse.run(
        "UPDATE spc_baseline SET status = 'retired' WHERE characteristic = $c AND status = 'approved'",
        { c: characteristic.name },
      );
    }
    const approved = record.status === "approved";
    await warehouse.run(
      `INSERT INTO spc_baseline (characteristic, version, limits, window_from, window_to, subgroups, created_at, created_by, reason, status, approved_at, approved_by)
       VALUES ($c, $v, $limits, $from, $to, $subgroups, $now, $by, $reason, $status, $approvedAt, $approvedBy)`,
      {
        c: characteristic.name,
        v: next,
        limits: JSON.stringify(limits),
        from: record.window?.from ?? first.from,
        to: record.window?.to ?? last.to,
        subgroups: phase1.length,
        now: record.now,
        by: record.by,
        reason: record.reason,
        status: record.status,
        approvedAt: approved ? record.now : null,
        approvedBy: approved ? record.by : null,
      },
    );
    return baselineOf(warehouse, characteristic.name, next) as Promise<Baseline>;
  });
}

async function baselineOf(
  warehouse: SpcWarehouse,
  characteristic: string,
  version: number,
): Promise<Baseline | null> {
  const [row] = await warehouse.all<BaselineRow>(
    `${SELECT_BASELINE} WHERE characteristic = $c AND version = $v`,
    { c: characteristic, v: version },
  );
  return row ? fromRow(row) : null;
}

/** What a person proposing a baseline says: the phase-I window (epoch ms, both included), who, why. */
export interface BaselineProposal {
  from: number;
  to: number;
  by: string;
  reason: string;
  /** Recorded as created_at, epoch ms. Default now. */
  now?: number;
}

/**
 * Computes phase-I limits over a chosen window of the characteristic's readings and records them
 * as a new `proposed` version; nothing changes for monitoring until it is approved. The window's
 * subgroups are formed from its first reading (or, for time windows, the epoch-aligned windows
 * that lie inside it). Throws SpcJobError `too-few-subgroups` or `spc-refused`.
 */
export async function proposeBaseline(
  warehouse: SpcWarehouse,
  characteristic: Characteristic,
  proposal: BaselineProposal,
  options: Pick<SpcJobOptions, "features"> = DEFAULT_SPC_JOB_OPTIONS,
): Promise<Baseline> {
  const table = await sourceTable(warehouse, characteristic.source, options.features);
  const readings = await readReadings(warehouse, table, {
    from: proposal.from,
    skip: 0,
    before: proposal.to + 1,
  });
  const { subgroups } = formSubgroups(readings, characteristic.subgroup, {
    firstSeq: 1,
    previous: null,
    before: proposal.to + 1,
  });
  // A time window cut by the start of the proposal window is not a whole subgroup.
  const whole = subgroups.filter((subgroup) => subgroup.from >= proposal.from);
  return recordBaseline(warehouse, characteristic, whole, {
    by: proposal.by,
    reason: proposal.reason,
    now: proposal.now ?? Date.now(),
    status: "proposed",
    window: { from: proposal.from, to: proposal.to },
  });
}

/**
 * Makes a version the one monitoring judges against, and retires the one approved before.
 * Throws SpcJobError `unknown-version` or `already-approved`.
 */
export async function approveBaseline(
  warehouse: SpcWarehouse,
  characteristic: string,
  version: number,
  approval: { by: string; now?: number },
): Promise<Baseline> {
  await ensureSpcTables(warehouse);
  return warehouse.transaction(async () => {
    const baseline = await baselineOf(warehouse, characteristic, version);
    if (baseline === null) {
      throw new SpcJobError(
        "unknown-version",
        `${characteristic} has no baseline version ${version}`,
      );
    }
    if (baseline.status === "approved") {
      throw new SpcJobError(
        "already-approved",
        `${characteristic} baseline v${version} is already the approved one`,
      );
    }
    await warehouse.run(
      "UPDATE spc_baseline SET status = 'retired' WHERE characteristic = $c AND status = 'approved'",
      { c: characteristic },
    );
    await warehouse.run(
      "UPDATE spc_baseline SET status = 'approved', approved_at = $now, approved_by = $by WHERE characteristic = $c AND version = $v",
      { c: characteristic, v: version, now: approval.now ?? Date.now(), by: approval.by },
    );
    return (await baselineOf(warehouse, characteristic, version)) as Baseline;
  });
}

/** The approved baseline that monitoring judges against, or null before the first is approved. */
export async function currentBaseline(
  warehouse: SpcWarehouse,
  characteristic: string,
): Promise<Baseline | null> {
  await ensureSpcTables(warehouse);
  const [row] = await warehouse.all<BaselineRow>(
    `${SELECT_BASELINE} WHERE characteristic = $c AND status = 'approved'`,
    { c: characteristic },
  );
  return row ? fromRow(row) : null;
}

/** Every baseline version, of one characteristic or of all, oldest first. */
export async function listBaselines(
  warehouse: SpcWarehouse,
  characteristic?: string,
): Promise<Baseline[]> {
  await ensureSpcTables(warehouse);
  const rows =
    characteristic === undefined
      ? await warehouse.all<BaselineRow>(`${SELECT_BASELINE} ORDER BY characteristic, version`)
      : await warehouse.all<BaselineRow>(
          `${SELECT_BASELINE} WHERE characteristic = $c ORDER BY version`,
          { c: characteristic },
        );
  return rows.map(fromRow);
}
