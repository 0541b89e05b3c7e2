// A static page of the Live SPC and Board history dashboards, drawn from the same queries the
// dashboards run (same variables, same macros), for a reviewer without a Grafana.
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { InfluxClient } from "../../influx/index.ts";
import { type DashboardOptions, DEFAULT_DASHBOARD_OPTIONS } from "../options.ts";
import { buildDashboard, REPO_ROOT } from "../provisioning.ts";
import { dashboardQueries } from "../queries.ts";
import {
  DashboardQueryError,
  DashboardRunner,
  dashboardRange,
  type Resolved,
  type TimeRange,
} from "../runner.ts";
import { readSpecLimits } from "../spec-limits.ts";
import { boardHistory } from "../views/board-history.ts";
import { liveSpc } from "../views/live-spc.ts";
import { type Answer, type Marker, renderBoard, renderPage, renderPanel } from "./render.ts";

/** What to preview, and where. */
export interface PreviewOptions {
  /** Serial of the board history; default the dashboard's first (newest) serial. */
  serial?: string;
  /** SPC characteristic; default the dashboard's first. */
  characteristic?: string;
  /** "Now" of the dashboards' relative time ranges, epoch ms. Default the current time. */
  now?: number;
  /** Time range of the Live SPC page, epoch ms; default the dashboard's (last 24 h). */
  spcRange?: TimeRange;
  /** Dashboard options (spec limits file, profile window…); default the defaults. */
  dashboards?: DashboardOptions;
}

type Influx = Pick<InfluxClient, "query">;

/** Plain values of the resolved variables, as titles and text panels show them. */
function texts(resolved: Resolved): Record<string, string> {
  return Object.fromEntries(Object.entries(resolved.values).map(([k, v]) => [k, String(v.value)]));
}

function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (m, a?: string, b?: string) => values[(a ?? b) as string] ?? m,
  );
}

async function markersOf(
  runner: DashboardRunner,
  board: dashboard.Dashboard,
  resolved: Resolved,
): Promise<Marker[]> {
  const markers: Marker[] = [];
  for (const q of dashboardQueries(board).filter((x) => x.kind === "annotation")) {
    const annotation = (board.annotations.list ?? []).find((a) => a.name === q.name);
    const [textColumn] = q.columns ?? [];
    try {
      const result = await runner.run(q.query, resolved.values);
      for (const s of result.series) {
        const at = s.columns.indexOf("time");
        const textAt = textColumn === undefined ? -1 : s.columns.indexOf(textColumn);
        for (const row of s.values) {
          markers.push({
            time: Number(row[at]),
            text: `${q.name}: ${textAt >= 0 ? String(row[textAt]) : ""}`,
            color: annotation?.iconColor ?? "red",
          });
        }
      }
    } catch {
      // An annotation that cannot be drawn leaves the charts as they are.
    }
  }
  return markers;
}

async function renderPanels(
  runner: DashboardRunner,
  board: dashboard.Dashboard,
  resolved: Resolved,
  markers: Marker[],
): Promise<string[]> {
  const out: string[] = [];
  for (const panel of (board.panels ?? []) as dashboard.Panel[]) {
    // A repeated panel is drawn once per value of its variable, as Grafana repeats it.
    const repeatValues = panel.repeat ? (resolved.options[panel.repeat] ?? []) : [undefined];
    for (const value of repeatValues) {
      const values = { ...resolved.values };
      if (panel.repeat && value !== undefined)
        values[panel.repeat] = { value, multi: false, includeAll: false };
      const plain = {
        ...texts(resolved),
        ...(panel.repeat && value !== undefined ? { [panel.repeat]: value } : {}),
      };
      const answers: Answer[] = [];
      for (const target of (panel.targets ?? []) as unknown as Array<{ query: string }>) {
        try {
          answers.push({ result: await runner.run(target.query, values) });
        } catch (error) {
          answers.push({ error: (error as Error).message });
        }
      }
      const content = (panel.options as { content?: string } | undefined)?.content;
      const shown =
        content === undefined
          ? panel
          : { ...panel, options: { ...(panel.options as object), content: fill(content, plain) } };
      out.push(
        renderPanel(shown, {
          answers,
          range: runner.range,
          markers,
          title: fill(panel.title ?? "", plain),
        }),
      );
    }
  }
  return out;
}

