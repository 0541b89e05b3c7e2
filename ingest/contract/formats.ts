import { FormatRegistry } from "@sinclair/typebox";

// Text rules for strings that reach InfluxDB. TypeBox compiles `pattern` without the `u` flag,
// so a Unicode property class there would silently mean something else; these rules are
// registered as named formats checked with a `u` regex instead, and the JSON Schema generator
// writes the same source back as `pattern` (JSON Schema reads patterns as Unicode regexes).

/**
 * Never inside a tag value: controls (tab, CR, LF, NUL, C1), invisible format characters
 * (zero-width, bidi overrides, BOM), lone surrogates, private use, line/paragraph separators,
 * spaces other than U+0020, the replacement character, and backslash (line protocol's escape
 * character: at the end of a tag value it swallows the separator and InfluxDB refuses the whole
 * write, and parsers differ on what it means before an escaped character).
 */
const TAG_FORBIDDEN =
  "\\p{Cc}\\p{Cf}\\p{Cs}\\p{Co}\\p{Zl}\\p{Zp}\\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000\\uFFFD\\\\";

export interface TextFormat {
  /** Unicode (`u` flag) regular expression source, anchored. */
  pattern: string;
  /** What the rule means, for JSON Schema readers and rejection details. */
  rule: string;
}

/** The named string formats of the contract, keyed by the `format` name used in the schemas. */
export const TEXT_FORMATS = {
  "tracebox-serial": {
    pattern: `^[^${TAG_FORBIDDEN}\\s]{1,128}$`,
    rule: "1-128 printable characters without whitespace or backslash",
  },
  "tracebox-label": {
    pattern: `^[^${TAG_FORBIDDEN} ](?:[^${TAG_FORBIDDEN}]{0,126}[^${TAG_FORBIDDEN} ])?$`,
    rule: "1-128 printable characters without backslash; single spaces (U+0020) only inside",
  },
  "tracebox-text": {
    pattern: "^(?:\\t|[^\\p{Cc}\\p{Cs}]){1,16383}$",
    rule: "1-16383 characters of well-formed text; no control characters except tab",
  },
} as const satisfies Record<string, TextFormat>;

export type TextFormatName = keyof typeof TEXT_FORMATS;

for (const [name, format] of Object.entries(TEXT_FORMATS)) {
  const regex = new RegExp(format.pattern, "u");
  FormatRegistry.Set(name, (value) => regex.test(value));
}

/** Field keys of signal values: an identifier, minus names that would shadow a tag or InfluxDB's own columns. */
export const FIELD_KEY_PATTERN =
  "^(?!(?:time|site|line|station|serial|__proto__|_measurement|_field|_value|_time|_start|_stop)$)[A-Za-z_][A-Za-z0-9_]{0,63}$";

/** Timestamp text: ISO-8601 with exactly milliseconds and an explicit offset. Ranges are checked in code. */
export const ISO_TIMESTAMP_PATTERN =
  "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(?:Z|[+-]\\d{2}:\\d{2})$";
