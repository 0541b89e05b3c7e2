// Static HTML with hand-drawn SVG for the panels of a dashboard: time series with thresholds and
// annotations, stats, tables, bar charts, state timelines, text. No script: what a reviewer
// opens is what was rendered.
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { QueryResult } from "../../influx/index.ts";
import { type Line, type Table, toLines, toTable } from "./frames.ts";

/** What a panel's queries answered (or why not), in target order. */
export type Answer = { result: QueryResult } | { error: string };

/** A marker on the time axis (an SPC violation, an alert). */
export interface Marker {
  time: number;
  text: string;
  color: string;
}

/** What drawing a panel needs besides the panel itself. */
export interface PanelData {
  answers: Answer[];
  range: { from: number; to: number };
  markers: Marker[];
  /** The panel title with its variables filled. */
  title: string;
}

const PALETTE = [
  "#73BF69",
  "#F2CC0C",
  "#8AB8FF",
  "#FF780A",
  "#F2495C",
  "#5794F2",
  "#B877D9",
  "#705DA0",
  "#37872D",
  "#FADE2A",
];

const NAMED: Record<string, string> = {
  green: "#73BF69",
  red: "#F2495C",
  orange: "#FF9830",
  blue: "#5794F2",
  yellow: "#FADE2A",
  purple: "#B877D9",
  transparent: "transparent",
};

export function color(name: string | undefined, fallback = "#8e8e8e"): string {
  if (name === undefined) return fallback;
  return NAMED[name] ?? name;
}

export function escapeHtml(text: unknown): string {
  return String(text)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

const UNIT_SUFFIX: Record<string, string> = {
  celsius: " °C",
  s: " s",
  percent: " %",
  ppm: " ppm",
  pressurebar: " bar",
  humidity: " %RH",
  bytes: " B",
  "m3/h": " m³/h",
};

/** A value as the panel's unit and decimals show it. */
export function formatValue(value: unknown, unit?: string, decimals?: number): string {
  if (typeof value !== "number") return value === null || value === undefined ? "" : String(value);
  if (unit === "percentunit") return `${(value * 100).toFixed(decimals ?? 1)} %`;
  if (decimals === undefined && Number.isInteger(value))
    return `${value}${UNIT_SUFFIX[unit ?? ""] ?? ""}`;
  const digits = decimals ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3);
  return `${value.toFixed(digits)}${UNIT_SUFFIX[unit ?? ""] ?? ""}`;
}

function thresholdColor(steps: dashboard.Threshold[], value: number): string {
  let current = steps[0]?.color;
  for (const step of steps.slice(1))
    if (step.value !== null && value >= step.value) current = step.color;
  return color(current);
}

function mappedText(
  panel: dashboard.Panel,
  field: string,
  value: unknown,
): { text: string; color?: string } {
  const overrides = panel.fieldConfig?.overrides ?? [];
  const mappings = [
    ...overrides
      .filter((o) => o.matcher.id === "byName" && o.matcher.options === field)
      .flatMap((o) =>
        o.properties
          .filter((p) => p.id === "mappings")
          .flatMap((p) => p.value as dashboard.ValueMapping[]),
      ),
    ...(panel.fieldConfig?.defaults.mappings ?? []),
  ];
  for (const m of mappings) {
    if (m.type === "value") {
      const hit = m.options[String(value)];
      if (hit)
        return {
          text: hit.text ?? String(value),
          ...(hit.color ? { color: color(hit.color) } : {}),
        };
    }
  }
  return { text: value === null || value === undefined ? "" : String(value) };
}

function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function clock(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  return span > 2 * 86_400_000
    ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
    : iso.slice(11, span < 600_000 ? 19 : 16);
}

function overrideProps(panel: dashboard.Panel, name: string): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const o of panel.fieldConfig?.overrides ?? []) {
    const hit =
      (o.matcher.id === "byName" && o.matcher.options === name) ||
      (o.matcher.id === "byRegexp" &&
        new RegExp(String(o.matcher.options).replace(/^\/|\/$/g, "")).test(name));
    if (hit) for (const p of o.properties) props[p.id] = p.value;
  }
  return props;
}

