/** Why a prediction run was refused; stable codes a job can record or branch on. */
export type PredictErrorReason =
  | "bad-option"
  | "bad-input"
  | "single-class"
  | "no-outcome"
  | "no-features"
  | "features-unavailable";

/**
 * A refused prediction run. The message names the option, column or value at fault. Only
 * `features-unavailable` is worth retrying: the warehouse's feature table may exist after the next
 * build; the same options and data give the same refusal otherwise.
 */
export class PredictError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly reason: PredictErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "PredictError";
    this.retryable = reason === "features-unavailable";
  }
}
