import type { Logger } from "pino";
import type { Alert } from "../../alerts/index.ts";
import type { InfluxClient } from "../../influx/index.ts";
import { computeCapability, computeLimits, type RecurrenceCarry, SpcError } from "../spc/index.ts";
import { syncWatermarks } from "../warehouse/index.ts";
import {
  AUTOMATIC_BASELINE_AUTHOR,
  type Baseline,
  baselineFits,
  currentBaseline,
  listBaselines,
  recordBaseline,
} from "./baselines.ts";
import { chartSpec } from "./charts.ts";
import { type Characteristic, DEFAULT_SPC_JOB_OPTIONS, type SpcJobOptions } from "./config.ts";
import { SpcJobError } from "./errors.ts";
import { type JudgedSeries, judge, lastSubgroups, type Sequence, sequenceOf } from "./judge.ts";
import {
  type FieldValue,
  line,
  PointLines,
  type ResultTags,
  serialsField,
  seriesKey,
  timestampText,
  violationLine,
} from "./lines.ts";
import { type Flagged, patternLength, recallScopes } from "./recall.ts";
import {
  measuredUnits,
  originsOf,
  type Readings,
  readReadings,
  readReadingsTogether,
  type SerialIndex,
  type SourceTable,
  sharedScanKey,
  sourceTable,
  unitsAtStations,
} from "./source.ts";
import {
  type Cursor,
  type FormedSubgroup,
  formedSubgroup,
  formSubgroupColumns,
  toChartSubgroup,
} from "./subgroups.ts";
import { ensureSpcTables, type SpcWarehouse } from "./tables.ts";

/** What one run of the SPC job works with. */
export interface SpcJobContext {
  warehouse: SpcWarehouse;
  influx: Pick<InfluxClient, "write">;
  characteristics: readonly Characteristic[];
  /** Hands a violation to the alert sinks; must not block. */
  send(alert: Alert): void;
  /** The clock, epoch ms. */
  now(): number;
  log: Pick<Logger, "info" | "warn" | "debug">;
  /** Job settings; defaults from DEFAULT_SPC_JOB_OPTIONS. */
  options?: Partial<SpcJobOptions>;
  /**
   * Judge X̄-R and X̄-S through the engine's per-point `evaluate` as the other charts are, rather
   * than over subgroup columns (`evaluateColumns`). Both give the same numbers, the columns without
   * an object per subgroup and per point; this is for holding the two together. Default false.
   */
  perPointOnly?: boolean;
}

/** How one characteristic's run went. */
export interface CharacteristicRun {
  name: string;
  /** Readings read from the warehouse. */
  rowsIn: number;
  /** Lines written to InfluxDB. */
  rowsOut: number;
  /** Subgroups judged in this run. */
  subgroups: number;
  violations: number;
  /** Baseline judged against; null while waiting for the first one. */
  baselineVersion: number | null;
  /** Set when this characteristic failed; the others still ran. */
  error?: SpcJobError;
}

export interface SpcRunResult {
  rowsIn: number;
  rowsOut: number;
  characteristics: CharacteristicRun[];
}

/** `spc_cursor` as the job reads and writes it. */
interface MonitoringState {
  cursor: Cursor | null;
  /** Subgroups formed so far (the last one's `seq`). */
  subgroups: number;
  baselineVersion: number | null;
  /** Start of the out-of-control episode the last subgroup belongs to, or null. */
  episodeFrom: number | null;
  /** The most recent subgroups, oldest first. */
  history: FormedSubgroup[];
  /**
   * EWMA's or CUSUM's state before the first of `history`, so the recurrence goes on over every
   * subgroup since the baseline, not only the recent ones kept; null for the other charts, or when
   * `history` starts at the first subgroup.
   */
  carry: RecurrenceCarry | null;
}

const FRESH: MonitoringState = {
  cursor: null,
  subgroups: 0,
  baselineVersion: null,
  episodeFrom: null,
  history: [],
  carry: null,
};

