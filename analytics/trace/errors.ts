/** Why a traceability request failed; stable codes the CLI maps to exit codes and the API to HTTP statuses. */
export type TraceErrorReason =
  /** An option or argument out of range; the message names it, the value and what was expected. */
  | "bad-option"
  /** No record of the serial (or lot, container, violation) in any source that answered. */
  | "not-found"
  /** A source that may hold the answer did not answer (InfluxDB down, archive unreadable). */
  | "source-unavailable"
  /** An export does not verify: a file changed, a record changed, the manifest was edited. */
  | "verification-failed"
  /** The output path exists and is not an empty directory: an export never overwrites. */
  | "output-exists";

/** A failed traceability request, with its retry decision. */
export class TraceError extends Error {
  override readonly name = "TraceError";

  constructor(
    readonly reason: TraceErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** true when the same request may succeed later: only a source that did not answer. */
  canRetry(): boolean {
    return this.reason === "source-unavailable";
  }
}

export function badOption(field: string, value: unknown, expected: string): TraceError {
  return new TraceError(
    "bad-option",
    `${field}=${JSON.stringify(value) ?? String(value)}: expected ${expected}`,
  );
}

export function isTraceError(error: unknown): error is TraceError {
  return error instanceof TraceError;
}
