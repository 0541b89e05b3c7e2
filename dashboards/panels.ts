// Small factories per panel kind: each returns an SDK builder with tracebox's defaults, so a
// dashboard file reads as a list of what it shows.
import { PanelBuilder as BarChartBuilder } from "@grafana/grafana-foundation-sdk/barchart";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as StateTimelineBuilder } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TableBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TextBuilder, TextMode } from "@grafana/grafana-foundation-sdk/text";
import { PanelBuilder as TimeSeriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, InfluxQLQueryBuilder, type ResultFormat } from "./influxql.ts";

/** One query of a panel: InfluxQL text and how its series are named. */
export interface PanelQuery {
  query: string;
  /** Series name pattern, e.g. `$tag_station` or `$col`. */
  alias?: string;
  format?: ResultFormat;
}

/** Colours used across the dashboards, Grafana palette names. */
export const COLOR = {
  good: "green",
  warning: "orange",
  bad: "red",
  limit: "red",
  centre: "green",
  neutral: "blue",
  off: "transparent",
} as const;

/** The targets of a panel, refIds A, B, C… in order. */
export function targets(queries: readonly PanelQuery[]): InfluxQLQueryBuilder[] {
  return queries.map((q, i) => {
    const target = new InfluxQLQueryBuilder(q.query)
      .refId(String.fromCharCode(65 + i))
      .resultFormat(q.format ?? "time_series");
    if (q.alias !== undefined) target.alias(q.alias);
    return target;
  });
}

/** Absolute thresholds from a base colour and steps of `[value, colour]`, ascending. */
export function thresholds(
  base: string,
  steps: ReadonlyArray<readonly [number, string]> = [],
): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

/** Thresholds that paint a value outside [low, high] `bad`; either side may be open. */
export function specWindow(low: number | undefined, high: number | undefined) {
  const steps: Array<[number, string]> = [];
  if (low !== undefined) steps.push([low, COLOR.good]);
  if (high !== undefined) steps.push([high, COLOR.bad]);
  return thresholds(low !== undefined ? COLOR.bad : COLOR.good, steps);
}

/** Value mappings that give values a colour (a state, a verdict), and maybe words of their own. */
export function textColors(
  colors: Readonly<Record<string, string>>,
  texts: Readonly<Record<string, string>> = {},
): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  Object.entries(colors).forEach(([value, color], index) => {
    const text = texts[value];
    options[value] = text === undefined ? { color, index } : { color, text, index };
  });
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

/** A line chart of one or more queries. */
export function timeSeries(
  title: string,
  queries: readonly PanelQuery[],
  options: { unit?: string; description?: string; min?: number; max?: number } = {},
): TimeSeriesBuilder {
  const panel = new TimeSeriesBuilder()
    .title(title)
    .datasource({ ...DATASOURCE })
    .targets(targets(queries))
    .height(8)
    .span(12)
    .lineWidth(1)
    .fillOpacity(0)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.None),
    );
  if (options.unit !== undefined) panel.unit(options.unit);
  if (options.description !== undefined) panel.description(options.description);
  if (options.min !== undefined) panel.min(options.min);
  if (options.max !== undefined) panel.max(options.max);
  return panel;
}

/** A time series drawn as bars (counts per time bucket), stacked. */
export function countBars(
  title: string,
  queries: readonly PanelQuery[],
  options: { unit?: string; description?: string } = {},
): TimeSeriesBuilder {
  return timeSeries(title, queries, options)
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
}

/** Draws the panel's thresholds on the chart as dashed lines with a faint area. */
export function withLimitLines(
  panel: TimeSeriesBuilder,
  limits: dashboard.ThresholdsConfigBuilder,
  mode: common.GraphThresholdsStyleMode = common.GraphThresholdsStyleMode.Dashed,
): TimeSeriesBuilder {
  return panel
    .thresholds(limits)
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(mode));
}

/** One big number per series: the last value in the range. */
export function stat(
  title: string,
  queries: readonly PanelQuery[],
  options: { unit?: string; description?: string; decimals?: number; calc?: string } = {},
): StatBuilder {
  const panel = new StatBuilder()
    .title(title)
    .datasource({ ...DATASOURCE })
    .targets(targets(queries))
    .height(4)
    .span(6)
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.Area)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs([options.calc ?? "lastNotNull"]).values(false),
    );
  if (options.unit !== undefined) panel.unit(options.unit);
  if (options.description !== undefined) panel.description(options.description);
  if (options.decimals !== undefined) panel.decimals(options.decimals);
  return panel;
}

/** A table of query rows (queries in table format). */
export function table(
  title: string,
  queries: readonly PanelQuery[],
  options: { description?: string } = {},
): TableBuilder {
  const panel = new TableBuilder()
    .title(title)
    .datasource({ ...DATASOURCE })
    .targets(targets(queries.map((q) => ({ ...q, format: q.format ?? "table" }))))
    .height(8)
    .span(12)
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm)
    .footer(new common.TableFooterOptionsBuilder().show(false).reducer(["sum"]));
  if (options.description !== undefined) panel.description(options.description);
  return panel;
}

/** Bars per category: the x field names them (a tag column of a table-format query). */
export function barChart(
  title: string,
  queries: readonly PanelQuery[],
  xField: string,
  options: { unit?: string; description?: string } = {},
): BarChartBuilder {
  const panel = new BarChartBuilder()
    .title(title)
    .datasource({ ...DATASOURCE })
    .targets(targets(queries.map((q) => ({ ...q, format: q.format ?? "table" }))))
    .height(8)
    .span(12)
    .xField(xField)
    .orientation(common.VizOrientation.Auto)
    .showValue(common.VisibilityMode.Auto)
    .xTickLabelRotation(-45)
    .fillOpacity(80)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  if (options.unit !== undefined) panel.unit(options.unit);
  if (options.description !== undefined) panel.description(options.description);
  return panel;
}

/** States over time, one row per series (a station's visit, a connection). */
export function stateTimeline(
  title: string,
  queries: readonly PanelQuery[],
  options: { description?: string } = {},
): StateTimelineBuilder {
  const panel = new StateTimelineBuilder()
    .title(title)
    .datasource({ ...DATASOURCE })
    .targets(targets(queries))
    .height(8)
    .span(24)
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .rowHeight(0.8)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  if (options.description !== undefined) panel.description(options.description);
  return panel;
}

/** Markdown text: what a dashboard is for, links. */
export function text(title: string, markdown: string, height = 3): TextBuilder {
  return new TextBuilder()
    .title(title)
    .mode(TextMode.Markdown)
    .content(markdown)
    .height(height)
    .span(24);
}

/** A dashboard-level link (opens in a new tab; Grafana fills `${variable}` in the URL). */
export function link(title: string, url: string, tooltip: string): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(title)
    .type(dashboard.DashboardLinkType.Link)
    .url(url)
    .tooltip(tooltip)
    .icon("external link")
    .targetBlank(true)
    .includeVars(false)
    .keepTime(false)
    .asDropdown(false)
    .tags([]);
}

/** Hides fields of a frame by name (helper columns a query has to select). */
export function hideFields(...names: string[]): dashboard.DataTransformerConfig {
  return {
    id: "organize",
    options: {
      excludeByName: Object.fromEntries(names.map((n) => [n, true])),
      indexByName: {},
      renameByName: {},
    },
  };
}

/** Sorts a table frame by one field. */
export function sortBy(field: string, desc = true): dashboard.DataTransformerConfig {
  return { id: "sortBy", options: { fields: {}, sort: [{ field, desc }] } };
}