async function loadState(warehouse: SpcWarehouse, name: string): Promise<MonitoringState> {
  const [row] = await warehouse.all<{
    cursor_ts: number | null;
    cursor_offset: number;
    subgroups: number;
    baseline_version: number | null;
    episode_from: number | null;
    history: string;
    carry: string | null;
  }>(
    "SELECT cursor_ts, cursor_offset, subgroups, baseline_version, episode_from, history::VARCHAR AS history, carry::VARCHAR AS carry FROM spc_cursor WHERE characteristic = $c",
    { c: name },
  );
  if (!row) return FRESH;
  return {
    cursor: row.cursor_ts === null ? null : { ts: row.cursor_ts, offset: row.cursor_offset },
    subgroups: row.subgroups,
    baselineVersion: row.baseline_version,
    episodeFrom: row.episode_from,
    history: JSON.parse(row.history) as FormedSubgroup[],
    carry: row.carry === null ? null : (JSON.parse(row.carry) as RecurrenceCarry),
  };
}

async function saveState(
  warehouse: SpcWarehouse,
  name: string,
  state: MonitoringState,
  now: number,
): Promise<void> {
  const params = {
    c: name,
    ts: state.cursor?.ts ?? null,
    offset: state.cursor?.offset ?? 0,
    subgroups: state.subgroups,
    version: state.baselineVersion,
    episode: state.episodeFrom,
    history: JSON.stringify(state.history),
    carry: state.carry === null ? null : JSON.stringify(state.carry),
    now,
  };
  // A backlog saves its state after every pass: an UPDATE of the row is a third of the cost of an
  // INSERT OR REPLACE through the primary key, which only the first save needs.
  const updated = await warehouse.connection.run(
    `UPDATE spc_cursor SET cursor_ts = $ts, cursor_offset = $offset, subgroups = $subgroups, baseline_version = $version, episode_from = $episode, history = $history, carry = $carry, updated_at = $now
     WHERE characteristic = $c`,
    params,
  );
  if (Number(updated.rowsChanged) > 0) return;
  await warehouse.run(
    `INSERT OR REPLACE INTO spc_cursor (characteristic, cursor_ts, cursor_offset, subgroups, baseline_version, episode_from, history, carry, updated_at)
     VALUES ($c, $ts, $offset, $subgroups, $version, $episode, $history, $carry, $now)`,
    params,
  );
}

/**
 * Forgets where monitoring of a characteristic stands, so the next run judges its readings from
 * the first one again (against the approved baseline). Results written before are overwritten
 * point for point: they carry the same series and timestamps.
 */
export async function resetMonitoring(warehouse: SpcWarehouse, name: string): Promise<void> {
  await ensureSpcTables(warehouse);
  await warehouse.run("DELETE FROM spc_cursor WHERE characteristic = $c", { c: name });
}

function refused(characteristic: Characteristic, error: unknown): unknown {
  if (error instanceof SpcError) {
    return new SpcJobError(
      "spc-refused",
      `${characteristic.name}: ${error.reason}: ${error.message}`,
      { cause: error },
    );
  }
  return error;
}

/**
 * The approved baseline, or the automatic first one from the first `minSubgroups` subgroups
 * (approved at once when `autoApproveFirst`, else left proposed). Null while there is none to judge
 * against: the readings stay unconsumed until there is.
 */
async function baselineFor(
  ctx: SpcJobContext,
  characteristic: Characteristic,
  formed: { count: number; first(n: number): FormedSubgroup[] },
  options: SpcJobOptions,
  now: number,
  known: { approved: Baseline | null },
): Promise<Baseline | null> {
  // The approved baseline cannot change while the job runs (approving one takes the warehouse,
  // which this process holds): looked up once per characteristic, not once per pass.
  const approved = known.approved ?? (await currentBaseline(ctx.warehouse, characteristic.name));
  known.approved = approved;
  if (approved !== null) return approved;
  const { minSubgroups } = characteristic.baseline;
  const name = characteristic.name;
  if (formed.count < minSubgroups) {
    ctx.log.info(
      { characteristic: name, subgroups: formed.count, needed: minSubgroups },
      "waiting for enough subgroups for the first baseline",
    );
    return null;
  }
  const record = {
    by: AUTOMATIC_BASELINE_AUTHOR,
    reason: `first ${minSubgroups} subgroups`,
    now,
  };
  const phase1 = formed.first(minSubgroups);
  if (options.autoApproveFirst) {
    const baseline = await recordBaseline(ctx.warehouse, characteristic, phase1, {
      ...record,
      status: "approved",
    });
    known.approved = baseline;
    ctx.log.info(
      { characteristic: name, version: baseline.version },
      "first baseline recorded and approved",
    );
    return baseline;
  }
  const proposed = (await listBaselines(ctx.warehouse, name)).some((b) => b.status === "proposed");
  if (!proposed) {
    const baseline = await recordBaseline(ctx.warehouse, characteristic, phase1, {
      ...record,
      status: "proposed",
    });
    ctx.log.info(
      { characteristic: name, version: baseline.version },
      "first baseline proposed; approve it with `tracebox baseline approve`",
    );
  } else {
    ctx.log.info({ characteristic: name }, "waiting for a proposed baseline to be approved");
  }
  return null;
}

