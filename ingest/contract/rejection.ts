/**
 * Why a message was not stored. A fixed set, because it is a Prometheus label and a column of
 * the dead-letter; the README of this folder explains each one to integrators.
 */
export const REJECT_REASONS = [
  "bad_topic",
  "payload_too_large",
  "not_utf8",
  "not_json",
  "not_object",
  "invalid_field",
  "non_finite",
  "missing_ts",
  "bad_ts",
  "ts_out_of_window",
  "bad_serial",
  "too_many_items",
  "duplicate_key",
  "internal_error",
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** A message the codec refuses; `detail` names the field (JSON Pointer into the payload) and why. */
export interface Rejection {
  ok: false;
  reason: RejectReason;
  detail: string;
}

// Details go to logs and the dead-letter file: no raw control characters from the payload
// (JSON.parse messages and property names quote it).
const CONTROL = /[\p{Cc}\u2028\u2029]/gu;

function escapeControl(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

export function reject(reason: RejectReason, detail: string): Rejection {
  return { ok: false, reason, detail: detail.replace(CONTROL, escapeControl) };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && (value as { ok?: unknown }).ok === false;
}

/** A value quoted for a rejection detail: JSON-escaped (no raw control characters reach logs) and cut short. */
export function quote(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
