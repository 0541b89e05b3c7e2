// Every InfluxQL text a dashboard (or alert rule file) runs, where it sits, and what it names.
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { isInfluxQLQuery, type ResultFormat } from "./influxql.ts";
import type { InfluxAnnotationQuery } from "./templating.ts";

/** A query of a dashboard: a panel target, a template variable, or an annotation. */
export interface DashboardQuery {
  kind: "panel" | "variable" | "annotation";
  dashboard: string;
  /** Panel title, variable name or annotation name. */
  name: string;
  panelId?: number;
  panelType?: string;
  refId?: string;
  query: string;
  format: ResultFormat;
  alias?: string;
  /** The variable a panel repeats over. */
  repeat?: string;
  /** Field names the panel's overrides match by name. */
  overrideNames: string[];
  /** The annotation's text and tag columns. */
  columns?: string[];
}

function panelsOf(board: dashboard.Dashboard): dashboard.Panel[] {
  const out: dashboard.Panel[] = [];
  for (const panel of board.panels ?? []) {
    if (panel.type === "row")
      out.push(...(((panel as dashboard.RowPanel).panels ?? []) as dashboard.Panel[]));
    else out.push(panel as dashboard.Panel);
  }
  return out;
}

/** Every query of a dashboard, in panel order, then variables, then annotations. */
export function dashboardQueries(board: dashboard.Dashboard): DashboardQuery[] {
  const uid = board.uid ?? "";
  const out: DashboardQuery[] = [];
  for (const panel of panelsOf(board)) {
    const overrideNames = (panel.fieldConfig?.overrides ?? [])
      .filter((o) => o.matcher.id === "byName")
      .map((o) => String(o.matcher.options));
    for (const target of panel.targets ?? []) {
      if (!isInfluxQLQuery(target)) continue;
      out.push({
        kind: "panel",
        dashboard: uid,
        name: panel.title ?? "",
        panelId: panel.id,
        panelType: panel.type,
        refId: target.refId,
        query: target.query,
        format: target.resultFormat,
        ...(target.alias === undefined ? {} : { alias: target.alias }),
        ...(panel.repeat === undefined ? {} : { repeat: panel.repeat }),
        overrideNames,
      });
    }
  }
  for (const variable of board.templating.list ?? []) {
    if (variable.type !== "query" || typeof variable.query !== "string") continue;
    out.push({
      kind: "variable",
      dashboard: uid,
      name: variable.name,
      query: variable.query,
      format: "table",
      overrideNames: [],
    });
  }
  for (const annotation of board.annotations.list ?? []) {
    const influx = annotation as Partial<InfluxAnnotationQuery>;
    if (typeof influx.query !== "string") continue;
    out.push({
      kind: "annotation",
      dashboard: uid,
      name: annotation.name,
      query: influx.query,
      format: "table",
      overrideNames: [],
      columns: [influx.textColumn ?? "", ...(influx.tagsColumn ?? "").split(",")].filter(Boolean),
    });
  }
  return out;
}

/** Where a query names something, and as what. */
export interface InfluxQLNames {
  /** Measurements after FROM (subqueries included). */
  measurements: string[];
  /** Names given with AS. */
  aliases: string[];
  /** Quoted identifiers used as a tag (`::tag`, a SHOW TAG VALUES key). */
  tags: string[];
  /** Every other quoted identifier: a field or a tag of the measurement. */
  columns: string[];
  /** Bare words that are not InfluxQL keywords, functions, durations or Grafana macros. */
  unquoted: string[];
}

const KEYWORDS = new Set(
  [
    "select",
    "from",
    "where",
    "and",
    "or",
    "as",
    "group",
    "by",
    "time",
    "fill",
    "none",
    "null",
    "previous",
    "linear",
    "order",
    "asc",
    "desc",
    "limit",
    "show",
    "tag",
    "values",
    "with",
    "key",
    "field",
    "count",
    "sum",
    "mean",
    "median",
    "max",
    "min",
    "last",
    "first",
    "spread",
    "non_negative_derivative",
    "derivative",
    "elapsed",
    "top",
  ].map((k) => k.toLowerCase()),
);

