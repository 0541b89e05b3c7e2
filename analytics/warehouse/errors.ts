import { isInfluxError } from "../../influx/index.ts";

/** Why a warehouse operation failed; stable codes a job can record or branch on. */
export type WarehouseErrorReason =
  /** An option out of range; the message names the option, the value and what was expected. */
  | "bad-option"
  /** InfluxDB refused or did not answer; `cause` is the InfluxError with its own retry decision. */
  | "influx"
  /** The caller's AbortSignal fired; whatever was in flight was rolled back. */
  | "aborted"
  /** A measurement name that cannot become an archive path (see `archive.ts`). */
  | "bad-name";

/** A failed warehouse operation, with its retry decision. */
export class WarehouseError extends Error {
  override readonly name = "WarehouseError";

  constructor(
    readonly reason: WarehouseErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** true when the same call may succeed later: InfluxDB unreachable or busy, or an abort. */
  canRetry(): boolean {
    if (this.reason === "aborted") return true;
    if (this.reason === "influx") return isInfluxError(this.cause) && this.cause.canRetry();
    return false;
  }
}

export function badOption(field: string, value: unknown, expected: string): WarehouseError {
  return new WarehouseError(
    "bad-option",
    `warehouse option ${field}=${JSON.stringify(value) ?? String(value)}: expected ${expected}`,
  );
}
