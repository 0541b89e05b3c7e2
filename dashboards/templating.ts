// Template variables (InfluxQL SHOW TAG VALUES) and annotation queries of the dashboards.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { DATASOURCE, quoteIdent } from "./influxql.ts";

/** How a variable lets people choose. */
export interface TagVariableOptions {
  label?: string;
  description?: string;
  /** Conditions on other tags (`tagMatches("site")`…) that narrow the values. */
  where?: string[];
  /** Several values and "All" (matching every value). Default true. */
  multi?: boolean;
  /**
   * Grafana keeps what a capture group of this regex takes out of each value, once: pad groups
   * (`U1`) from pad refs (`U1.3`).
   */
  regex?: string;
  /** Newest values first instead of alphabetical (serials). */
  sortDescending?: boolean;
}

/** `SHOW TAG VALUES FROM "m" WITH KEY = "k" [WHERE …]`: the text of a tag variable's query. */
export function showTagValues(measurement: string, key: string, conditions: string[] = []): string {
  const filter = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
  return `SHOW TAG VALUES FROM ${quoteIdent(measurement)} WITH KEY = ${quoteIdent(key)}${filter}`;
}

/**
 * A variable whose values are the values of one tag of one measurement. Multi-valued ones offer
 * "All" as `.*`, which Grafana leaves unescaped, so `=~ /^$site$/` then matches every site.
 */
export function tagVariable(
  name: string,
  measurement: string,
  key: string,
  options: TagVariableOptions = {},
): dashboard.QueryVariableBuilder {
  const multi = options.multi ?? true;
  const variable = new dashboard.QueryVariableBuilder(name)
    .label(options.label ?? name)
    .datasource({ ...DATASOURCE })
    .query(showTagValues(measurement, key, options.where))
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(
      options.sortDescending
        ? dashboard.VariableSort.AlphabeticalDesc
        : dashboard.VariableSort.AlphabeticalAsc,
    )
    .multi(multi)
    .includeAll(multi);
  if (multi) {
    variable.allValue(".*").current({ selected: true, text: ["All"], value: ["$__all"] });
  }
  if (options.regex !== undefined) variable.regex(options.regex);
  if (options.description !== undefined) variable.description(options.description);
  return variable;
}

/** A variable with a fixed list of values (a period, a scope). */
export function choiceVariable(
  name: string,
  values: readonly string[],
  options: { label?: string; description?: string; current?: string } = {},
): dashboard.CustomVariableBuilder {
  const current = options.current ?? values[0] ?? "";
  const variable = new dashboard.CustomVariableBuilder(name)
    .label(options.label ?? name)
    .values(values.join(","))
    .multi(false)
    .includeAll(false)
    .current({ selected: true, text: current, value: current })
    .options(values.map((v) => ({ selected: v === current, text: v, value: v })));
  if (options.description !== undefined) variable.description(options.description);
  return variable;
}

/**
 * An InfluxDB annotation query as Grafana stores one: the InfluxQL in `query`, which columns give
 * the text and the tags. The published dashboard schema types `target` as the built-in
 * annotation target only; the InfluxDB datasource moves `query` and the column names into its
 * own target when it loads the dashboard (its `prepareAnnotation`), so this is the form that
 * both the schema and the datasource read.
 */
export interface InfluxAnnotationQuery extends dashboard.AnnotationQuery {
  query: string;
  textColumn: string;
  tagsColumn: string;
  titleColumn?: string;
}

/** Builds an {@link InfluxAnnotationQuery}. */
export class InfluxAnnotationBuilder implements cog.Builder<dashboard.AnnotationQuery> {
  private readonly internal: InfluxAnnotationQuery;

  constructor(name: string, query: string) {
    this.internal = {
      name,
      datasource: { ...DATASOURCE },
      enable: true,
      iconColor: "red",
      query,
      textColumn: "",
      tagsColumn: "",
      target: { limit: 100, matchAny: false, tags: [], type: "tags" },
    };
  }

  build(): InfluxAnnotationQuery {
    return this.internal;
  }

  iconColor(color: string): this {
    this.internal.iconColor = color;
    return this;
  }

  /** The column whose value is the annotation's text. */
  textColumn(column: string): this {
    this.internal.textColumn = column;
    return this;
  }

  /** Columns whose values become the annotation's tags, comma-separated. */
  tagsColumns(columns: readonly string[]): this {
    this.internal.tagsColumn = columns.join(",");
    return this;
  }

  enable(enable: boolean): this {
    this.internal.enable = enable;
    return this;
  }
}

/** Grafana's own annotations and alerts, which every dashboard keeps. */
export function builtInAnnotations(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name("Annotations & Alerts")
    .datasource({ type: "grafana", uid: "-- Grafana --" })
    .enable(true)
    .hide(true)
    .iconColor("rgba(0, 211, 255, 1)")
    .type("dashboard")
    .builtIn(1);
}
