import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { tagMatches, tagMatchesOrAny } from "../influxql.ts";
import type { DashboardOptions } from "../options.ts";
import type { SpecLimits } from "../spec-limits.ts";
import { builtInAnnotations, InfluxAnnotationBuilder, tagVariable } from "../templating.ts";

/** What every dashboard is made from. */
export interface ViewContext {
  options: DashboardOptions;
  limits: SpecLimits;
}

/** A provisioned dashboard: its uid, the JSON file it goes to, and how it is built. */
export interface View {
  uid: string;
  /** File name under provisioning/dashboards/json/. */
  file: string;
  build(ctx: ViewContext): dashboard.DashboardBuilder;
}

/** A dashboard with tracebox's common settings: folder tag, UTC-free browser time, crosshair. */
export function baseDashboard(
  uid: string,
  title: string,
  options: { description: string; refresh: string; from: string; tags: string[] },
): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(options.description)
    .tags(["tracebox", ...options.tags])
    .editable()
    .timezone("browser")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh(options.refresh)
    .time({ from: options.from, to: "now" })
    .timepicker(
      new dashboard.TimePickerBuilder().refreshIntervals(["10s", "30s", "1m", "5m", "15m", "1h"]),
    )
    .annotation(builtInAnnotations());
}

/** Sites that have units. */
export function siteVariable(): dashboard.QueryVariableBuilder {
  return tagVariable("site", "unit", "site", { label: "Site" });
}

/** Production lines of the chosen sites (lines with unit visits; hall sensors are not lines). */
export function lineVariable(): dashboard.QueryVariableBuilder {
  return tagVariable("line", "unit", "line", { label: "Line", where: [tagMatches("site")] });
}

/** `"line" =~ /^$line$/`, widened to the site-level lines (hall sensors) that apply to every line. */
export function lineOrSite(ctx: ViewContext): string {
  return tagMatchesOrAny("line", "line", ctx.limits.siteLines);
}

/** Alerts of the chosen sites and lines as annotations: raised red, cleared green. */
export function alertAnnotations(ctx: ViewContext, source: "spec" | "spc" | "any" = "any") {
  const conditions = [tagMatches("site"), lineOrSite(ctx)];
  if (source !== "any") conditions.push(`"source" = '${source}'`);
  const query = `SELECT "value", "limit", "characteristic", "rule", "state", "station" FROM "alert" WHERE ${conditions.join(" AND ")} AND $timeFilter`;
  return new InfluxAnnotationBuilder("Alerts", query)
    .iconColor("red")
    .textColumn("characteristic")
    .tagsColumns(["rule", "state", "station"]);
}
