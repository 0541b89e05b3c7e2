/** Why a yield computation was refused; stable codes a job can record or branch on. */
export type YieldErrorReason = "bad-option";

/**
 * A refused yield computation: an option out of range. The message names the option, the value and
 * what was expected.
 * Retrying with the same options cannot succeed, hence no retry flag; failures of the warehouse or
 * of InfluxDB surface as their own errors (InfluxError carries its retry decision).
 */
export class YieldError extends Error {
  constructor(
    readonly reason: YieldErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "YieldError";
  }
}
