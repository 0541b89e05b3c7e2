// InfluxDB answers shaped the way Grafana's InfluxDB datasource shapes them for a panel: one
// named line per series and column (time series), or one table with the grouping tags as columns.
import type { QueryResult } from "../../influx/index.ts";

/** One drawn series: its display name and its points. */
export interface Line {
  name: string;
  /** The column it came from (what `$col` names). */
  column: string;
  points: Array<[number, unknown]>;
}

/** A table: grouping tags first, then the selected columns. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

/** The series name Grafana gives: the alias with `$m`, `$col`, `$tag_x` filled, else `m.col {tags}`. */
export function seriesName(
  alias: string | undefined,
  measurement: string,
  column: string,
  tags: Readonly<Record<string, string>>,
): string {
  if (alias === undefined || alias === "") {
    const labels = Object.entries(tags).map(([k, v]) => `${k}: ${v}`);
    return `${measurement}.${column}${labels.length > 0 ? ` {${labels.join(", ")}}` : ""}`;
  }
  return alias.replace(/\$(\w+)|\[\[(\w+)\]\]/g, (match, a?: string, b?: string) => {
    const name = a ?? b ?? "";
    if (name === "m" || name === "measurement") return measurement;
    if (name === "col") return column;
    if (name.startsWith("tag_")) return tags[name.slice(4)] ?? "";
    return match;
  });
}

/** Time-series lines of an answer, one per series and non-time column. */
export function toLines(result: QueryResult, alias: string | undefined): Line[] {
  const lines: Line[] = [];
  for (const series of result.series) {
    const at = series.columns.indexOf("time");
    series.columns.forEach((column, i) => {
      if (i === at) return;
      lines.push({
        name: seriesName(alias, series.name ?? "", column, series.tags ?? {}),
        column,
        points: series.values.map((row) => [Number(row[at]), row[i]]),
      });
    });
  }
  return lines;
}

/** One table of an answer: every series' rows, its grouping tags as leading columns. */
export function toTable(result: QueryResult): Table {
  const tagKeys = [...new Set(result.series.flatMap((s) => Object.keys(s.tags ?? {})))];
  const valueColumns = [...new Set(result.series.flatMap((s) => s.columns))];
  const columns = [
    ...valueColumns.filter((c) => c === "time"),
    ...tagKeys,
    ...valueColumns.filter((c) => c !== "time"),
  ];
  const rows: unknown[][] = [];
  for (const s of result.series) {
    for (const values of s.values) {
      rows.push(
        columns.map((c) => {
          const at = s.columns.indexOf(c);
          return at >= 0 ? values[at] : (s.tags?.[c] ?? null);
        }),
      );
    }
  }
  return { columns, rows };
}
