import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { tagIs, tagMatches, where } from "../influxql.ts";
import {
  COLOR,
  countBars,
  sortBy,
  stat,
  table,
  textColors,
  thresholds,
  timeSeries,
} from "../panels.ts";
import { tagVariable } from "../templating.ts";
import {
  alertAnnotations,
  baseDashboard,
  lineOrSite,
  lineVariable,
  siteVariable,
  type View,
  type ViewContext,
} from "./common.ts";

const UNIT_FILTER = [tagMatches("site"), tagMatches("line"), tagMatches("station")];

function build(ctx: ViewContext): dashboard.DashboardBuilder {
  const { options } = ctx;
  const yieldColors = thresholds(COLOR.bad, [
    [options.yieldAlarm, COLOR.warning],
    [options.yieldWarning, COLOR.good],
  ]);
  const messages = (field: string) =>
    `SELECT non_negative_derivative(max("${field}"), 1s) AS "${field}" FROM "tracebox_ingest" ${where()} GROUP BY time($__interval), "instance" fill(none)`;

  return baseDashboard("tracebox-line-overview", "tracebox · Line overview", {
    description:
      "For the line lead and the shift: what each station completed, first-pass yield, the alerts in force and whether ingest keeps up.",
    refresh: "30s",
    from: "now-12h",
    tags: ["line"],
  })
    .withVariable(siteVariable())
    .withVariable(lineVariable())
    .withVariable(
      tagVariable("station", "unit", "station", {
        label: "Station",
        where: [tagMatches("site"), tagMatches("line")],
      }),
    )
    .annotation(alertAnnotations(ctx))
    .withRow(new dashboard.RowBuilder("Throughput"))
    .withPanel(
      countBars(
        "Units completed per hour by station",
        [
          {
            query: `SELECT count("seen") AS "units" FROM "unit" ${where(...UNIT_FILTER, tagIs("event", "complete"))} GROUP BY time(1h), "station" fill(0)`,
            alias: "$tag_station",
          },
        ],
        {
          unit: "short",
          description:
            "Unit `complete` events per clock hour at each station; a station that falls behind the others is the bottleneck or stopped.",
        },
      ).span(16),
    )
    .withPanel(
      stat(
        "Units completed in range",
        [
          {
            query: `SELECT count("seen") AS "units" FROM "unit" ${where(...UNIT_FILTER, tagIs("event", "complete"))} GROUP BY "station"`,
            alias: "$tag_station",
          },
        ],
        { unit: "short", calc: "sum" },
      )
        .span(8)
        .height(8)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withRow(new dashboard.RowBuilder("Quality"))
    .withPanel(
      stat(
        "First-pass yield, last hour",
        [
          {
            query: `SELECT last("fpy") AS "fpy" FROM "yield" ${where(tagMatches("site"), tagMatches("line"), tagMatches("station"), tagIs("period", "hour"))} GROUP BY "station", "kind"`,
            alias: "$tag_station ($tag_kind)",
          },
        ],
        {
          unit: "percentunit",
          decimals: 1,
          description:
            "Of the units first tested in the latest hour at each step, the share that passed first time (the yield job's `fpy`, period hour).",
        },
      )
        .span(12)
        .thresholds(yieldColors),
    )
    .withPanel(
      timeSeries(
        "First-pass yield by station, hourly",
        [
          {
            query: `SELECT "fpy" FROM "yield" ${where(tagMatches("site"), tagMatches("line"), tagMatches("station"), tagIs("period", "hour"))} GROUP BY "station", "kind"`,
            alias: "$tag_station ($tag_kind)",
          },
        ],
        { unit: "percentunit", max: 1 },
      )
        .span(12)
        .showPoints(common.VisibilityMode.Always)
        .thresholds(yieldColors),
    )
    .withRow(new dashboard.RowBuilder("Alerts"))
    .withPanel(
      table(
        "Alerts: latest state per rule and station",
        [
          {
            query: `SELECT last("value") AS "value", "limit", "state", "characteristic", "source" FROM "alert" ${where(tagMatches("site"), lineOrSite(ctx))} GROUP BY "line", "station", "rule"`,
          },
        ],
        {
          description:
            "The last message of every rule at every station in the range: `raised` means the alert is in force now. Hall sensors count for every line of their site.",
        },
      )
        .span(24)
        .withTransformation(sortBy("state", true))
        .overrideByName("state", [
          { id: "mappings", value: textColors({ raised: COLOR.bad, cleared: COLOR.good }) },
          { id: "custom.cellOptions", value: { type: "color-text" } },
        ]),
    )
    .withRow(new dashboard.RowBuilder("Ingest"))
    .withPanel(
      stat(
        "Messages written /s",
        [{ query: messages("messages_written"), alias: "$tag_instance" }],
        {
          unit: "short",
          decimals: 1,
        },
      ),
    )
    .withPanel(
      stat(
        "Messages rejected /s",
        [{ query: messages("messages_rejected"), alias: "$tag_instance" }],
        {
          unit: "short",
          decimals: 2,
        },
      ).thresholds(thresholds(COLOR.good, [[0.001, COLOR.bad]])),
    )
    .withPanel(
      stat(
        "Awaiting acknowledgement",
        [
          {
            query: `SELECT last("unacknowledged") AS "unacknowledged" FROM "tracebox_ingest" ${where()} GROUP BY "instance"`,
            alias: "$tag_instance",
          },
        ],
        {
          unit: "short",
          description: "Messages received but not yet durable (written or spooled).",
        },
      ),
    )
    .withPanel(
      stat(
        "Broker connection",
        [
          {
            query: `SELECT last("connected") AS "connected" FROM "tracebox_ingest" ${where()} GROUP BY "instance"`,
            alias: "$tag_instance",
          },
        ],
        { description: "Whether each ingestor was connected to the broker at its last report." },
      )
        .graphMode(common.BigValueGraphMode.None)
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: {
              "0": { text: "disconnected", color: COLOR.bad, index: 0 },
              "1": { text: "connected", color: COLOR.good, index: 1 },
            },
          },
        ]),
    );
}

export const lineOverview: View = {
  uid: "tracebox-line-overview",
  file: "line-overview.json",
  build,
};