/** The unit's time on the line (first to last unit event), with a margin: the board history's range. */
async function unitRange(runner: DashboardRunner, resolved: Resolved): Promise<TimeRange> {
  // Two statements: a query with two selectors answers with time 0.
  const first = await runner.run(
    'SELECT first("seen") FROM "unit" WHERE "serial" =~ /^$serial$/ AND $timeFilter',
    resolved.values,
  );
  const last = await runner.run(
    'SELECT last("seen") FROM "unit" WHERE "serial" =~ /^$serial$/ AND $timeFilter',
    resolved.values,
  );
  const from = Number(first.series[0]?.values[0]?.[0]);
  const to = Number(last.series[0]?.values[0]?.[0]);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return runner.range;
  const margin = Math.max(60_000, (to - from) * 0.05);
  return { from: from - margin, to: to + margin };
}

async function spcBoard(
  influx: Influx,
  settings: DashboardOptions,
  options: PreviewOptions,
  now: number,
) {
  const limits = readSpecLimits(settings.configPath, REPO_ROOT);
  const board = buildDashboard(liveSpc, settings, limits);
  const runner = new DashboardRunner(influx, board, options.spcRange ?? dashboardRange(board, now));
  const resolved = await runner.resolve(
    options.characteristic === undefined ? {} : { characteristic: options.characteristic },
  );
  const panels = await renderPanels(
    runner,
    board,
    resolved,
    await markersOf(runner, board, resolved),
  );
  const characteristic = String(resolved.values.characteristic?.value ?? "");
  return renderBoard(`${board.title} — ${characteristic}`, `${span(runner.range)} (UTC)`, panels);
}

async function historyBoard(
  influx: Influx,
  settings: DashboardOptions,
  options: PreviewOptions,
  now: number,
) {
  const limits = readSpecLimits(settings.configPath, REPO_ROOT);
  const board = buildDashboard(boardHistory, settings, limits);
  const wide = new DashboardRunner(influx, board, dashboardRange(board, now));
  const chosen: Record<string, string> =
    options.serial === undefined ? {} : { serial: options.serial };
  const resolved = await wide.resolve(chosen);
  // Drawn over the unit's own time on the line, so that its reflow profile is legible.
  const runner = new DashboardRunner(influx, board, await unitRange(wide, resolved));
  const panels = await renderPanels(runner, board, await runner.resolve(chosen), []);
  const serial = String(resolved.values.serial?.value ?? "");
  return renderBoard(
    `${board.title} — ${serial}`,
    `${span(runner.range)} (UTC), the unit's time on the line`,
    panels,
  );
}

function span(r: TimeRange): string {
  return `${new Date(r.from).toISOString()} – ${new Date(r.to).toISOString()}`;
}

/** A dashboard that has nothing to show yet (no characteristic charted, no serial) says so. */
async function orNotice(title: string, board: Promise<string>): Promise<string> {
  try {
    return await board;
  } catch (error) {
    if (!(error instanceof DashboardQueryError && error.reason === "no-options")) throw error;
    return renderBoard(title, error.message, []);
  }
}

/** The preview page: Live SPC of one characteristic, and the history of one serial. */
export async function renderPreview(influx: Influx, options: PreviewOptions = {}): Promise<string> {
  const settings = options.dashboards ?? DEFAULT_DASHBOARD_OPTIONS;
  const now = options.now ?? Date.now();
  return renderPage("tracebox preview: Live SPC and Board history", [
    await orNotice("tracebox · Live SPC", spcBoard(influx, settings, options, now)),
    await orNotice("tracebox · Board history", historyBoard(influx, settings, options, now)),
  ]);
}
