import { createHash } from "node:crypto";
import { isoTime, recordJson } from "./record.ts";
import type { Sample, SerialRecord, TestRecord, VisitRecord } from "./types.ts";

/** What the device history report draws against; one doc line per field. */
export interface ReportOptions {
  /** Solder liquidus, °C; default 217 (SAC305). */
  liquidusC: number;
  /** Peak temperature window, °C; default [240, 250]. */
  peakC: readonly [number, number];
  /** Time above liquidus window, s; default [45, 90]. */
  timeAboveLiquidusS: readonly [number, number];
  /** Soak band, °C; default [150, 200]. */
  soakBandC: readonly [number, number];
  /** Time in the soak band window, s; default [60, 120]. */
  soakS: readonly [number, number];
  /** Steepest allowed ramp, °C/s (over at least 10 s); default 3. */
  maxRampCPerS: number;
  /** Measurement of the profiler riding on a board; default "profile". */
  profileMeasurement: string;
  /** Measurement of the oven's own zone readings, drawn when the board had no profiler; default "reflow". */
  reflowMeasurement: string;
  /** SPI paste volume limits, % of nominal: fail below/above, warn below/above; default 40 / 55 / 150 / 170. */
  spiVolumePct: { failLow: number; warnLow: number; warnHigh: number; failHigh: number };
  /** The time the report says it was made, epoch ms; default Date.now. */
  now: () => number;
}

export const DEFAULT_REPORT_OPTIONS: Readonly<ReportOptions> = Object.freeze({
  liquidusC: 217,
  peakC: [240, 250] as const,
  timeAboveLiquidusS: [45, 90] as const,
  soakBandC: [150, 200] as const,
  soakS: [60, 120] as const,
  maxRampCPerS: 3,
  profileMeasurement: "profile",
  reflowMeasurement: "reflow",
  spiVolumePct: { failLow: 40, warnLow: 55, warnHigh: 150, failHigh: 170 },
  now: () => Date.now(),
});

/** Profile figures of one thermocouple. */
export interface ProfileKpis {
  field: string;
  peakC: number;
  timeAboveLiquidusS: number;
  soakS: number;
  maxRampCPerS: number;
}

const RAMP_WINDOW_MS = 10_000;

/** Peak, time above liquidus, time in the soak band and steepest ramp of one thermocouple's readings. */
export function profileKpis(
  samples: readonly { ts: number; value: number }[],
  field: string,
  o: ReportOptions,
): ProfileKpis {
  let peak = Number.NEGATIVE_INFINITY;
  let above = 0;
  let soak = 0;
  let ramp = 0;
  let back = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as { ts: number; value: number };
    peak = Math.max(peak, s.value);
    const next = samples[i + 1];
    if (next) {
      const dt = next.ts - s.ts;
      if (s.value >= o.liquidusC) above += dt;
      if (s.value >= o.soakBandC[0] && s.value <= o.soakBandC[1]) soak += dt;
    }
    while (back < i && s.ts - (samples[back + 1] as { ts: number }).ts >= RAMP_WINDOW_MS) back++;
    const from = samples[back] as { ts: number; value: number };
    if (s.ts - from.ts >= RAMP_WINDOW_MS)
      ramp = Math.max(ramp, ((s.value - from.value) * 1000) / (s.ts - from.ts));
  }
  return {
    field,
    peakC: peak,
    timeAboveLiquidusS: above / 1000,
    soakS: soak / 1000,
    maxRampCPerS: ramp,
  };
}

/**
 * A device history record of one serial: a self-contained, printable HTML page (no script, no
 * external resource) with hand-drawn SVG plots — the reflow profile against its windows, SPI paste
 * volume per pad group, test measurements against their limits, the visit timeline — and the
 * tables an ISO 13485 audit asks for (materials, tests and firmware, events, containers, gaps).
 */
