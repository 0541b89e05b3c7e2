/** Why the SPC job or a baseline operation refused; stable codes a caller can branch on. */
export type SpcJobErrorReason =
  /** No characteristic of that name in the `spc` section. */
  | "unknown-characteristic"
  /** A baseline window held fewer complete subgroups than `baseline.minSubgroups`. */
  | "too-few-subgroups"
  /** No baseline of that version for the characteristic. */
  | "unknown-version"
  /** The baseline is already the approved one. */
  | "already-approved"
  /** The approved baseline was made for another chart or subgrouping than the configuration now asks. */
  | "baseline-mismatch"
  /** The feature table or one of its columns is missing from the warehouse. */
  | "unknown-feature"
  /** The SPC engine refused the data (its own reason code is in the message). */
  | "spc-refused"
  /** Writing the results to InfluxDB failed. */
  | "influx-write"
  /** Something else went wrong (the warehouse, most likely); worth another run. */
  | "unexpected"
  /** One or more characteristics failed in a run; the others completed. */
  | "characteristics-failed";

const RETRYABLE: ReadonlySet<SpcJobErrorReason> = new Set(["influx-write", "unexpected"]);

/**
 * A refused SPC job step. `retryable` says whether running again with the same data can succeed
 * (an InfluxDB outage) or whether a person must act first (bad data, a baseline to approve).
 */
export class SpcJobError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly reason: SpcJobErrorReason,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SpcJobError";
    this.retryable = options.retryable ?? RETRYABLE.has(reason);
  }
}
