// Runs a dashboard's queries the way Grafana would: template variables resolved in order from
// their own SHOW TAG VALUES queries (each filled with the ones before it), then every query
// interpolated and its macros expanded for the dashboard's time range.
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { InfluxClient, QueryResult } from "../influx/index.ts";
import {
  applyVariableRegex,
  expandMacros,
  interpolateVariables,
  panelInterval,
  type VariableValue,
  variablesIn,
} from "./interpolate.ts";

/** A time range, epoch ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The values chosen for a dashboard's variables, and what each could have been. */
export interface Resolved {
  values: Record<string, VariableValue>;
  options: Record<string, string[]>;
}

/** Why a query could not be run as Grafana would run it. */
export class DashboardQueryError extends Error {
  readonly reason: "no-options" | "influx";
  constructor(reason: "no-options" | "influx", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DashboardQueryError";
    this.reason = reason;
  }
}

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A dashboard's `now-6h` … `now` as epoch ms, at `now`. */
export function dashboardRange(board: dashboard.Dashboard, now: number): TimeRange {
  const relative = (text: string | undefined): number => {
    if (text === undefined || text === "now") return now;
    const m = /^now-(\d+)([smhdw])$/.exec(text);
    if (!m) throw new Error(`time ${text}: only now and now-<n><s|m|h|d|w> are understood`);
    return now - Number(m[1]) * (UNITS[m[2] as string] as number);
  };
  return { from: relative(board.time?.from), to: relative(board.time?.to) };
}

/** Values of the first column of every series (what Grafana takes from a variable query). */
function firstColumnValues(result: QueryResult): string[] {
  const out: string[] = [];
  for (const series of result.series) {
    // SHOW TAG VALUES answers key, value: the value is the second column.
    const at = series.columns[0] === "key" && series.columns.length > 1 ? 1 : 0;
    for (const row of series.values) {
      const v = row[at];
      if (v !== null && v !== undefined && !out.includes(String(v))) out.push(String(v));
    }
  }
  return out;
}

/** Runs one dashboard's queries against InfluxDB as Grafana would. */
export class DashboardRunner {
  readonly variables: dashboard.VariableModel[];

  constructor(
    private readonly influx: Pick<InfluxClient, "query">,
    readonly board: dashboard.Dashboard,
    readonly range: TimeRange,
    /** Points a panel can draw (its width in pixels, for Grafana). Default 1000. */
    private readonly maxDataPoints = 1000,
  ) {
    this.variables = board.templating.list ?? [];
  }

  /** The query text Grafana sends for `query`, given variable values. */
  expand(query: string, values: Readonly<Record<string, VariableValue>>): string {
    return expandMacros(
      interpolateVariables(query, values),
      this.range,
      panelInterval(this.range, this.maxDataPoints),
    );
  }

  async run(query: string, values: Readonly<Record<string, VariableValue>>): Promise<QueryResult> {
    const text = this.expand(query, values);
    try {
      return await this.influx.query(text, {}, { epoch: "ms" });
    } catch (error) {
      throw new DashboardQueryError("influx", `${text}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Resolves the variables in order. Each takes the value `chosen` names for it when that value is
   * among its options, else the first option: a real value, not "All".
   */
  async resolve(chosen: Readonly<Record<string, string>> = {}): Promise<Resolved> {
    const values: Record<string, VariableValue> = {};
    const options: Record<string, string[]> = {};
    for (const variable of this.variables) {
      let found: string[];
      if (variable.type === "query" && typeof variable.query === "string") {
        const result = await this.run(variable.query, values);
        found = applyVariableRegex(firstColumnValues(result), variable.regex);
      } else if (variable.type === "custom" && typeof variable.query === "string") {
        found = variable.query.split(",").map((v) => v.trim());
      } else continue;
      options[variable.name] = found;
      const wanted = chosen[variable.name];
      const value = wanted !== undefined && found.includes(wanted) ? wanted : found[0];
      if (value === undefined) {
        throw new DashboardQueryError(
          "no-options",
          `variable ${variable.name} has no values: ${this.expand(String(variable.query), values)}`,
        );
      }
      values[variable.name] = {
        value,
        multi: variable.multi ?? false,
        includeAll: variable.includeAll ?? false,
      };
    }
    return { values, options };
  }

  /** The variables a text depends on, with the ones their own queries depend on, last defined first. */
  dependencies(text: string): string[] {
    const known = new Set(this.variables.map((v) => v.name));
    const needed = new Set(variablesIn(text, known));
    for (const variable of [...this.variables].reverse()) {
      if (needed.has(variable.name) && typeof variable.query === "string") {
        for (const name of variablesIn(variable.query, known)) needed.add(name);
      }
    }
    return this.variables
      .map((v) => v.name)
      .filter((n) => needed.has(n))
      .reverse();
  }
}
