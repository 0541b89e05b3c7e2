import { escape as lineEscape } from "@influxdata/influxdb-client";

/** Tags every SPC result carries: which characteristic, measured where. */
export interface ResultTags {
  readonly characteristic: string;
  readonly site: string;
  readonly line: string;
  readonly station: string;
}

/** A field value: a float, an integer, a string or a boolean; null or undefined leaves it out. */
export type FieldValue = number | { readonly int: number } | string | boolean | null | undefined;

// InfluxDB 1.x refuses string fields longer than 64 KiB; a line it refuses fails its whole batch.
const MAX_STRING_FIELD = 60_000;

/**
 * The measurement and tag set of a series, escaped as line protocol wants them, tags sorted by key
 * as the client library's `Point` sorts them. Made once per series: the per-point work is then
 * only the fields.
 */
export function seriesKey(measurement: string, tags: Readonly<Record<string, string>>): string {
  const parts = [lineEscape.measurement(measurement)];
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (value !== undefined && value !== "")
      parts.push(`${lineEscape.tag(key)}=${lineEscape.tag(value)}`);
  }
  return parts.join(",");
}

function fieldText(value: Exclude<FieldValue, null | undefined>): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value === "string") return lineEscape.quoted(value);
  if (typeof value === "boolean") return value ? "T" : "F";
  return Number.isSafeInteger(value.int) ? `${value.int}i` : null;
}

/** One line: series key, fields sorted by name (unset and non-finite ones left out), ms timestamp. */
export function line(
  key: string,
  fields: Readonly<Record<string, FieldValue>>,
  ts: number,
): string {
  const parts: string[] = [];
  for (const name of Object.keys(fields).sort()) {
    const value = fields[name];
    if (value === null || value === undefined) continue;
    const text = fieldText(value);
    if (text !== null) parts.push(`${lineEscape.tag(name)}=${text}`);
  }
  return `${key} ${parts.join(",")} ${ts}`;
}

/** A number as line protocol (and `Point`) writes a float: `String(x)`. */
function float(value: number): string {
  return String(value);
}

/**
 * `spc_point` lines of one series. Written out by hand rather than through `line()`: a backlog run
 * writes one of these per subgroup and chart, millions at a time, and the fields are always the
 * same. Everything up to `value=` is kept while the limits, phase and size do not change (the
 * common case), so a point costs one number formatted and two strings joined, not five numbers.
 * The result is what `Point` would give (fields sorted by name, floats as `String(x)`); a unit test
 * holds the two together.
 */
export class PointLines {
  private readonly head: string;
  private center = Number.NaN;
  private lcl = Number.NaN;
  private ucl = Number.NaN;
  private phase = 0;
  private size = -1;
  private limitsText: readonly [string, string, string] = ["", "", ""];
  /** The line up to `value=` for the current limits, phase and size (EWMA and CUSUM have more). */
  private prefix = "";

  constructor(key: string, baselineVersion: number) {
    this.head = `${key} baseline_version=${baselineVersion}i,cl=`;
  }

  /**
   * One point. `mean` is the subgroup mean of EWMA and CUSUM points, `lower` the −C⁻ of a CUSUM
   * point (whose `value` is C⁺); positional, as this runs once per point. `ts` may come already
   * written out, ` ` first (`timestampText`), when several series share it.
   */
  line(
    value: number,
    center: number,
    lcl: number,
    ucl: number,
    subgroupSize: number,
    phase: 1 | 2,
    ts: number | string,
    mean?: number,
    lower?: number,
  ): string {
    const limitsChanged = center !== this.center || lcl !== this.lcl || ucl !== this.ucl;
    if (limitsChanged) {
      this.center = center;
      this.lcl = lcl;
      this.ucl = ucl;
      this.limitsText = [float(center), float(lcl), float(ucl)];
    }
    const [cl, lclText, uclText] = this.limitsText;
    const tail = typeof ts === "string" ? ts : timestampText(ts);
    if (mean === undefined && lower === undefined) {
      if (limitsChanged || phase !== this.phase || subgroupSize !== this.size) {
        this.phase = phase;
        this.size = subgroupSize;
        this.prefix = `${this.head}${cl},lcl=${lclText},phase=${phase}i,subgroup_size=${subgroupSize}i,ucl=${uclText},value=`;
      }
      return this.prefix + float(value) + tail;
    }
    this.size = -1;
    const extra =
      (lower !== undefined && Number.isFinite(lower) ? `,lower=${float(lower)}` : "") +
      (mean !== undefined && Number.isFinite(mean) ? `,mean=${float(mean)}` : "");
    return `${this.head}${cl},lcl=${lclText}${extra},phase=${phase}i,subgroup_size=${subgroupSize}i,ucl=${uclText},value=${float(value)}${tail}`;
  }
}

/** The end of a line: ` ` and the timestamp, epoch ms. */
export function timestampText(ts: number): string {
  return ` ${ts}`;
}

/** What an `spc_violation` line says besides its series and time. */
export interface ViolationFields {
  /** The alert's id. */
  readonly id: string;
  readonly value: number;
  readonly limit: number;
  /** The serials as `serialsField` cut them. */
  readonly serials: { readonly json: string; readonly truncated: boolean };
  /** How many serials the alert carries (all of them). */
  readonly serialCount: number;
}

/**
 * An `spc_violation` line, written out by hand as `PointLines` writes points: a backlog can hold
 * a hundred thousand violations, and `line()` sorts and escapes the field names of each. The same
 * text as `line()` with these fields (a unit test holds the two together).
 */
export function violationLine(key: string, fields: ViolationFields, ts: number): string {
  const limit = Number.isFinite(fields.limit) ? `,limit=${float(fields.limit)}` : "";
  const value = Number.isFinite(fields.value) ? `,value=${float(fields.value)}` : "";
  const truncated = fields.serials.truncated ? ",serials_truncated=T" : "";
  return `${key} id=${lineEscape.quoted(fields.id)}${limit},serial_count=${fields.serialCount}i,serials=${lineEscape.quoted(fields.serials.json)}${truncated}${value} ${ts}`;
}

/**
 * The serials as a JSON array that fits an InfluxDB string field: as many as fit, in order, and
 * whether some were left out (the alert itself carries them all).
 */
export function serialsField(serials: readonly string[]): { json: string; truncated: boolean } {
  const json = JSON.stringify(serials);
  if (json.length <= MAX_STRING_FIELD) return { json, truncated: false };
  let length = 2;
  let count = 0;
  for (const serial of serials) {
    const next = JSON.stringify(serial).length + (count > 0 ? 1 : 0);
    if (length + next > MAX_STRING_FIELD) break;
    length += next;
    count++;
  }
  return { json: JSON.stringify(serials.slice(0, count)), truncated: true };
}
