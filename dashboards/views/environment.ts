import * as common from "@grafana/grafana-foundation-sdk/common";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { PanelBuilder as TimeSeriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { quoteIdent, tagMatches, where } from "../influxql.ts";
import { specWindow, timeSeries, withLimitLines } from "../panels.ts";
import { describeLimits, describeWhere, highOf, lowOf, rulesFor } from "../spec-limits.ts";
import {
  alertAnnotations,
  baseDashboard,
  lineOrSite,
  lineVariable,
  siteVariable,
  type View,
  type ViewContext,
} from "./common.ts";

/** A signal drawn on this dashboard: what it is, in which unit. */
interface Signal {
  measurement: string;
  field: string;
  title: string;
  unit: string;
  description: string;
}

const SIGNALS: readonly Signal[] = [
  {
    measurement: "env",
    field: "humidity_rh",
    title: "Humidity",
    unit: "humidity",
    description:
      "Relative humidity of the hall sensors (site-wide) and of any line sensor. Above the limit paste takes up water: insufficient solder shows at AOI hours later.",
  },
  {
    measurement: "env",
    field: "temperature_c",
    title: "Temperature",
    unit: "celsius",
    description: "Air temperature of the hall sensors and of any line sensor.",
  },
  {
    measurement: "nitrogen",
    field: "pressure_bar",
    title: "N₂ supply pressure",
    unit: "pressurebar",
    description:
      "Shielding-gas supply pressure at the oven. When it sags, O₂ in the oven rises and voids under exposed pads follow.",
  },
  {
    measurement: "nitrogen",
    field: "flow_m3_h",
    title: "N₂ flow",
    unit: "m3/h",
    description: "Shielding-gas flow into the oven.",
  },
  {
    measurement: "reflow",
    field: "o2_ppm",
    title: "Reflow O₂",
    unit: "ppm",
    description: "Residual oxygen in the reflow oven's atmosphere.",
  },
];

function signalPanel(ctx: ViewContext, signal: Signal): TimeSeriesBuilder {
  const characteristic = `${signal.measurement}.${signal.field}`;
  const rules = rulesFor(ctx.limits, characteristic);
  const field = quoteIdent(signal.field);
  const rule = rules[0];
  const aggregates = [`mean(${field}) AS "mean"`];
  if (rule && lowOf(rule) !== undefined) aggregates.push(`min(${field}) AS "min"`);
  if (rule && highOf(rule) !== undefined) aggregates.push(`max(${field}) AS "max"`);
  const query = `SELECT ${aggregates.join(", ")} FROM ${quoteIdent(signal.measurement)} ${where(tagMatches("site"), lineOrSite(ctx))} GROUP BY time($__interval), "line", "station" fill(none)`;
  const limits = rules
    .map(
      (r) =>
        `**${r.name}**: ${describeLimits(r)} (${describeWhere(r)}, after ${r.debounceMs / 1000} s out of spec)`,
    )
    .join("; ");
  const description = limits
    ? `${signal.description}\n\nSpec limits from \`${ctx.limits.source}\`: ${limits}. The dashed lines are ${rule?.name}'s.`
    : signal.description;
  const panel = timeSeries(signal.title, [{ query, alias: "$tag_line/$tag_station $col" }], {
    unit: signal.unit,
    description,
  });
  if (rule) {
    withLimitLines(
      panel,
      specWindow(lowOf(rule), highOf(rule)),
      common.GraphThresholdsStyleMode.DashedAndArea,
    );
  }
  return panel;
}

function build(ctx: ViewContext): dashboard.DashboardBuilder {
  const drawn = new Set(SIGNALS.map((s) => `${s.measurement}.${s.field}`));
  // Every spec rule gets its chart: a rule on a characteristic this page does not know yet
  // still shows, with its limits.
  const extra: Signal[] = ctx.limits.rules
    .filter((r) => !drawn.has(r.characteristic))
    .filter((r, i, all) => all.findIndex((o) => o.characteristic === r.characteristic) === i)
    .map((r) => ({
      measurement: r.measurement,
      field: r.field,
      title: r.characteristic,
      unit: "short",
      description: `Signal of spec rule ${r.name}.`,
    }));
  const board = baseDashboard("tracebox-environment", "tracebox · Environment and gases", {
    description:
      "For the process engineer: hall climate, shielding gas and oven atmosphere against the spec limits that raise alerts, with the alerts themselves marked.",
    refresh: "30s",
    from: "now-6h",
    tags: ["environment"],
  })
    .withVariable(siteVariable())
    .withVariable(lineVariable())
    .annotation(alertAnnotations(ctx, "spec"));
  for (const signal of [...SIGNALS, ...extra]) {
    board.withPanel(signalPanel(ctx, signal));
  }
  return board;
}

export const environment: View = { uid: "tracebox-environment", file: "environment.json", build };