function svgTimeSeries(
  panel: dashboard.Panel,
  lines: Line[],
  data: PanelData,
  width: number,
  height: number,
): string {
  const custom = (panel.fieldConfig?.defaults.custom ?? {}) as Record<string, unknown>;
  const unit = panel.fieldConfig?.defaults.unit;
  const numeric = lines
    .map((l) => ({
      ...l,
      points: l.points.filter((p): p is [number, number] => typeof p[1] === "number"),
    }))
    .filter((l) => l.points.length > 0);
  const steps = panel.fieldConfig?.defaults.thresholds?.steps ?? [];
  const thresholdMode = String(
    (custom.thresholdsStyle as { mode?: string } | undefined)?.mode ?? "off",
  );
  const limits = thresholdMode === "off" ? [] : steps.slice(1).filter((s) => s.value !== null);
  const times = numeric.flatMap((l) => l.points.map((p) => p[0]));
  const values = numeric.flatMap((l) => l.points.map((p) => p[1]));
  // The x axis spans the data (a reviewer looks at what is there), the y axis data and limits.
  const x0 = Math.min(...times, data.range.to);
  const x1 = times.length > 0 ? Math.max(...times) : data.range.to;
  const ys = [...values, ...limits.map((s) => s.value as number)];
  if (panel.fieldConfig?.defaults.min !== undefined) ys.push(panel.fieldConfig.defaults.min);
  if (
    panel.fieldConfig?.defaults.max !== undefined &&
    values.some((v) => v > (panel.fieldConfig?.defaults.max ?? 0) * 0.5)
  )
    ys.push(panel.fieldConfig.defaults.max);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y0 === y1) {
    y0 -= 1;
    y1 += 1;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const left = 64;
  const right = 12;
  const top = 8;
  const bottom = 22;
  const px = (t: number) => left + ((t - x0) / Math.max(1, x1 - x0)) * (width - left - right);
  const py = (v: number) => top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom);
  const parts: string[] = [];
  for (const tick of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${py(tick)}" y2="${py(tick)}" class="grid"/>`,
      `<text x="${left - 6}" y="${py(tick) + 4}" class="tick" text-anchor="end">${escapeHtml(formatValue(tick, unit))}</text>`,
    );
  }
  const span = x1 - x0;
  for (let i = 0; i <= 4; i++) {
    const t = x0 + (span * i) / 4;
    parts.push(
      `<text x="${px(t)}" y="${height - 6}" class="tick" text-anchor="middle">${clock(t, span)}</text>`,
    );
  }
  if (thresholdMode.includes("area")) {
    steps.forEach((step, i) => {
      const from = i === 0 ? y0 : Math.max(y0, step.value as number);
      const to = Math.min(y1, (steps[i + 1]?.value as number | undefined) ?? y1);
      if (to > from && step.color !== "transparent")
        parts.push(
          `<rect x="${left}" width="${width - left - right}" y="${py(to)}" height="${py(from) - py(to)}" fill="${color(step.color)}" opacity="0.12"/>`,
        );
    });
  }
  for (const s of limits) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${py(s.value as number)}" y2="${py(s.value as number)}" stroke="${color(s.color)}" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    );
  }
  const step = custom.lineInterpolation === "stepAfter";
  numeric.forEach((line, i) => {
    const props = overrideProps(panel, line.name);
    const fixed = (props.color as { fixedColor?: string } | undefined)?.fixedColor;
    const stroke = color(fixed, PALETTE[i % PALETTE.length]);
    const dashed = props["custom.lineStyle"] !== undefined;
    const showPoints = (props["custom.showPoints"] ?? custom.showPoints) === "always";
    const pts = [...line.points].sort((a, b) => a[0] - b[0]);
    const path = pts
      .map(([t, v], k) => {
        const prev = pts[k - 1];
        if (k === 0) return `M${px(t)},${py(v)}`;
        return step && prev ? `H${px(t)}V${py(v)}` : `L${px(t)},${py(v)}`;
      })
      .join("");
    if (custom.drawStyle === "bars") {
      const w = Math.max(2, ((width - left - right) / Math.max(1, pts.length)) * 0.6);
      for (const [t, v] of pts)
        parts.push(
          `<rect x="${px(t) - w / 2}" y="${Math.min(py(v), py(0))}" width="${w}" height="${Math.abs(py(0) - py(v))}" fill="${stroke}" opacity="0.8"/>`,
        );
    } else {
      parts.push(
        `<path d="${path}" fill="none" stroke="${stroke}" stroke-width="1.5"${dashed ? ' stroke-dasharray="8 6"' : ""}><title>${escapeHtml(line.name)}</title></path>`,
      );
    }
    if (showPoints && pts.length <= 400)
      for (const [t, v] of pts)
        parts.push(`<circle cx="${px(t)}" cy="${py(v)}" r="2.2" fill="${stroke}"/>`);
  });
  const markers = data.markers.filter((m) => m.time >= x0 && m.time <= x1);
  // Many markers as full-height lines hide the chart: then only their ticks on the time axis.
  const fullHeight = markers.length <= 30;
  for (const m of markers) {
    if (fullHeight)
      parts.push(
        `<line x1="${px(m.time)}" x2="${px(m.time)}" y1="${top}" y2="${height - bottom}" stroke="${color(m.color)}" stroke-dasharray="2 3" class="marker"><title>${escapeHtml(m.text)}</title></line>`,
      );
    parts.push(
      `<polygon points="${px(m.time) - 4},${height - bottom + 6} ${px(m.time) + 4},${height - bottom + 6} ${px(m.time)},${height - bottom}" fill="${color(m.color)}" class="marker"><title>${escapeHtml(m.text)}</title></polygon>`,
    );
  }
  const legend = numeric
    .map((line, i) => {
      const fixed = (overrideProps(panel, line.name).color as { fixedColor?: string } | undefined)
        ?.fixedColor;
      return `<span class="key"><i style="background:${color(fixed, PALETTE[i % PALETTE.length])}"></i>${escapeHtml(line.name)}</span>`;
    })
    .join("");
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${parts.join("")}</svg><div class="legend">${legend}</div>`;
}

function statHtml(panel: dashboard.Panel, lines: Line[]): string {
  const unit = panel.fieldConfig?.defaults.unit;
  const decimals = panel.fieldConfig?.defaults.decimals;
  const steps = panel.fieldConfig?.defaults.thresholds?.steps ?? [];
  const items = lines
    .map((line) => {
      const last = [...line.points].reverse().find((p) => p[1] !== null && p[1] !== undefined)?.[1];
      if (last === undefined) return "";
      const c =
        typeof last === "number" && steps.length > 0 ? thresholdColor(steps, last) : "#d8d9da";
      return `<div class="stat"><div class="value" style="color:${c}">${escapeHtml(formatValue(last, unit, decimals))}</div><div class="name">${escapeHtml(line.name)}</div></div>`;
    })
    .join("");
  return `<div class="stats">${items}</div>`;
}

function excluded(panel: dashboard.Panel): Set<string> {
  const out = new Set<string>();
  for (const t of panel.transformations ?? []) {
    if (t.id === "organize")
      for (const [k, v] of Object.entries(t.options?.excludeByName ?? {})) if (v) out.add(k);
  }
  return out;
}

function tableHtml(panel: dashboard.Panel, table: Table): string {
  const hidden = excluded(panel);
  const shown = table.columns.map((c, i) => [c, i] as const).filter(([c]) => !hidden.has(c));
  const head = shown.map(([c]) => `<th>${escapeHtml(c === "time" ? "Time" : c)}</th>`).join("");
  const body = table.rows
    .slice(0, 200)
    .map(
      (row) =>
        `<tr>${shown
          .map(([c, i]) => {
            const v = row[i];
            if (c === "time")
              return `<td>${escapeHtml(new Date(Number(v)).toISOString().replace("T", " ").slice(0, 19))}</td>`;
            const mapped = mappedText(panel, c, v);
            const style = mapped.color ? ` style="color:${mapped.color}"` : "";
            return `<td${style}>${escapeHtml(typeof v === "number" ? formatValue(v) : mapped.text)}</td>`;
          })
          .join("")}</tr>`,
    )
    .join("");
  return `<div class="rows"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function barChartSvg(panel: dashboard.Panel, table: Table, width: number, height: number): string {
  const xField = String((panel.options as { xField?: string }).xField ?? table.columns[0]);
  const hidden = excluded(panel);
  const xi = table.columns.indexOf(xField);
  const fields = table.columns
    .map((c, i) => [c, i] as const)
    .filter(
      ([c, i]) =>
        i !== xi &&
        !hidden.has(c) &&
        c !== "time" &&
        table.rows.some((r) => typeof r[i] === "number"),
    );
  const rowsSorted = [...table.rows];
  const steps = panel.fieldConfig?.defaults.thresholds?.steps ?? [];
  const byThresholds =
    (panel.fieldConfig?.defaults.color as { mode?: string } | undefined)?.mode === "thresholds";
  const max = Math.max(0, ...rowsSorted.flatMap((r) => fields.map(([, i]) => Number(r[i] ?? 0))));
  const left = 44;
  const bottom = 40;
  const top = 8;
  const groupWidth = (width - left - 8) / Math.max(1, rowsSorted.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, fields.length);
  const py = (v: number) => top + (1 - v / (max || 1)) * (height - top - bottom);
  const parts: string[] = [];
  for (const tick of niceTicks(0, max || 1, 4)) {
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${py(tick)}" y2="${py(tick)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${left - 4}" y="${py(tick) + 4}" class="tick" text-anchor="end">${tick}</text>`,
    );
  }
  rowsSorted.forEach((row, g) => {
    fields.forEach(([name, i], k) => {
      const v = Number(row[i] ?? 0);
      const fill =
        byThresholds && steps.length > 0 ? thresholdColor(steps, v) : PALETTE[k % PALETTE.length];
      const x = left + g * groupWidth + groupWidth * 0.1 + k * barWidth;
      parts.push(
        `<rect x="${x}" y="${py(v)}" width="${barWidth}" height="${py(0) - py(v)}" fill="${fill}" opacity="${k === 0 ? 0.9 : 0.55}"><title>${escapeHtml(`${row[xi]} ${name}: ${formatValue(v)}`)}</title></rect>`,
      );
    });
    const cx = left + g * groupWidth + groupWidth / 2;
    parts.push(
      `<text x="${cx}" y="${height - bottom + 12}" class="tick" text-anchor="end" transform="rotate(-45 ${cx} ${height - bottom + 12})">${escapeHtml(row[xi])}</text>`,
    );
  });
  const legend = fields
    .map(
      ([name], k) =>
        `<span class="key"><i style="background:${PALETTE[k % PALETTE.length]}"></i>${escapeHtml(name)}</span>`,
    )
    .join("");
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${parts.join("")}</svg><div class="legend">${legend}</div>`;
}

function stateTimelineSvg(
  panel: dashboard.Panel,
  lines: Line[],
  data: PanelData,
  width: number,
): string {
  const include = (panel.transformations ?? []).find((t) => t.id === "filterFieldsByName")?.options
    ?.include?.pattern;
  const shown = include ? lines.filter((l) => new RegExp(include).test(l.name)) : lines;
  const rowHeight = 26;
  const left = 150;
  const height = shown.length * rowHeight + 28;
  const times = shown.flatMap((l) => l.points.map((p) => p[0]));
  const x0 = Math.min(...times);
  const x1 = Math.max(...times);
  const px = (t: number) => left + ((t - x0) / Math.max(1, x1 - x0)) * (width - left - 12);
  const parts: string[] = [];
  [...shown]
    .sort((a, b) => (a.points[0]?.[0] ?? 0) - (b.points[0]?.[0] ?? 0))
    .forEach((line, r) => {
      const y = 4 + r * rowHeight;
      parts.push(
        `<text x="${left - 8}" y="${y + 16}" class="tick" text-anchor="end">${escapeHtml(line.name)}</text>`,
      );
      const pts = [...line.points].sort((a, b) => a[0] - b[0]);
      pts.forEach(([t, v], k) => {
        const end = pts[k + 1]?.[0] ?? t;
        const mapped = mappedText(panel, "", v);
        if (end <= t || mapped.color === "transparent") return;
        parts.push(
          `<rect x="${px(t)}" y="${y}" width="${Math.max(1, px(end) - px(t))}" height="${rowHeight - 6}" fill="${mapped.color ?? PALETTE[0]}" rx="2"><title>${escapeHtml(`${line.name}: ${mapped.text}`)}</title></rect>`,
        );
      });
    });
  const span = x1 - x0;
  for (let i = 0; i <= 4; i++) {
    const t = x0 + (span * i) / 4;
    parts.push(
      `<text x="${px(t)}" y="${height - 6}" class="tick" text-anchor="middle">${clock(t, span)}</text>`,
    );
  }
  void data;
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${parts.join("")}</svg>`;
}

