import { InfluxError } from "./errors.ts";

/** One series of a query answer: a measurement (and tag set, with GROUP BY) and its rows. */
export interface Series {
  /** Measurement name; absent for some SHOW statements. */
  name?: string;
  /** The GROUP BY tags of this series. */
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** A query's answer. */
export interface QueryResult {
  /** Series of every statement, in statement order. */
  series: Series[];
  /** The same series per statement, for queries of several `;`-separated statements. */
  statements: Series[][];
}

/**
 * A bound parameter value. InfluxDB binds an integer as an integer literal, which a time
 * comparison reads as nanoseconds: bind times as a `Date` (sent as an RFC 3339 string).
 */
export type QueryParam = string | number | boolean | Date;

/**
 * Quote an InfluxQL identifier — for measurement/tag/field names. InfluxQL's quoted identifiers
 * take backslash escapes (`\"`, `\\`, `\n`), not doubled quotes: `"my""meas"` is a parse error.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Rows of one series (or of every series of a result, in order) as objects keyed by column; GROUP BY tags are included. */
export function rows(result: QueryResult | Series): Record<string, unknown>[] {
  const series = "statements" in result ? result.series : [result];
  const out: Record<string, unknown>[] = [];
  for (const s of series) {
    for (const values of s.values) {
      const row: Record<string, unknown> = { ...s.tags };
      s.columns.forEach((column, i) => {
        row[column] = values[i];
      });
      out.push(row);
    }
  }
  return out;
}

export function encodeParams(params: Record<string, QueryParam>): string {
  const encoded: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new InfluxError(
        "bad_request",
        `query parameter $${name}: ${value} is not a finite number`,
      );
    }
    encoded[name.replace(/^\$/, "")] = value instanceof Date ? value.toISOString() : value;
  }
  return JSON.stringify(encoded);
}

interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

export interface RawStatement {
  statement_id?: number;
  series?: RawSeries[];
  error?: string;
  partial?: boolean;
}

export interface RawAnswer {
  results?: RawStatement[];
  error?: string;
}

export function toSeries(raw: RawSeries): Series {
  return {
    ...(raw.name === undefined ? {} : { name: raw.name }),
    ...(raw.tags === undefined ? {} : { tags: raw.tags }),
    columns: raw.columns ?? [],
    values: raw.values ?? [],
  };
}

/**
 * The first error of an answer. "database not found" is a reason of its own, so that a caller
 * can tell a missing database from a bad query.
 */
export function answerError(answer: RawAnswer, operation: string): InfluxError | undefined {
  let index = -1;
  let message = answer.error;
  if (message === undefined) {
    index = answer.results?.findIndex((r) => typeof r.error === "string") ?? -1;
    message = index >= 0 ? answer.results?.[index]?.error : undefined;
  }
  if (message === undefined) return undefined;
  const where = index >= 0 && (answer.results?.length ?? 0) > 1 ? ` (statement ${index})` : "";
  return new InfluxError(
    /^database not found/.test(message) ? "not_found" : "query",
    `InfluxDB ${operation} failed${where}: ${message}`,
    { serverMessage: message },
  );
}

export function toQueryResult(answer: RawAnswer): QueryResult {
  const statements = (answer.results ?? []).map((r) => (r.series ?? []).map(toSeries));
  return { series: statements.flat(), statements };
}