/** site, line and station tags: the characteristic's `where`, else what all its readings share, else `*`. */
async function resultTags(
  warehouse: SpcWarehouse,
  characteristic: Characteristic,
  table: SourceTable,
  from: number,
  to: number,
): Promise<ResultTags> {
  const { where } = characteristic.source;
  const tags = { characteristic: characteristic.name, site: "*", line: "*", station: "*" };
  const origins =
    characteristic.source.kind === "feature"
      ? []
      : await originsOf(warehouse, table, where, from, to);
  for (const key of ["site", "line", "station"] as const) {
    const given = where[key];
    const seen = new Set(origins.map((origin) => origin[key]));
    const [only] = seen;
    tags[key] = given ?? (seen.size === 1 && only ? only : "*");
  }
  return tags;
}

async function unitsOf(
  warehouse: SpcWarehouse,
  characteristic: Characteristic,
  table: SourceTable,
  options: SpcJobOptions,
  from: number,
  to: number,
): Promise<SerialIndex> {
  const { source } = characteristic;
  if (source.kind !== "signal") return measuredUnits(warehouse, table, from, to);
  const origins = await originsOf(warehouse, table, source.where, from, to);
  return unitsAtStations(
    warehouse,
    origins,
    {
      environmental: options.environmental.includes(source.measurement),
      siteLines: options.siteLines,
      maxVisitMs: options.maxVisitMs,
    },
    from,
    to,
  );
}

/** Writes the `spc_point` lines of the new subgroups of one chart, a batch at a time. */
async function writePoints(
  judged: JudgedSeries,
  sequence: Sequence,
  phaseAt: (position: number) => 1 | 2,
  stamps: (string | undefined)[],
  writer: (lines: string[]) => Promise<void>,
  batch: number,
  lines: PointLines,
): Promise<number> {
  let written = 0;
  const first = Math.max(sequence.firstNew, judged.firstPoint);
  for (let start = first; start < sequence.count; start += batch) {
    const end = Math.min(sequence.count, start + batch);
    const out: string[] = [];
    for (let position = start; position < end; position++) {
      // Both charts of a subgroup carry its time: written out once.
      const stamp = stamps[position] ?? timestampText(sequence.last[position] as number);
      stamps[position] = stamp;
      out.push(judged.line(position, lines, sequence, phaseAt(position), stamp));
    }
    await writer(out);
    written += out.length;
  }
  return written;
}

function capabilityLine(
  characteristic: Characteristic,
  sequence: Sequence,
  tags: ResultTags,
  baseline: Baseline,
  options: SpcJobOptions,
): string | null {
  const spec = chartSpec(characteristic.chart);
  const { lsl, usl } = characteristic.spec;
  if (spec.input !== "variables" || (lsl === undefined && usl === undefined)) return null;
  const recent = lastSubgroups(sequence, options.capabilitySubgroups);
  const last = recent[recent.length - 1];
  if (last === undefined) return null;
  const chartSubgroups = recent.map((subgroup) => toChartSubgroup(characteristic, subgroup));
  try {
    const limits = computeLimits(spec.location, chartSubgroups, {
      ...characteristic.limits,
      minSubgroups: 2,
    });
    const capability = computeCapability(limits, chartSubgroups, characteristic.spec);
    const fields: Record<string, FieldValue> = {
      cp: capability.cp,
      cpk: capability.cpk,
      cpm: capability.cpm,
      pp: capability.pp,
      ppk: capability.ppk,
      n: { int: capability.nobs },
      subgroups: { int: recent.length },
      sigma_method: capability.sigmaWithinMethod,
      sigma_within: capability.sigmaWithin,
      sigma_overall: capability.sigmaOverall,
      baseline_version: { int: baseline.version },
    };
    return line(seriesKey("spc_capability", { ...tags }), fields, last.last);
  } catch (error) {
    // Too little spread or too few values in the window for an estimate: no capability this run.
    if (error instanceof SpcError) return null;
    throw error;
  }
}

