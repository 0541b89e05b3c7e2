/** Why an SPC computation was refused; stable codes a job can record or branch on. */
export type SpcErrorReason =
  | "too-few-subgroups"
  | "subgroup-size"
  | "wrong-subgroup-kind"
  | "non-finite"
  | "bad-count"
  | "unequal-sizes"
  | "sigma-method"
  | "bad-option"
  | "wrong-chart"
  | "bad-csv";

/**
 * A refused SPC computation. Bad data never yields a chart with NaN in it: the engine throws this
 * instead, with a reason code and a message that names the subgroup or field at fault. None of these
 * are worth retrying with the same input, hence no retry flag.
 */
export class SpcError extends Error {
  constructor(
    readonly reason: SpcErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "SpcError";
  }
}
