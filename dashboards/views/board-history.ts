import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { quoteIdent, tagIs, tagMatches, where } from "../influxql.ts";
import {
  barChart,
  COLOR,
  hideFields,
  link,
  specWindow,
  stat,
  stateTimeline,
  table,
  text,
  textColors,
  thresholds,
  timeSeries,
  withLimitLines,
} from "../panels.ts";
import { tagVariable } from "../templating.ts";
import {
  baseDashboard,
  lineVariable,
  siteVariable,
  type View,
  type ViewContext,
} from "./common.ts";

const SERIAL = tagMatches("serial");

/** The export of the chosen serial from tracebox's HTTP API. */
export function exportUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/$/, "")}/api/serials/\${serial}/export?format=json`;
}

function build(ctx: ViewContext): dashboard.DashboardBuilder {
  const { options } = ctx;
  const profile = options.reflowProfile;
  const measurement = quoteIdent(profile.measurement);
  const url = exportUrl(options.apiUrl);
  const verdicts = textColors({
    pass: COLOR.good,
    fail: COLOR.bad,
    warning: COLOR.warning,
    scrap: COLOR.bad,
  });

  const board = baseDashboard("tracebox-board-history", "tracebox · Board history", {
    description:
      "For quality and the analyst: everything recorded about one serial — where it went, how it was soldered, what SPI and the testers measured — and its full export.",
    refresh: "",
    from: "now-7d",
    tags: ["traceability"],
  })
    .withVariable(siteVariable())
    .withVariable(lineVariable())
    .withVariable(
      tagVariable("serial", "unit", "serial", {
        label: "Serial",
        where: [tagMatches("site"), tagMatches("line")],
        multi: false,
        sortDescending: true,
        description: "The unit to look at; serials are listed newest first.",
      }),
    )
    .withVariable(
      tagVariable("pad_group", "spi_pad", "ref", {
        label: "Pad group",
        where: [SERIAL],
        regex: "/^([^.]+)\\./",
        description: "Components whose pads SPI measured (U1 for pads U1.1, U1.2…).",
      }),
    )
    .link(link("Export of $serial (JSON)", url, "The unit's full record from tracebox's API"))
    .withPanel(
      text(
        "Serial $serial",
        `Full record of this unit (visits, signals during each visit, SPI, tests, materials, alerts): [JSON export](${url}).\n\nThe charts show the dashboard's time range: pick a range around the unit's visits (the table below gives their times) to see its reflow profile in detail.`,
        3,
      ),
    )
    .withRow(new dashboard.RowBuilder("Route"))
    .withPanel(
      stateTimeline("Visits", [
        {
          query: `SELECT "seen", "event"::tag AS "visit" FROM "unit" ${where(SERIAL)} GROUP BY "station"`,
          alias: "$tag_station $col",
        },
      ])
        .withTransformation({
          id: "filterFieldsByName",
          options: { include: { pattern: "(^time$|^Time$| visit$)" } },
        })
        .mappings(
          textColors(
            { start: COLOR.neutral, complete: COLOR.off },
            { start: "in station", complete: "left" },
          ),
        ),
    )
    .withPanel(
      table("Visits and verdicts", [
        {
          query: `SELECT "station"::tag, "event"::tag, "result", "product"::tag, "seen" FROM "unit" ${where(SERIAL)}`,
        },
      ])
        .withTransformation(hideFields("seen"))
        .overrideByName("result", [
          { id: "mappings", value: verdicts },
          { id: "custom.cellOptions", value: { type: "color-text" } },
        ])
        .span(24),
    )
    .withRow(new dashboard.RowBuilder("Reflow"))
    .withPanel(
      withLimitLines(
        timeSeries(
          "Reflow profile",
          [
            {
              query: `SELECT ${profile.thermocouples.map(quoteIdent).join(", ")} FROM ${measurement} ${where(SERIAL)}`,
              alias: "$col",
            },
          ],
          {
            unit: "celsius",
            description: `Thermocouples of the profiler that rode on this board (when it did). Bands: soak ${profile.soakC.low}–${profile.soakC.high} °C, liquidus ${profile.liquidusC} °C, peak window ${profile.peakC.low}–${profile.peakC.high} °C.`,
          },
        ).span(16),
        thresholds(COLOR.off, [
          [profile.soakC.low, "rgba(31, 96, 196, 0.15)"],
          [profile.soakC.high, COLOR.off],
          [profile.liquidusC, COLOR.warning],
          [profile.peakC.low, COLOR.good],
          [profile.peakC.high, COLOR.bad],
        ]),
        common.GraphThresholdsStyleMode.DashedAndArea,
      ),
    )
    .withPanel(
      stat(
        "Peak temperature",
        [
          {
            query: `SELECT ${profile.thermocouples.map((f) => `max(${quoteIdent(f)}) AS ${quoteIdent(f)}`).join(", ")} FROM ${measurement} ${where(SERIAL)}`,
            alias: "$col",
          },
        ],
        { unit: "celsius", decimals: 1 },
      )
        .span(4)
        .height(8)
        .orientation(common.VizOrientation.Vertical)
        .graphMode(common.BigValueGraphMode.None)
        .thresholds(specWindow(profile.peakC.low, profile.peakC.high)),
    )
    .withPanel(
      stat(
        "Time above liquidus",
        profile.thermocouples.map((f) => ({
          // Sums the gaps between consecutive samples above liquidus: one excursion per profile.
          query: `SELECT sum("gap") / 1000 AS ${quoteIdent(f)} FROM (SELECT elapsed(${quoteIdent(f)}, 1ms) AS "gap" FROM ${measurement} ${where(SERIAL, `${quoteIdent(f)} > ${profile.liquidusC}`)})`,
          alias: "$col",
        })),
        {
          unit: "s",
          decimals: 0,
          description: `Seconds each thermocouple spent above ${profile.liquidusC} °C; the window is ${profile.timeAboveLiquidusS.low}–${profile.timeAboveLiquidusS.high} s.`,
        },
      )
        .span(4)
        .height(8)
        .orientation(common.VizOrientation.Vertical)
        .graphMode(common.BigValueGraphMode.None)
        .thresholds(specWindow(profile.timeAboveLiquidusS.low, profile.timeAboveLiquidusS.high)),
    )
    .withRow(new dashboard.RowBuilder("Solder paste (SPI)"))
    .withPanel(
      table("SPI verdict", [
        {
          query: `SELECT "result", "pad_count", "volume_pct_mean", "volume_pct_min", "volume_pct_max" FROM "spi" ${where(SERIAL)}`,
        },
      ])
        .height(4)
        .span(24)
        .overrideByName("result", [
          { id: "mappings", value: verdicts },
          { id: "custom.cellOptions", value: { type: "color-text" } },
        ]),
    )
    .withPanel(
      barChart(
        "Paste volume of $pad_group",
        [
          {
            query: `SELECT "volume_pct", "area_pct" FROM "spi_pad" ${where(SERIAL, `"ref" =~ /^$pad_group\\./`)} GROUP BY "ref"`,
          },
        ],
        "ref",
        {
          unit: "percent",
          description: `Volume and area of each pad of the group, % of the stencil aperture; outside ${options.spiVolumePct.low}–${options.spiVolumePct.high} % is red.`,
        },
      )
        .repeat("pad_group")
        .repeatDirection("h")
        .maxPerRow(4)
        .span(6)
        .height(6)
        .withTransformation(hideFields("Time", "time"))
        .thresholds(specWindow(options.spiVolumePct.low, options.spiVolumePct.high))
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds)),
    )
    .withRow(new dashboard.RowBuilder("Tests"))
    .withPanel(
      table("Test results", [
        {
          query: `SELECT "kind"::tag, "station"::tag, "result", "program", "defect_count" FROM "test" ${where(SERIAL)}`,
        },
      ]).overrideByName("result", [
        { id: "mappings", value: verdicts },
        { id: "custom.cellOptions", value: { type: "color-text" } },
      ]),
    )
    .withPanel(
      table("Defects called", [
        {
          query: `SELECT "count" FROM "test_defect" ${where(SERIAL)} GROUP BY "kind", "code", "ref"`,
        },
      ]),
    )
    .withPanel(
      table("Test measurements", [
        {
          query: `SELECT "value", "low", "high", "unit", "pass" FROM "test_measurement" ${where(SERIAL)} GROUP BY "kind", "name"`,
        },
      ])
        .span(16)
        .overrideByName("pass", [
          { id: "mappings", value: textColors({ true: COLOR.good, false: COLOR.bad }) },
          { id: "custom.cellOptions", value: { type: "color-text" } },
        ]),
    )
    .withPanel(
      table("Firmware flashed", [
        {
          query: `SELECT "firmware_version", "firmware_checksum", "firmware_mac" FROM "test" ${where(SERIAL, tagIs("kind", "fct"))}`,
        },
      ]).span(8),
    )
    .withRow(new dashboard.RowBuilder("Materials and alerts"))
    .withPanel(
      table("Components placed", [
        {
          query: `SELECT "part", "lot", "supplier", "date_code", "reel" FROM "placement" ${where(SERIAL)} GROUP BY "ref"`,
        },
      ]),
    )
    .withPanel(
      table(
        "Alerts naming this unit",
        [
          {
            query: `SELECT "rule"::tag, "state"::tag, "station"::tag, "characteristic", "value", "limit" FROM "alert" ${where(`"serials" =~ /"$serial"/`)}`,
          },
        ],
        {
          description:
            "Spec and SPC alerts whose list of units to hold names this serial: it was at an affected station when the alert was raised or cleared.",
        },
      ).overrideByName("state", [
        { id: "mappings", value: textColors({ raised: COLOR.bad, cleared: COLOR.good }) },
        { id: "custom.cellOptions", value: { type: "color-text" } },
      ]),
    );
  return board;
}

export const boardHistory: View = {
  uid: "tracebox-board-history",
  file: "board-history.json",
  build,
};
