import * as common from "@grafana/grafana-foundation-sdk/common";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { PanelBuilder as TimeSeriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { tagIs, tagMatches, where } from "../influxql.ts";
import { COLOR, stat, table, thresholds, timeSeries } from "../panels.ts";
import { InfluxAnnotationBuilder, tagVariable } from "../templating.ts";
import { baseDashboard, type View, type ViewContext } from "./common.ts";

const CHARACTERISTIC = tagMatches("characteristic");

/** The queries of one control chart: statistic, centre line and limits, per subgroup. */
export function controlChartQuery(series: "location" | "dispersion"): string {
  return `SELECT "value" AS "statistic", "cl" AS "CL", "ucl" AS "UCL", "lcl" AS "LCL" FROM "spc_point" ${where(CHARACTERISTIC, tagIs("series", series))}`;
}

/** CUSUM's lower sum (−C⁻), drawn with the upper one that `value` holds. */
export const CUSUM_LOWER_QUERY = `SELECT "lower" AS "CUSUM lower" FROM "spc_point" ${where(CHARACTERISTIC, tagIs("series", "location"))}`;

/** Violations of the chosen characteristic, one row each. */
export const VIOLATIONS_QUERY = `SELECT "rule"::tag, "series"::tag, "value", "limit", "serial_count" FROM "spc_violation" ${where(CHARACTERISTIC)}`;

function limitLines(panel: TimeSeriesBuilder): TimeSeriesBuilder {
  const dashed = { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } };
  const colour = (c: string) => ({ id: "color", value: { mode: "fixed", fixedColor: c } });
  return panel
    .overrideByName("UCL", [
      colour(COLOR.limit),
      dashed,
      { id: "custom.showPoints", value: "never" },
    ])
    .overrideByName("LCL", [
      colour(COLOR.limit),
      dashed,
      { id: "custom.showPoints", value: "never" },
    ])
    .overrideByName("CL", [colour(COLOR.centre), { id: "custom.showPoints", value: "never" }])
    .overrideByName("statistic", [
      colour(COLOR.neutral),
      { id: "custom.showPoints", value: "always" },
    ])
    .lineInterpolation(common.LineInterpolation.StepAfter);
}

function build(ctx: ViewContext): dashboard.DashboardBuilder {
  const { options } = ctx;
  const capabilityColors = thresholds(COLOR.bad, [
    [options.capabilityAlarm, COLOR.warning],
    [options.capabilityWarning, COLOR.good],
  ]);
  const capability = (field: string, title: string, description: string) =>
    stat(
      title,
      [
        {
          query: `SELECT last("${field}") AS "${field}" FROM "spc_capability" ${where(CHARACTERISTIC)}`,
          alias: "$col",
        },
      ],
      { decimals: 2, description },
    )
      .span(4)
      .thresholds(capabilityColors);

  return baseDashboard("tracebox-live-spc", "tracebox · Live SPC", {
    description:
      "For the process engineer: the control chart of one characteristic as the SPC job judges it against its frozen baseline, its rule violations and its capability.",
    refresh: "1m",
    from: "now-24h",
    tags: ["spc"],
  })
    .withVariable(
      tagVariable("characteristic", "spc_point", "characteristic", {
        label: "Characteristic",
        multi: false,
        description: "A characteristic configured in the `spc` section and charted by the SPC job.",
      }),
    )
    .annotation(
      new InfluxAnnotationBuilder(
        "SPC violations",
        `SELECT "value", "limit", "rule", "series" FROM "spc_violation" ${where(CHARACTERISTIC)}`,
      )
        .iconColor("orange")
        .textColumn("rule")
        .tagsColumns(["rule", "series"]),
    )
    .withPanel(
      capability(
        "cpk",
        "Cpk",
        "Within-subgroup capability to the nearer spec limit, over the job's recent subgroups.",
      ),
    )
    .withPanel(capability("ppk", "Ppk", "Overall (long-term) capability to the nearer spec limit."))
    .withPanel(
      capability("cp", "Cp", "Within-subgroup capability of the spread, both spec limits."),
    )
    .withPanel(capability("pp", "Pp", "Overall capability of the spread, both spec limits."))
    .withPanel(
      stat(
        "Baseline in use",
        [
          {
            query: `SELECT last("baseline_version") AS "version" FROM "spc_point" ${where(CHARACTERISTIC)}`,
            alias: "v",
          },
        ],
        {
          decimals: 0,
          description:
            "Version of the approved phase-I baseline the latest subgroups were judged against (`tracebox baseline` lists them).",
        },
      )
        .span(4)
        .graphMode(common.BigValueGraphMode.None)
        .colorMode(common.BigValueColorMode.None),
    )
    .withPanel(
      stat(
        "Violations in range",
        [
          {
            query: `SELECT count("value") AS "violations" FROM "spc_violation" ${where(CHARACTERISTIC)}`,
            alias: "$col",
          },
        ],
        { decimals: 0 },
      )
        .span(4)
        .graphMode(common.BigValueGraphMode.None)
        .noValue("0")
        .thresholds(thresholds(COLOR.good, [[1, COLOR.bad]])),
    )
    .withPanel(
      limitLines(
        timeSeries(
          "$characteristic: location chart",
          [
            { query: controlChartQuery("location"), alias: "$col" },
            { query: CUSUM_LOWER_QUERY, alias: "$col" },
          ],
          {
            description:
              "The plotted statistic per subgroup (mean, individual, proportion, EWMA or CUSUM: its upper sum, and its lower sum apart) with the centre line and control limits of the baseline; violations are marked on the time axis.",
          },
        ).span(24),
      ).overrideByName("CUSUM lower", [
        { id: "color", value: { mode: "fixed", fixedColor: "purple" } },
        { id: "custom.showPoints", value: "always" },
      ]),
    )
    .withPanel(
      limitLines(
        timeSeries(
          "$characteristic: dispersion chart",
          [{ query: controlChartQuery("dispersion"), alias: "$col" }],
          {
            description:
              "Range, standard deviation or moving range per subgroup, when the chart has one.",
          },
        ).span(24),
      ),
    )
    .withPanel(
      timeSeries(
        "Capability over time",
        [
          {
            query: `SELECT "cpk" AS "Cpk", "ppk" AS "Ppk" FROM "spc_capability" ${where(CHARACTERISTIC)}`,
            alias: "$col",
          },
        ],
        { description: "Cpk and Ppk of each SPC run, over its most recent subgroups." },
      )
        .showPoints(common.VisibilityMode.Always)
        .thresholds(capabilityColors)
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(
            common.GraphThresholdsStyleMode.Dashed,
          ),
        ),
    )
    .withPanel(
      table("Violations", [{ query: VIOLATIONS_QUERY }], {
        description:
          "Rule (qcc, Western Electric or Nelson), chart series, the plotted value and the limit it crossed, and how many units the alert named to hold.",
      }).overrideByName("rule", [
        { id: "custom.cellOptions", value: { type: "color-text" } },
        { id: "color", value: { mode: "fixed", fixedColor: COLOR.bad } },
      ]),
    );
}

export const liveSpc: View = { uid: "tracebox-live-spc", file: "live-spc.json", build };
