// What Grafana 11 does to an InfluxQL raw query before InfluxDB sees it: the frontend fills the
// template variables (the InfluxDB datasource's `interpolateQueryExpr`), the backend expands
// `$timeFilter` and the interval macros (`pkg/tsdb/influxdb/models/query.go`). Used to run the
// dashboards' queries the way Grafana would, against a real InfluxDB, without a Grafana.

/** The value a template variable has, and how the variable is defined. */
export interface VariableValue {
  /** One value, or several (a multi-value selection). */
  value: string | readonly string[];
  multi: boolean;
  includeAll: boolean;
  /** When "All" is selected and the variable has a custom all value, that value, unescaped. */
  all?: string;
}

// `escapeRegex` of @grafana/data.
function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

// The datasource's `influxRegularEscape`: numbers are left alone.
function regularEscape(value: string): string {
  return Number.isNaN(Number.parseFloat(value)) ? escapeRegex(value) : value;
}

// The datasource's `influxSpecialRegexEscape`, for multi-value and include-all variables.
function specialRegexEscape(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

/** A variable's value as the InfluxDB datasource writes it into a query. */
export function formatVariable(variable: VariableValue): string {
  if (variable.all !== undefined) return variable.all;
  const values = typeof variable.value === "string" ? [variable.value] : [...variable.value];
  if (!variable.multi && !variable.includeAll) return regularEscape(values[0] ?? "");
  const escaped = values.map(specialRegexEscape);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
}

// templateSrv's variable syntax: $name, [[name]], ${name} (with optional :format).
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** The names of the template variables a text refers to (of those in `known`). */
export function variablesIn(text: string, known: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(VARIABLE)) {
    const name = m[1] ?? m[2] ?? m[4];
    if (name !== undefined && known.has(name)) names.add(name);
  }
  return [...names];
}

/** Fills template variables; names that are not variables (`$timeFilter`, `$tag_x`, `$col`) stay. */
export function interpolateVariables(
  text: string,
  variables: Readonly<Record<string, VariableValue>>,
): string {
  return text.replace(VARIABLE, (match, a?: string, b?: string, _f?: string, c?: string) => {
    const name = a ?? b ?? c;
    const variable = name === undefined ? undefined : variables[name];
    return variable === undefined ? match : formatVariable(variable);
  });
}

/** Grafana's `rangeutil.roundInterval`: a nice interval near the one asked for, ms. */
export function roundInterval(ms: number): number {
  const ladder: ReadonlyArray<readonly [number, number]> = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, interval] of ladder) if (ms < below) return interval;
  return 31536000000;
}

/**
 * `$__interval` of a panel, ms: the time range over the points the panel can draw, rounded, and
 * never below the datasource's minimum interval (`timeInterval`, 1 s for tracebox's datasource).
 */
export function panelInterval(
  range: { from: number; to: number },
  maxDataPoints = 1000,
  minIntervalMs = 1000,
): number {
  return Math.max(minIntervalMs, roundInterval((range.to - range.from) / maxDataPoints));
}

/** Grafana's `gtime.FormatInterval`: 200ms, 10s, 5m, 1h, 1d, 1w, 1y. */
export function formatInterval(ms: number): string {
  const day = 86_400_000;
  if (ms < 1000) return `${Math.trunc(ms)}ms`;
  if (ms >= 365 * day) return `${Math.trunc(ms / (365 * day))}y`;
  if (ms >= 7 * day) return `${Math.trunc(ms / (7 * day))}w`;
  if (ms >= day) return `${Math.trunc(ms / day)}d`;
  if (ms >= 3_600_000) return `${Math.trunc(ms / 3_600_000)}h`;
  if (ms >= 60_000) return `${Math.trunc(ms / 60_000)}m`;
  return `${Math.trunc(ms / 1000)}s`;
}

/** The backend's macros: `$timeFilter`, `$interval`, `$__interval_ms`, `$__interval`, in its order. */
export function expandMacros(
  query: string,
  range: { from: number; to: number },
  intervalMs: number,
): string {
  const text = formatInterval(intervalMs);
  return query
    .replaceAll("$timeFilter", `time >= ${range.from}ms and time <= ${range.to}ms`)
    .replaceAll("$interval", text)
    .replaceAll("$__interval_ms", String(intervalMs))
    .replaceAll("$__interval", text);
}

/**
 * Grafana's query-variable regex: keeps the values it matches; with a capture group, what the
 * group (or the group named `value`) took; duplicates once, in order.
 */
export function applyVariableRegex(values: readonly string[], regex: string | undefined): string[] {
  if (regex === undefined || regex === "") return [...values];
  const parts = /^\/(.*)\/([gimsuy]*)$/s.exec(regex);
  const re = parts ? new RegExp(parts[1] as string, parts[2]) : new RegExp(regex);
  const out: string[] = [];
  for (const value of values) {
    const m = re.exec(value);
    if (!m) continue;
    const kept = m.groups?.value ?? m[1] ?? m[0];
    if (kept !== undefined && !out.includes(kept)) out.push(kept);
  }
  return out;
}