/** One write request; a failure becomes SpcJobError `influx-write` (retryable). */
function influxWriter(
  influx: Pick<InfluxClient, "write">,
  name: string,
): (lines: string[]) => Promise<void> {
  return async (lines) => {
    if (lines.length === 0) return;
    try {
      await influx.write(lines);
    } catch (error) {
      throw new SpcJobError(
        "influx-write",
        `${name}: writing results to InfluxDB failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
}

/** What one pass over a characteristic's readings did. */
interface Pass {
  rowsOut: number;
  subgroups: number;
  violations: number;
  baselineVersion: number | null;
  /** Readings consumed from the front of the pass. */
  consumed: number;
  /** No approved baseline, though there were enough subgroups for one: a person must approve it. */
  awaitingApproval: boolean;
  /** Where monitoring stands after the pass. */
  state: MonitoringState;
}

/** Readings of a characteristic read ahead, in a scan it shared with other fields of its source. */
interface ReadAhead {
  /** The clock when they were read: their `before` is this less `settleMs`. */
  readonly now: number;
  /** The cursor they were read from. */
  readonly cursor: Cursor | null;
  readonly readings: Readings;
}

/** How far the sync has delivered each InfluxDB measurement (`syncWatermarks`), epoch ms. */
type Delivered = ReadonlyMap<string, number>;

/**
 * Readings strictly before this are judged: older than `settleMs`, and not past what the sync has
 * delivered of the source's measurement. With the sync behind (InfluxDB restarting, a first sync
 * of a long history), a time window or a run of units is judged only once all of it is in the
 * warehouse, not with the part that happened to be there. A source the sync does not feed (rows
 * put in the warehouse otherwise, or a feature table) has only the clock.
 */
function settledBefore(
  characteristic: Characteristic,
  now: number,
  options: SpcJobOptions,
  delivered: Delivered,
): number {
  const { source } = characteristic;
  const synced = source.kind === "feature" ? undefined : delivered.get(source.measurement);
  const clock = now - options.settleMs;
  return synced === undefined ? clock : Math.min(clock, synced);
}

function sameCursor(a: Cursor | null, b: Cursor | null): boolean {
  return a === null || b === null ? a === b : a.ts === b.ts && a.offset === b.offset;
}

/**
 * The readings of station signals that share a source but for their field (the zones of an oven),
 * read in one scan per source rather than one scan each: with many fields in the `signal` table,
 * the scans, not the judging, are most of a backlog's reading. By position in `characteristics`;
 * a characteristic left out (alone on its source, or its readings out of order in the shared scan,
 * or the scan failed) reads its own.
 */
async function readAhead(
  ctx: SpcJobContext,
  options: SpcJobOptions,
  delivered: Delivered,
): Promise<Map<number, ReadAhead>> {
  const ahead = new Map<number, ReadAhead>();
  const sources = new Map<string, { position: number; table: SourceTable }[]>();
  for (const [position, characteristic] of ctx.characteristics.entries()) {
    if (characteristic.source.kind !== "signal") continue;
    const table = await sourceTable(ctx.warehouse, characteristic.source, options.features);
    const key = sharedScanKey(table);
    if (key === null) continue;
    const members = sources.get(key) ?? [];
    members.push({ position, table });
    sources.set(key, members);
  }
  const now = ctx.now();
  for (const members of sources.values()) {
    if (members.length < 2) continue;
    try {
      const cursors: (Cursor | null)[] = [];
      for (const { position } of members) {
        const name = (ctx.characteristics[position] as Characteristic).name;
        cursors.push((await loadState(ctx.warehouse, name)).cursor);
      }
      const requests = members.map(({ table, position }, i) => ({
        table,
        range: {
          from: cursors[i]?.ts ?? null,
          skip: cursors[i]?.offset ?? 0,
          before: settledBefore(
            ctx.characteristics[position] as Characteristic,
            now,
            options,
            delivered,
          ),
        },
      }));
      const readings = await readReadingsTogether(ctx.warehouse, requests);
      readings.forEach((read, i) => {
        const member = members[i];
        if (read !== null && member !== undefined) {
          ahead.set(member.position, { now, cursor: cursors[i] ?? null, readings: read });
        }
      });
    } catch (error) {
      ctx.log.warn({ err: error }, "reading fields of one source in one scan failed; reading each");
    }
  }
  return ahead;
}

/**
 * A characteristic's run: its readings since the cursor are read at once (two numeric columns,
 * 16 bytes a reading) and judged in passes of at most `maxReadingsPerPass`. Each pass is committed
 * (results written, cursor saved) before the next, exactly as consecutive runs would be, so the
 * per-subgroup objects of a large backlog never pile up, and a crash mid-backlog resumes where it
 * stopped. A pass that cannot complete a subgroup within its share (a long time window, or the
 * first baseline) is given twice as many readings.
 */
async function monitor(
  ctx: SpcJobContext,
  characteristic: Characteristic,
  options: SpcJobOptions,
  ahead: ReadAhead | undefined,
  delivered: Delivered,
): Promise<CharacteristicRun> {
  const now = ahead?.now ?? ctx.now();
  const table = await sourceTable(ctx.warehouse, characteristic.source, options.features);
  let state = await loadState(ctx.warehouse, characteristic.name);
  const before = settledBefore(characteristic, now, options, delivered);
  const readings =
    ahead !== undefined && sameCursor(ahead.cursor, state.cursor)
      ? ahead.readings
      : await readReadings(ctx.warehouse, table, {
          from: state.cursor?.ts ?? null,
          skip: state.cursor?.offset ?? 0,
          before,
        });
  const run: CharacteristicRun = {
    name: characteristic.name,
    rowsIn: readings.ts.length,
    rowsOut: 0,
    subgroups: 0,
    violations: 0,
    baselineVersion: null,
  };
  const known = { approved: null as Baseline | null };
  let start = 0;
  let share = options.maxReadingsPerPass;
  for (;;) {
    const end = Math.min(readings.ts.length, start + share);
    const more = end < readings.ts.length;
    const slice = {
      ts: readings.ts.subarray(start, end),
      values: readings.values.subarray(start, end),
    };
    const pass = await judgePass(
      ctx,
      characteristic,
      options,
      table,
      now,
      state,
      slice,
      more,
      before,
      known,
    );
    run.rowsOut += pass.rowsOut;
    run.subgroups += pass.subgroups;
    run.violations += pass.violations;
    run.baselineVersion = pass.baselineVersion ?? run.baselineVersion;
    state = pass.state;
    start += pass.consumed;
    if (!more || pass.awaitingApproval) return run;
    share = pass.consumed > 0 ? options.maxReadingsPerPass : share * 2;
  }
}

/**
 * The recurrence state before position `dropped` of the sequence just judged (the subgroups kept
 * as history start there): the location chart's state after the point before it, counted from
 * the first subgroup since the baseline.
 */
function carryPast(
  location: JudgedSeries | undefined,
  dropped: number,
  carry: RecurrenceCarry | null,
): RecurrenceCarry | null {
  if (dropped <= 0 || location === undefined) return carry;
  const state = location.stateAfter(dropped - 1);
  return state === undefined ? null : { before: (carry?.before ?? 0) + dropped, ...state };
}

async function judgePass(
  ctx: SpcJobContext,
  characteristic: Characteristic,
  options: SpcJobOptions,
  table: SourceTable,
  now: number,
  state: MonitoringState,
  readings: Readings,
  more: boolean,
  settled: number,
  known: { approved: Baseline | null },
): Promise<Pass> {
  const { warehouse } = ctx;
  const { name } = characteristic;
  let before = settled;
  const lastTs = readings.ts[readings.ts.length - 1];
  if (more && lastTs !== undefined && characteristic.subgroup.kind === "window") {
    // The window of the last reading of this pass may go on in the next: not complete yet.
    const width = characteristic.subgroup.windowMs;
    before = Math.min(before, Math.floor(lastTs / width) * width);
  }
  const formed = formSubgroupColumns(readings, characteristic.subgroup, {
    firstSeq: state.subgroups + 1,
    previous: state.cursor,
    before,
  });
  const fresh = formed.starts.length;
  const pass: Pass = {
    rowsOut: 0,
    subgroups: 0,
    violations: 0,
    baselineVersion: null,
    consumed: 0,
    awaitingApproval: false,
    state,
  };
  const firstFormed = (n: number) =>
    Array.from({ length: Math.min(n, fresh) }, (_, k) => formedSubgroup(readings, formed, k));
  const baseline = await baselineFor(
    ctx,
    characteristic,
    { count: fresh, first: firstFormed },
    options,
    now,
    known,
  );
  if (baseline === null) {
    const enough = fresh >= characteristic.baseline.minSubgroups;
    return { ...pass, awaitingApproval: enough };
  }
  pass.baselineVersion = baseline.version;
  if (!baselineFits(baseline, characteristic)) {
    throw new SpcJobError(
      "baseline-mismatch",
      `${name}: the approved baseline v${baseline.version} is for ${baseline.limits.chart} with ${JSON.stringify(baseline.limits.subgroup)}; the configuration asks for ${characteristic.chart} with ${JSON.stringify(characteristic.subgroup)}. Propose and approve a baseline for it (tracebox baseline propose/approve)`,
    );
  }
  pass.consumed = formed.consumed;
  const sameBaseline = state.baselineVersion === baseline.version;
  const history = sameBaseline ? state.history : [];
  const carry = sameBaseline ? state.carry : null;
  if (fresh === 0) {
    if (formed.cursor !== state.cursor) {
      pass.state = { ...state, cursor: formed.cursor };
      await saveState(warehouse, name, pass.state, now);
    }
    return pass;
  }

  // Run rules, EWMA and CUSUM continue from the recent subgroups of earlier runs (qcc's phase I +
  // newdata as one sequence); only the new subgroups are written and alerted on.
  const sequence = sequenceOf(history, readings, formed);
  const { firstNew } = sequence;
  let judged: JudgedSeries[];
  try {
    judged = judge(characteristic, baseline.limits, sequence, ctx.perPointOnly, carry ?? undefined);
  } catch (error) {
    throw refused(characteristic, error);
  }

  const tags = await resultTags(
    warehouse,
    characteristic,
    table,
    formed.from[0] ?? 0,
    formed.to[fresh - 1] ?? 0,
  );
  const phaseAt = (position: number): 1 | 2 =>
    (sequence.from[position] as number) >= baseline.windowFrom &&
    (sequence.last[position] as number) <= baseline.windowTo
      ? 1
      : 2;
  const violations = judged.flatMap((series) =>
    series.violations
      .filter((violation) => violation.index - 1 >= firstNew)
      .map((violation) => ({ series, violation })),
  );
  const patterns = new Map<number, number>();
  for (const { violation } of violations) {
    const position = violation.index - 1;
    const pattern = patternLength(violation.rule, characteristic.runLength);
    patterns.set(position, Math.max(patterns.get(position) ?? 0, pattern));
  }
  const flagged: Flagged[] = [...patterns].map(([position, pattern]) => ({ position, pattern }));
  const recall = recallScopes(flagged, sequence, firstNew, sameBaseline ? state.episodeFrom : null);
  const scopes = [...recall.scopes.values()];
  // The units are looked up while the points are written: DuckDB answers on its own threads.
  const looked =
    scopes.length === 0
      ? Promise.resolve(null)
      : unitsOf(
          warehouse,
          characteristic,
          table,
          options,
          scopes.reduce((least, scope) => Math.min(least, scope.from), Number.POSITIVE_INFINITY),
          scopes.reduce((most, scope) => Math.max(most, scope.to), Number.NEGATIVE_INFINITY),
        );
  looked.catch(() => {}); // awaited below; a failure must not go unhandled while points are written

  // At least once: results and alerts go out before the cursor moves, so a crash in between
  // repeats them on the next run, and a repeat overwrites itself (same series, same timestamps,
  // same alert ids).
  const write = influxWriter(ctx.influx, name);
  const stamps: (string | undefined)[] = [];
  let written = 0;
  try {
    for (const series of judged) {
      const key = seriesKey("spc_point", {
        ...tags,
        chart: series.chart,
        series: series.series,
      });
      written += await writePoints(
        series,
        sequence,
        phaseAt,
        stamps,
        write,
        options.writeBatchLines,
        new PointLines(key, baseline.version),
      );
    }
  } catch (error) {
    // The warehouse connection is left free before anything else runs on it.
    await looked.catch(() => null);
    throw error;
  }

  const units = await looked;
  const alerts: Alert[] = [];
  const lines: string[] = [];
  const violationKeys = new Map<string, string>();
  for (const { series, violation } of violations) {
    const position = violation.index - 1;
    const at = sequence.last[position] as number;
    const scope = recall.scopes.get(position) as { from: number; to: number };
    const serials = units?.between(scope.from, scope.to) ?? [];
    const { value, limit } = series.valueAndLimit(violation);
    const rule =
      series.series === "location" ? violation.rule : `${series.chart}:${violation.rule}`;
    const id = `spc/${name}/${series.series}/${violation.rule}${violation.side ? `/${violation.side}` : ""}/${at}`;
    const serialsText = serialsField(serials);
    const keyOf = `${series.series}/${violation.rule}/${violation.side ?? ""}`;
    let key = violationKeys.get(keyOf);
    if (key === undefined) {
      key = seriesKey("spc_violation", {
        ...tags,
        rule: violation.rule,
        series: series.series,
        ...(violation.side ? { side: violation.side } : {}),
      });
      violationKeys.set(keyOf, key);
    }
    lines.push(
      violationLine(
        key,
        { id, value, limit, serials: serialsText, serialCount: serials.length },
        at,
      ),
    );
    alerts.push({
      id,
      rule,
      characteristic: name,
      state: "raised",
      value,
      limit,
      ts: at,
      site: tags.site,
      line: tags.line,
      station: tags.station,
      serials,
      source: "spc",
    });
  }
  const capability = capabilityLine(characteristic, sequence, tags, baseline, options);
  if (capability !== null) lines.push(capability);

  for (let start = 0; start < lines.length; start += options.writeBatchLines) {
    await write(lines.slice(start, start + options.writeBatchLines));
  }
  for (const alert of alerts) ctx.send(alert);
  pass.state = {
    cursor: formed.cursor,
    subgroups: state.subgroups + fresh,
    baselineVersion: baseline.version,
    episodeFrom: recall.openFrom,
    history: lastSubgroups(sequence, options.historySubgroups),
    carry: carryPast(judged[0], sequence.count - options.historySubgroups, carry),
  };
  await saveState(warehouse, name, pass.state, now);
  pass.rowsOut = written + lines.length;
  pass.subgroups = fresh;
  pass.violations = violations.length;
  return pass;
}

/**
 * One run of the SPC job: for every characteristic, the readings since its cursor become complete
 * subgroups, judged against the approved frozen baseline (the first one made automatically when
 * there is none); points, violations and capability go to InfluxDB (`spc_point`, `spc_violation`,
 * `spc_capability`), each violation to the alert sinks with the units to hold. A characteristic
 * that fails does not stop the others; the run then throws SpcJobError `characteristics-failed`
 * carrying every result, after the others are done.
 */
export async function runSpc(ctx: SpcJobContext): Promise<SpcRunResult> {
  const options: SpcJobOptions = { ...DEFAULT_SPC_JOB_OPTIONS, ...ctx.options };
  await ensureSpcTables(ctx.warehouse);
  const result: SpcRunResult = { rowsIn: 0, rowsOut: 0, characteristics: [] };
  const delivered = await syncWatermarks(ctx.warehouse);
  const ahead = await readAhead(ctx, options, delivered);
  for (const [position, characteristic] of ctx.characteristics.entries()) {
    let run: CharacteristicRun;
    try {
      const readings = ahead.get(position);
      ahead.delete(position);
      run = await monitor(ctx, characteristic, options, readings, delivered);
    } catch (error) {
      const failure =
        error instanceof SpcJobError
          ? error
          : new SpcJobError("unexpected", `${characteristic.name}: ${(error as Error).message}`, {
              cause: error,
            });
      ctx.log.warn(
        { characteristic: characteristic.name, reason: failure.reason, err: failure },
        "characteristic failed",
      );
      run = {
        name: characteristic.name,
        rowsIn: 0,
        rowsOut: 0,
        subgroups: 0,
        violations: 0,
        baselineVersion: null,
        error: failure,
      };
    }
    result.rowsIn += run.rowsIn;
    result.rowsOut += run.rowsOut;
    result.characteristics.push(run);
  }
  const failed = result.characteristics.filter((run) => run.error !== undefined);
  if (failed.length > 0) {
    throw new SpcRunError(result, failed);
  }
  return result;
}

/** Some characteristics failed in a run; `result` has every characteristic's outcome. */
export class SpcRunError extends SpcJobError {
  constructor(
    readonly result: SpcRunResult,
    failed: readonly CharacteristicRun[],
  ) {
    super(
      "characteristics-failed",
      failed.map((run) => run.error?.message ?? run.name).join("\n"),
      { retryable: failed.every((run) => run.error?.retryable === true) },
    );
    this.name = "SpcRunError";
  }
}
