import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { quoteIdent } from "../influx/index.ts";

/** The datasource every provisioned dashboard queries (see provisioning/datasources/). */
export const DATASOURCE = { uid: "tracebox-influxdb", type: "influxdb" } as const;

/** How Grafana's InfluxDB datasource shapes an answer: one frame per series and column, or a table. */
export type ResultFormat = "time_series" | "table";

/**
 * A raw InfluxQL target of Grafana's InfluxDB datasource, as its query editor saves it in raw mode.
 * The Foundation SDK ships no InfluxDB query type, so this is the part of the datasource's model
 * that raw queries use.
 */
export interface InfluxQLQuery extends cog.Dataquery {
  refId: string;
  datasource: dashboard.DataSourceRef;
  /** Always true: the query is InfluxQL text, not the visual editor's parts. */
  rawQuery: true;
  /** InfluxQL with Grafana's `$timeFilter`, `$__interval` and `$variable` placeholders. */
  query: string;
  resultFormat: ResultFormat;
  /** Series name pattern (`$tag_station`, `$col`, `$m`); Grafana's default naming when absent. */
  alias?: string;
  hide?: boolean;
}

/** Builds an {@link InfluxQLQuery}; ends, like every SDK builder, in plain JSON. */
export class InfluxQLQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string) {
    this.internal = {
      refId: "A",
      datasource: { ...DATASOURCE },
      rawQuery: true,
      query,
      resultFormat: "time_series",
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQLQuery {
    return this.internal;
  }

  query(query: string): this {
    this.internal.query = query;
    return this;
  }

  rawQuery(rawQuery: true): this {
    this.internal.rawQuery = rawQuery;
    return this;
  }

  resultFormat(resultFormat: ResultFormat): this {
    this.internal.resultFormat = resultFormat;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: dashboard.DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }
}

/** Whether a built target is one of ours (an InfluxQL raw query). */
export function isInfluxQLQuery(target: unknown): target is InfluxQLQuery {
  const t = target as Partial<InfluxQLQuery> | null;
  return typeof t === "object" && t !== null && t.rawQuery === true && typeof t.query === "string";
}

/**
 * `"tag" =~ /^$variable$/`: the comparison Grafana's InfluxDB datasource expects a template variable
 * in. It regex-escapes a variable's value (a single one too), so a serial such as
 * `(01)04012345123456(21)TBX…` still matches only itself; an "All" of `.*` matches everything.
 */
export function tagMatches(tag: string, variable: string = tag): string {
  return `${quoteIdent(tag)} =~ /^$${variable}$/`;
}

/** `"tag" = 'value'` for a fixed value of ours (never user input: those come as variables). */
export function tagIs(tag: string, value: string): string {
  if (/['\\\n]/.test(value)) throw new Error(`tag value ${JSON.stringify(value)} needs escaping`);
  return `${quoteIdent(tag)} = '${value}'`;
}

/** `("tag" =~ /^$variable$/ OR "tag" =~ /^(a|b)$/)`: a variable, or any of some fixed values. */
export function tagMatchesOrAny(tag: string, variable: string, also: readonly string[]): string {
  if (also.length === 0) return tagMatches(tag, variable);
  const fixed = also.map((v) => v.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")).join("|");
  return `(${tagMatches(tag, variable)} OR ${quoteIdent(tag)} =~ /^(${fixed})$/)`;
}

/** A SELECT's WHERE clause from conditions, always bounded by the dashboard's time range. */
export function where(...conditions: string[]): string {
  return `WHERE ${[...conditions, "$timeFilter"].join(" AND ")}`;
}

export { quoteIdent };