export function deviceHistoryReport(
  record: SerialRecord,
  options: Partial<ReportOptions> = {},
): string {
  const o: ReportOptions = { ...DEFAULT_REPORT_OPTIONS, ...options };
  const digest = createHash("sha256")
    .update(JSON.stringify(recordJson(record)))
    .digest("hex");
  const c = record.completeness;
  const sections = [
    section("Process levels (IPC-1782)", levelsTable(record)),
    section("Visit timeline", timelineSvg(record)),
    section("Reflow profile", reflowSection(record, o)),
    section("Solder paste volume per pad group (SPI)", spiSection(record, o)),
    section("Test measurements against their limits", testsSection(record)),
    section("Materials (IPC-1782 M3)", materialsTable(record)),
    section("Station events during the visits (P1)", eventsTable(record)),
    section("Containers", containersTable(record)),
    section("Gaps", gapsTable(record)),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Device history record ${esc(record.serial)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Device history record</h1>
<table class="facts">
<tr><th>Serial</th><td class="mono">${esc(record.serial)}</td><th>Product</th><td>${esc(record.product ?? "—")}</td></tr>
<tr><th>First seen</th><td>${time(firstSeen(record))}</td><th>Last seen</th><td>${time(lastSeen(record))}</td></tr>
<tr><th>Process level</th><td>P${c.processLevel}</td><th>Material level</th><td>M${c.materialLevel}</td></tr>
<tr><th>Record SHA-256</th><td class="mono small" colspan="3">${digest}</td></tr>
<tr><th>Printed</th><td colspan="3">${time(o.now())}</td></tr>
</table>
</header>
${sections.join("\n")}
<footer>tracebox · the record's JSON export has the SHA-256 above · times are UTC</footer>
</body>
</html>
`;
}

const STYLE = `
body{font:12px/1.4 "DejaVu Sans",Arial,sans-serif;color:#111;margin:16px 24px;max-width:1040px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #999}
table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eee}.mono{font-family:"DejaVu Sans Mono",monospace}.small{font-size:10px}
.facts th{width:110px}.pass{color:#176a2c}.fail{color:#b3141b;font-weight:bold}.warn{color:#9a6500}
.note{color:#555;font-style:italic}svg{display:block;margin:4px 0}svg text{font:10px "DejaVu Sans",Arial,sans-serif;fill:#222}
section{page-break-inside:avoid}footer{margin-top:20px;color:#666;font-size:10px}
@media print{body{margin:0}h2{page-break-after:avoid}}`;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function time(ts: number | null | undefined): string {
  return ts === null || ts === undefined || !Number.isFinite(ts)
    ? "—"
    : esc(isoTime(ts).replace("T", " ").replace("Z", " UTC"));
}

function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return String(Number(value.toPrecision(digits)));
}

function section(title: string, body: string): string {
  return `<section><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function firstSeen(record: SerialRecord): number | null {
  const times = record.visits
    .map((v) => v.start ?? v.complete)
    .filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}

function lastSeen(record: SerialRecord): number | null {
  const times = record.visits
    .map((v) => v.complete ?? v.start)
    .filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.max(...times);
}

function resultClass(result: string | null): string {
  return result === "pass"
    ? "pass"
    : result === "fail" || result === "scrap"
      ? "fail"
      : result === "warning"
        ? "warn"
        : "";
}

function levelsTable(record: SerialRecord): string {
  const l = record.completeness.levels;
  const cell = (name: keyof typeof l) =>
    `<td class="${l[name] ? "pass" : "fail"}">${name} ${l[name] ? "supported" : "not supported"}</td>`;
  return `<table><tr>${(["P1", "P2", "P3", "P4"] as const).map(cell).join("")}</tr><tr>${(["M1", "M2", "M3", "M4"] as const).map(cell).join("")}</tr></table>`;
}

// ---- SVG ----------------------------------------------------------------------------------------

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const FRAME: Frame = { width: 1000, height: 300, left: 56, right: 16, top: 14, bottom: 34 };

function scale(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` round tick values across a domain. */
export function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function svgOpen(f: Frame, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(label)}">`;
}

function axes(
  f: Frame,
  x: (v: number) => number,
  y: (v: number) => number,
  xTicks: number[],
  yTicks: number[],
  xLabel: (v: number) => string,
  yTitle: string,
): string {
  const parts: string[] = [];
  const x0 = f.left;
  const x1 = f.width - f.right;
  const y0 = f.height - f.bottom;
  const y1 = f.top;
  for (const t of yTicks) {
    const py = y(t).toFixed(1);
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${x0 - 4}" y="${py}" text-anchor="end" dominant-baseline="middle">${esc(num(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    const px = x(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 4}" stroke="#555"/>`);
    parts.push(`<text x="${px}" y="${y0 + 15}" text-anchor="middle">${esc(xLabel(t))}</text>`);
  }
  parts.push(
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#555"/>`,
  );
  parts.push(
    `<text x="12" y="${(y0 + y1) / 2}" transform="rotate(-90 12 ${(y0 + y1) / 2})" text-anchor="middle">${esc(yTitle)}</text>`,
  );
  return parts.join("");
}

const COLORS = [
  "#1f5fa8",
  "#c2410c",
  "#15803d",
  "#7c3aed",
  "#b91c1c",
  "#0e7490",
  "#a16207",
  "#be185d",
];

function path(points: readonly [number, number][]): string {
  return points
    .map(([px, py], i) => `${i === 0 ? "M" : "L"}${px.toFixed(1)},${py.toFixed(1)}`)
    .join("");
}

// ---- timeline -----------------------------------------------------------------------------------

function timelineSvg(record: SerialRecord): string {
  const visits = record.visits.filter((v) => v.start !== null || v.complete !== null);
  if (visits.length === 0) return `<p class="note">No visit recorded.</p>`;
  const stations = [...new Set(visits.map((v) => `${v.line} / ${v.station}`))];
  const from = Math.min(...visits.map((v) => (v.start ?? v.complete) as number));
  const to = Math.max(...visits.map((v) => (v.complete ?? v.start) as number));
  const row = 22;
  const f: Frame = {
    ...FRAME,
    left: 130,
    height: FRAME.top + FRAME.bottom + stations.length * row,
  };
  const x = scale([0, Math.max(1, (to - from) / 1000)], [f.left, f.width - f.right]);
  const y = (i: number) => f.top + i * row;
  const parts = [svgOpen(f, "visit timeline")];
  const seconds = ticks(0, (to - from) / 1000);
  parts.push(
    axes(
      f,
      x,
      () => 0,
      seconds,
      [],
      (s) => `${num(s)} s`,
      "",
    ),
  );
  stations.forEach((name, i) => {
    parts.push(
      `<text x="${f.left - 6}" y="${y(i) + row / 2}" text-anchor="end" dominant-baseline="middle">${esc(name)}</text>`,
    );
  });
  for (const v of visits) {
    const i = stations.indexOf(`${v.line} / ${v.station}`);
    const s = ((v.start ?? v.complete) as number) - from;
    const e = ((v.complete ?? v.start) as number) - from;
    const fill =
      v.result === "pass"
        ? "#4c9a5f"
        : v.result === "fail" || v.result === "scrap"
          ? "#c0392b"
          : "#9aa5b1";
    const w = Math.max(2, x(e / 1000) - x(s / 1000));
    parts.push(
      `<rect class="visit" x="${x(s / 1000).toFixed(1)}" y="${y(i) + 4}" width="${w.toFixed(1)}" height="${row - 8}" fill="${fill}"><title>${esc(`${v.station}: ${time(v.start)} – ${time(v.complete)} ${v.result ?? v.status}`)}</title></rect>`,
    );
  }
  parts.push("</svg>");
  const rows = record.visits
    .map(
      (v) =>
        `<tr><td>${v.visit}</td><td>${esc(v.site)}</td><td>${esc(v.line)}</td><td>${esc(v.station)}</td><td>${time(v.start)}</td><td>${time(v.complete)}</td><td class="${resultClass(v.result)}">${esc(v.result ?? v.status)}</td><td>${
          Object.entries(v.signals)
            .map(([m, l]) => `${esc(m)} ${l.length}`)
            .join(", ") || "—"
        }</td></tr>`,
    )
    .join("");
  return `${parts.join("")}<p class="note">Seconds from ${time(from)}.</p>
<table><tr><th>#</th><th>Site</th><th>Line</th><th>Station</th><th>Start</th><th>Complete</th><th>Result</th><th>Samples</th></tr>${rows}</table>`;
}

// ---- reflow -------------------------------------------------------------------------------------

function seriesOf(samples: readonly Sample[], field: string): { ts: number; value: number }[] {
  return samples
    .filter((s) => typeof s.values[field] === "number")
    .map((s) => ({ ts: s.ts, value: s.values[field] as number }));
}

function reflowSection(record: SerialRecord, o: ReportOptions): string {
  const visit =
    record.visits.find((v) => (v.signals[o.profileMeasurement]?.length ?? 0) > 0) ??
    record.visits.find((v) => (v.signals[o.reflowMeasurement]?.length ?? 0) > 0);
  if (!visit) return `<p class="note">No reflow readings during this unit's visits.</p>`;
  const profile = visit.signals[o.profileMeasurement] ?? [];
  if (profile.length > 0) {
    const fields = [...new Set(profile.flatMap((s) => Object.keys(s.values)))].sort();
    const series = fields.map((field) => ({ field, points: seriesOf(profile, field) }));
    const kpis = series.map((s) => profileKpis(s.points, s.field, o));
    const check = (value: number, [lo, hi]: readonly [number, number]) =>
      value >= lo && value <= hi ? "pass" : "fail";
    const rows = kpis
      .map(
        (k) =>
          `<tr><td>${esc(k.field)}</td><td class="${check(k.peakC, o.peakC)}">${num(k.peakC)}</td><td class="${check(k.timeAboveLiquidusS, o.timeAboveLiquidusS)}">${num(k.timeAboveLiquidusS)}</td><td class="${check(k.soakS, o.soakS)}">${num(k.soakS)}</td><td class="${k.maxRampCPerS <= o.maxRampCPerS ? "pass" : "fail"}">${num(k.maxRampCPerS, 3)}</td></tr>`,
      )
      .join("");
    return `${temperatureSvg(visit, series, o, true)}
<table><tr><th>Thermocouple</th><th>Peak °C (${o.peakC[0]}–${o.peakC[1]})</th><th>Above ${o.liquidusC} °C, s (${o.timeAboveLiquidusS[0]}–${o.timeAboveLiquidusS[1]})</th><th>Soak ${o.soakBandC[0]}–${o.soakBandC[1]} °C, s (${o.soakS[0]}–${o.soakS[1]})</th><th>Max ramp °C/s (≤ ${o.maxRampCPerS})</th></tr>${rows}</table>`;
  }
  const readings = visit.signals[o.reflowMeasurement] ?? [];
  const fields = [...new Set(readings.flatMap((s) => Object.keys(s.values)))]
    .filter((f) => /_c$/.test(f))
    .sort();
  const series = fields.map((field) => ({ field, points: seriesOf(readings, field) }));
  return `<p class="note">No profiler rode on this board: the oven's zone readings during its visit, with the board's profile windows for reference.</p>${temperatureSvg(visit, series, o, false)}`;
}

function temperatureSvg(
  visit: VisitRecord,
  series: { field: string; points: { ts: number; value: number }[] }[],
  o: ReportOptions,
  board: boolean,
): string {
  const perRow = 8;
  const legendRows = Math.max(1, Math.ceil(series.length / perRow));
  const f: Frame = {
    ...FRAME,
    bottom: FRAME.bottom + 13 * (legendRows - 1),
    height: FRAME.height + 13 * (legendRows - 1),
  };
  const start = visit.start ?? Math.min(...series.flatMap((s) => s.points.map((p) => p.ts)));
  const end = visit.complete ?? Math.max(...series.flatMap((s) => s.points.map((p) => p.ts)));
  const values = series.flatMap((s) => s.points.map((p) => p.value));
  const hi = Math.max(o.peakC[1] + 10, ...values);
  // A board starts at room temperature; the oven's zones never leave their band: spread them out.
  const lo = board
    ? Math.min(0, ...values)
    : Math.floor((Math.min(o.soakBandC[0], ...values) - 10) / 10) * 10;
  const x = scale([0, (end - start) / 1000], [f.left, f.width - f.right]);
  const y = scale([lo, hi], [f.height - f.bottom, f.top]);
  const parts = [svgOpen(f, board ? "reflow profile" : "oven zone temperatures")];
  const band = (from: number, to: number, fill: string, title: string) =>
    `<rect class="spec" x="${f.left}" y="${y(to).toFixed(1)}" width="${f.width - f.right - f.left}" height="${(y(from) - y(to)).toFixed(1)}" fill="${fill}"><title>${esc(title)}</title></rect>`;
  parts.push(band(o.soakBandC[0], o.soakBandC[1], "#e8f1fb", "soak band"));
  parts.push(band(o.peakC[0], o.peakC[1], "#fdecea", "peak window"));
  parts.push(
    axes(f, x, y, ticks(0, (end - start) / 1000), ticks(lo, hi), (s) => `${num(s)} s`, "°C"),
  );
  parts.push(
    `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(o.liquidusC).toFixed(1)}" y2="${y(o.liquidusC).toFixed(1)}" stroke="#b91c1c" stroke-dasharray="5 3"/>`,
  );
  parts.push(
    `<text x="${f.width - f.right - 4}" y="${(y(o.liquidusC) - 4).toFixed(1)}" text-anchor="end">liquidus ${o.liquidusC} °C</text>`,
  );
  parts.push(
    `<text x="${f.left + 4}" y="${(y(o.peakC[1]) - 3).toFixed(1)}">peak window ${o.peakC[0]}–${o.peakC[1]} °C</text>`,
  );
  parts.push(
    `<text x="${f.left + 4}" y="${(y(o.soakBandC[1]) + 11).toFixed(1)}">soak ${o.soakBandC[0]}–${o.soakBandC[1]} °C</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    parts.push(
      `<path class="series" d="${path(s.points.map((p) => [x((p.ts - start) / 1000), y(p.value)]))}" fill="none" stroke="${color}" stroke-width="1.4"/>`,
    );
  });
  for (let row = 0; row < legendRows; row++) {
    const legend = series
      .slice(row * perRow, (row + 1) * perRow)
      .map(
        (s, i) =>
          `<tspan fill="${COLORS[(row * perRow + i) % COLORS.length]}">■ ${esc(s.field)}</tspan>`,
      )
      .join("  ");
    parts.push(
      `<text x="${f.left + 4}" y="${f.height - 3 - 13 * (legendRows - 1 - row)}">${legend}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

// ---- SPI ----------------------------------------------------------------------------------------

function spiSection(record: SerialRecord, o: ReportOptions): string {
  const board = record.spi.at(-1);
  if (!board || board.pads.length === 0)
    return `<p class="note">No solder paste inspection of this unit.</p>`;
  const groups = new Map<string, number[]>();
  for (const pad of board.pads) {
    if (pad.volume_pct === null) continue;
    const group = pad.ref.split(".")[0] ?? pad.ref;
    const list = groups.get(group) ?? [];
    list.push(pad.volume_pct);
    groups.set(group, list);
  }
  const names = [...groups.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const l = o.spiVolumePct;
  const all = [...groups.values()].flat();
  const lo = Math.min(l.failLow - 10, ...all);
  const hi = Math.max(l.failHigh + 10, ...all);
  const f = FRAME;
  const slot = (f.width - f.left - f.right) / Math.max(1, names.length);
  const x = (i: number) => f.left + slot * (i + 0.5);
  const y = scale([lo, hi], [f.height - f.bottom, f.top]);
  const parts = [svgOpen(f, "SPI volume per pad group")];
  parts.push(
    `<rect class="spec" x="${f.left}" y="${y(l.warnHigh).toFixed(1)}" width="${f.width - f.left - f.right}" height="${(y(l.warnLow) - y(l.warnHigh)).toFixed(1)}" fill="#eaf5ec"/>`,
  );
  parts.push(
    axes(
      f,
      (v) => v,
      y,
      [],
      ticks(lo, hi),
      () => "",
      "volume %",
    ),
  );
  for (const [limit, color] of [
    [l.failLow, "#b91c1c"],
    [l.failHigh, "#b91c1c"],
    [l.warnLow, "#a16207"],
    [l.warnHigh, "#a16207"],
  ] as const) {
    parts.push(
      `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="${color}" stroke-dasharray="4 3"/>`,
    );
  }
  names.forEach((name, i) => {
    const values = groups.get(name) ?? [];
    values.forEach((v, j) => {
      const jitter =
        values.length > 1 ? (j / (values.length - 1) - 0.5) * Math.min(slot * 0.6, 18) : 0;
      const color =
        v < l.failLow || v > l.failHigh
          ? "#b91c1c"
          : v < l.warnLow || v > l.warnHigh
            ? "#a16207"
            : "#1f5fa8";
      parts.push(
        `<circle class="pad" cx="${(x(i) + jitter).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.2" fill="${color}"/>`,
      );
    });
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    parts.push(
      `<line x1="${(x(i) - slot * 0.35).toFixed(1)}" x2="${(x(i) + slot * 0.35).toFixed(1)}" y1="${y(mean).toFixed(1)}" y2="${y(mean).toFixed(1)}" stroke="#111" stroke-width="1.5"/>`,
    );
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${f.height - f.bottom + 14}" text-anchor="middle">${esc(name)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("")}<p>${esc(board.station)} at ${time(board.ts)}: <span class="${resultClass(board.result)}">${esc(board.result ?? "—")}</span>, ${board.pads.length} pads, volume ${num(board.volume_pct_min)}–${num(board.volume_pct_max)} % (mean ${num(board.volume_pct_mean)} %). Limits: warn ${l.warnLow}/${l.warnHigh} %, fail ${l.failLow}/${l.failHigh} %; the bar is each group's mean.</p>`;
}

// ---- tests --------------------------------------------------------------------------------------

function testsSection(record: SerialRecord): string {
  if (record.tests.length === 0) return `<p class="note">No test result for this unit.</p>`;
  const rows = record.tests
    .map(
      (t) =>
        `<tr><td>${esc(t.kind)}</td><td>${esc(t.station)}</td><td>${time(t.ts)}</td><td class="${resultClass(t.result)}">${esc(t.result ?? "—")}</td><td>${esc(t.program ?? "—")}</td><td>${esc(t.firmware?.version ?? "—")}</td><td class="mono small">${esc(t.firmware?.checksum ?? "—")}</td><td class="mono">${esc(t.firmware?.mac ?? "—")}</td><td>${t.defects.map((d) => esc(`${d.code}${d.ref && d.ref !== "-" ? ` @ ${d.ref}` : ""}${(d.count ?? 1) > 1 ? ` ×${d.count}` : ""}`)).join(", ") || "—"}</td></tr>`,
    )
    .join("");
  const table = `<table><tr><th>Kind</th><th>Station</th><th>Time</th><th>Result</th><th>Program</th><th>Firmware</th><th>Checksum</th><th>MAC</th><th>Defects</th></tr>${rows}</table>`;
  const measured = record.tests.flatMap((t) => t.measurements.map((m) => ({ test: t, m })));
  if (measured.length === 0) return table;
  return `${table}${limitsSvg(measured)}`;
}

/** Each measurement on its own row: its limits as a bar, its value as a marker (outside the bar: out of limits). */
function limitsSvg(
  measured: { test: TestRecord; m: TestRecord["measurements"][number] }[],
): string {
  const row = 18;
  const f: Frame = {
    ...FRAME,
    left: 230,
    right: 150,
    height: FRAME.top + 26 + measured.length * row,
  };
  const x = scale([-0.25, 1.25], [f.left, f.width - f.right]);
  const parts = [svgOpen(f, "test measurements against limits")];
  parts.push(
    `<text x="${x(0)}" y="${f.top}" text-anchor="middle">low</text><text x="${x(1)}" y="${f.top}" text-anchor="middle">high</text>`,
  );
  measured.forEach(({ test, m }, i) => {
    const cy = f.top + 12 + i * row + row / 2;
    parts.push(
      `<text x="${f.left - 8}" y="${cy}" text-anchor="end" dominant-baseline="middle">${esc(`${test.kind} ${m.name}`)}</text>`,
    );
    const hasLimits = m.low !== null && m.high !== null && m.high > m.low;
    if (hasLimits)
      parts.push(
        `<rect class="limit" x="${x(0).toFixed(1)}" y="${cy - 4}" width="${(x(1) - x(0)).toFixed(1)}" height="8" fill="#dbe7f5" stroke="#6b8fbf"/>`,
      );
    if (m.value !== null && hasLimits) {
      const t = (m.value - (m.low as number)) / ((m.high as number) - (m.low as number));
      const clamped = Math.min(1.25, Math.max(-0.25, t));
      const ok = m.pass ?? (t >= 0 && t <= 1);
      parts.push(
        `<circle class="measurement" cx="${x(clamped).toFixed(1)}" cy="${cy}" r="4" fill="${ok ? "#176a2c" : "#b91c1c"}"><title>${esc(`${m.value} ${m.unit ?? ""}`)}</title></circle>`,
      );
    }
    const limits = hasLimits ? `${num(m.low)} … ${num(m.high)}` : "no limits";
    parts.push(
      `<text x="${f.width - f.right + 8}" y="${cy}" dominant-baseline="middle">${esc(`${num(m.value)} ${m.unit ?? ""} (${limits})`)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

// ---- tables -------------------------------------------------------------------------------------

function materialsTable(record: SerialRecord): string {
  if (record.materials.length === 0)
    return `<p class="note">No placement recorded for this unit.</p>`;
  const rows = record.materials
    .map(
      (m) =>
        `<tr><td>${esc(m.ref)}</td><td>${esc(m.part ?? "—")}</td><td class="mono">${esc(m.lot ?? "—")}</td><td>${esc(m.supplier ?? "—")}</td><td>${esc(m.date_code ?? "—")}</td><td class="mono">${esc(m.reel ?? "—")}</td><td>${esc(m.station)}</td><td>${time(m.ts)}</td></tr>`,
    )
    .join("");
  return `<table><tr><th>Ref</th><th>Part</th><th>Lot</th><th>Supplier</th><th>Date code</th><th>Reel</th><th>Station</th><th>Placed</th></tr>${rows}</table>`;
}

function eventsTable(record: SerialRecord): string {
  const events = record.visits.flatMap((v) => v.events);
  if (events.length === 0) return `<p class="note">No station event during this unit's visits.</p>`;
  const rows = events
    .map(
      (e) =>
        `<tr><td>${time(e.ts)}</td><td>${esc(e.station)}</td><td>${esc(e.kind)}</td><td>${esc(e.code ?? "—")}</td><td>${esc(e.message ?? "")}</td></tr>`,
    )
    .join("");
  return `<table><tr><th>Time</th><th>Station</th><th>Kind</th><th>Code</th><th>Message</th></tr>${rows}</table>`;
}

function containersTable(record: SerialRecord): string {
  if (record.containers.length === 0) return `<p class="note">Not packed.</p>`;
  const rows = record.containers
    .map(
      (c) =>
        `<tr><td>${c.level}</td><td>${esc(c.kind)}</td><td class="mono">${esc(c.container)}</td><td class="mono">${esc(c.holds)}</td><td>${time(c.ts)}</td><td>${esc(c.destination ?? "—")}</td></tr>`,
    )
    .join("");
  return `<table><tr><th>Level</th><th>Kind</th><th>Container</th><th>Holds</th><th>Packed</th><th>Destination</th></tr>${rows}</table>`;
}

function gapsTable(record: SerialRecord): string {
  const gaps = record.completeness.gaps;
  if (gaps.length === 0) return `<p>None.</p>`;
  const rows = gaps
    .map(
      (g) =>
        `<tr><td>${esc(g.level)}</td><td>${esc(g.kind)}</td><td>${esc([g.line, g.station].filter(Boolean).join(" / ") || "—")}</td><td>${time(g.from)}</td><td>${time(g.to)}</td><td>${esc(g.detail)}</td></tr>`,
    )
    .join("");
  return `<table><tr><th>Level</th><th>Gap</th><th>Where</th><th>From</th><th>To</th><th>Detail</th></tr>${rows}</table>`;
}
