const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/**
 * Epoch milliseconds of a contract timestamp, or undefined when it is not one. Text must already
 * match the ISO pattern of the schema (`YYYY-MM-DDTHH:mm:ss.SSS` then `Z` or `±HH:MM`); here the
 * ranges are checked, because Date.parse quietly rolls 2026-02-30 over into March.
 */
export function toEpochMs(ts: number | string): number | undefined {
  if (typeof ts === "number") return Number.isSafeInteger(ts) ? ts : undefined;
  const year = digits(ts, 0, 4);
  const month = digits(ts, 5, 2);
  const day = digits(ts, 8, 2);
  const hour = digits(ts, 11, 2);
  const minute = digits(ts, 14, 2);
  const second = digits(ts, 17, 2);
  const millisecond = digits(ts, 20, 3);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (ts.length === 29) {
    const offsetHours = digits(ts, 24, 2);
    const offsetMins = digits(ts, 27, 2);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (ts.charCodeAt(23) === 45 ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // Date.UTC reads years 0-99 as 1900-1999; a 400-year shift is exact in the Gregorian calendar.
  const utc =
    Date.UTC(year + 400, month - 1, day, hour, minute, second, millisecond) - GREGORIAN_CYCLE_MS;
  return utc - offsetMinutes * 60_000;
}