function markdownHtml(text: string): string {
  return text
    .split(/\n\n+/)
    .map((para) => {
      const html = escapeHtml(para)
        .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>')
        .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
        .replace(/`([^`]+)`/g, "<code>$1</code>");
      return `<p>${html}</p>`;
    })
    .join("");
}

/** One panel as an HTML block sized by its grid width. */
export function renderPanel(panel: dashboard.Panel, data: PanelData): string {
  const w = panel.gridPos?.w ?? 12;
  const h = panel.gridPos?.h ?? 8;
  const width = w * 50;
  const height = Math.max(120, h * 28);
  const style = `grid-column: span ${w}`;
  const title = `<h3>${escapeHtml(data.title)}</h3>`;
  if (panel.type === "row")
    return `<h2 class="row" style="grid-column: span 24">${escapeHtml(data.title)}</h2>`;
  if (panel.type === "text") {
    const content = String((panel.options as { content?: string }).content ?? "");
    return `<section class="panel" style="${style}">${title}${markdownHtml(content)}</section>`;
  }
  const errors = data.answers.filter((a): a is { error: string } => "error" in a);
  if (errors.length > 0) {
    return `<section class="panel failed" style="${style}">${title}<p class="error">Query failed: ${escapeHtml(errors.map((e) => e.error).join("; "))}</p></section>`;
  }
  const targets = (panel.targets ?? []) as unknown as Array<{ alias?: string }>;
  const results = data.answers.map((a) => (a as { result: QueryResult }).result);
  const lines = results.flatMap((r, i) => toLines(r, targets[i]?.alias));
  const table = results
    .map(toTable)
    .reduce<Table>((all, t) => ({ columns: t.columns, rows: [...all.rows, ...t.rows] }), {
      columns: [],
      rows: [],
    });
  if (table.rows.length === 0)
    return `<section class="panel empty" style="${style}">${title}<p class="nodata">No data</p></section>`;
  let body: string;
  switch (panel.type) {
    case "timeseries":
      body = svgTimeSeries(panel, lines, data, width, height);
      break;
    case "stat":
      body = statHtml(panel, lines);
      break;
    case "barchart":
      body = barChartSvg(panel, table, width, height);
      break;
    case "state-timeline":
      body = stateTimelineSvg(panel, lines, data, width);
      break;
    default:
      body = tableHtml(panel, table);
  }
  const described = panel.description ? ` title="${escapeHtml(panel.description)}"` : "";
  return `<section class="panel ${escapeHtml(panel.type)}" style="${style}"${described}>${title}${body}</section>`;
}

const CSS = `
:root { color-scheme: dark; }
body { background: #111217; color: #d8d9da; font: 13px/1.4 Inter, Helvetica, Arial, sans-serif; margin: 16px; }
h1 { font-size: 20px; font-weight: 500; margin: 8px 0 2px; }
.sub { color: #8e8e8e; margin-bottom: 10px; }
.grid { stroke: #2c3235; stroke-width: 1; }
.board { display: grid; grid-template-columns: repeat(24, 1fr); gap: 8px; margin-bottom: 28px; }
.panel { background: #181b1f; border: 1px solid #2c3235; border-radius: 3px; padding: 6px 8px; min-width: 0; overflow: hidden; }
.panel h3 { font-size: 13px; font-weight: 500; margin: 0 0 4px; }
h2.row { font-size: 15px; font-weight: 500; margin: 10px 0 0; border-bottom: 1px solid #2c3235; }
svg.chart { width: 100%; height: auto; display: block; }
.tick { fill: #8e8e8e; font-size: 10px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 11px; color: #ccccdc; }
.key i { display: inline-block; width: 12px; height: 3px; margin: 0 4px 3px 0; vertical-align: middle; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; }
.stat .value { font-size: 26px; font-weight: 500; }
.stat .name { color: #8e8e8e; font-size: 11px; }
.rows { max-height: 320px; overflow: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid #2c3235; white-space: nowrap; }
th { color: #6e9fff; font-weight: 500; }
.nodata, .error { color: #8e8e8e; }
.error { color: #f2495c; }
a { color: #6e9fff; }
code { color: #ccccdc; }
`;

/** A dashboard as a section of the page. */
export function renderBoard(title: string, subtitle: string, panels: string[]): string {
  return `<h1>${escapeHtml(title)}</h1><div class="sub">${escapeHtml(subtitle)}</div><div class="board">${panels.join("")}</div>`;
}

/** The whole page. */
export function renderPage(title: string, boards: string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>${boards.join("")}</body></html>\n`;
}