/** What a query names: measurements, aliases, tags, other columns, and anything left unquoted. */
export function influxQLNames(query: string): InfluxQLNames {
  const names: InfluxQLNames = {
    measurements: [],
    aliases: [],
    tags: [],
    columns: [],
    unquoted: [],
  };
  let i = 0;
  let previousWord = "";
  let regexNext = false;
  while (i < query.length) {
    const ch = query[i] as string;
    if (ch === "'") {
      const end = query.indexOf("'", i + 1);
      i = end < 0 ? query.length : end + 1;
      previousWord = "";
      continue;
    }
    if (ch === "/" && regexNext) {
      let j = i + 1;
      while (j < query.length && query[j] !== "/") j += query[j] === "\\" ? 2 : 1;
      i = j + 1;
      regexNext = false;
      previousWord = "";
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let name = "";
      while (j < query.length && query[j] !== '"') {
        if (query[j] === "\\") j++;
        name += query[j];
        j++;
      }
      i = j + 1;
      const cast = /^::(tag|field)/.exec(query.slice(i));
      if (previousWord === "from") names.measurements.push(name);
      else if (previousWord === "as") names.aliases.push(name);
      else if (previousWord === "key=" || cast?.[1] === "tag") names.tags.push(name);
      else names.columns.push(name);
      if (cast) i += cast[0].length;
      previousWord = "";
      continue;
    }
    if (query.startsWith("=~", i) || query.startsWith("!~", i)) {
      regexNext = true;
      i += 2;
      continue;
    }
    if (ch === "=") {
      previousWord = previousWord === "key" ? "key=" : "";
      i++;
      continue;
    }
    const word = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i));
    if (word) {
      const w = word[0];
      const lower = w.toLowerCase();
      if (!w.startsWith("$") && !KEYWORDS.has(lower)) names.unquoted.push(w);
      previousWord = lower;
      i += w.length;
      continue;
    }
    const number = /^\d+(\.\d+)?(ns|u|µ|ms|s|m|h|d|w)?/.exec(query.slice(i));
    if (number) {
      i += number[0].length;
      previousWord = "";
      continue;
    }
    if (!/\s/.test(ch)) previousWord = "";
    i++;
  }
  return names;
}

/** Splits at top-level commas (outside parentheses and quotes). */
function topLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = "";
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/**
 * The columns a SELECT returns besides time, as InfluxDB names them: the alias, else the field or
 * tag, else the function's name.
 */
export function selectedColumns(query: string): string[] {
  const m = /^\s*SELECT\s+([\s\S]*?)\s+FROM\s/i.exec(query);
  if (!m) return [];
  return topLevel(m[1] as string).flatMap((expression) => {
    // top("f", "tag", n) and bottom(…) return the tags they pick by as columns of their own.
    const picked = /^(?:top|bottom)\(([^)]*)\)/i.exec(expression);
    const tags = picked
      ? topLevel(picked[1] as string)
          .slice(1, -1)
          .map((t) => t.replace(/^"|"$/g, ""))
      : [];
    const alias = /\bAS\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(expression);
    if (alias) return [alias[1] as string, ...tags];
    const column = /^"((?:[^"\\]|\\.)*)"(::(tag|field))?$/.exec(expression);
    if (column) return [column[1] as string];
    return [(/^([A-Za-z_]+)\s*\(/.exec(expression)?.[1] ?? expression).toLowerCase(), ...tags];
  });
}

/** The tags a query groups by (besides time), which Grafana turns into labels or table columns. */
export function groupByTags(query: string): string[] {
  const m = /\bGROUP BY\s+([\s\S]*?)(\s+fill\(|\s+ORDER|\s+LIMIT|\)?\s*$)/i.exec(query);
  if (!m) return [];
  return topLevel(m[1] as string)
    .map((part) => /^"((?:[^"\\]|\\.)*)"$/.exec(part)?.[1])
    .filter((t): t is string => t !== undefined);
}
