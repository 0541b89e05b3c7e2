import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { tagIs, tagMatches, where } from "../influxql.ts";
import { barChart, COLOR, sortBy, table, thresholds, timeSeries } from "../panels.ts";
import { tagVariable } from "../templating.ts";
import { baseDashboard, type View } from "./common.ts";

const SCOPE = [tagMatches("site"), tagMatches("line"), tagMatches("target")];

const DRIVER_FIELDS = `"rank"::tag, "summary", "effect", "ci_low", "ci_high", "q", "units", "failed"`;

/**
 * The latest ranking of each board feature in the range: one row per feature, its newest run.
 * Drivers at a designator (`scope=designator`) are ranked apart and shown in their own table.
 */
export const DRIVERS_QUERY = `SELECT ${DRIVER_FIELDS} FROM "defect_driver" ${where(...SCOPE, `"scope" != 'designator'`)} GROUP BY "feature" ORDER BY time DESC LIMIT 1`;

/** The same for defects at one reference designator against that designator's lot, supplier and pads. */
export const DESIGNATOR_DRIVERS_QUERY = `SELECT ${DRIVER_FIELDS} FROM "defect_driver" ${where(...SCOPE, tagIs("scope", "designator"))} GROUP BY "feature" ORDER BY time DESC LIMIT 1`;

/** The riskiest units scored in the range. */
export const RISK_QUERY = `SELECT top("score", "serial", 25) AS "score" FROM "risk" ${where(...SCOPE)}`;

const RANK_AS_NUMBER: dashboard.DataTransformerConfig = {
  id: "convertFieldType",
  options: { conversions: [{ targetField: "rank", destinationType: "number" }], fields: {} },
};

function build(): dashboard.DashboardBuilder {
  const riskColors = thresholds(COLOR.good, [
    [0.2, COLOR.warning],
    [0.5, COLOR.bad],
  ]);
  return baseDashboard("tracebox-defect-drivers", "tracebox · Defect drivers", {
    description:
      "For the process engineer and quality: which process values, lots and stations go with failing a test, how strongly, and which boards not yet tested are most at risk.",
    refresh: "15m",
    from: "now-7d",
    tags: ["quality", "predict"],
  })
    .withVariable(tagVariable("site", "defect_driver", "site", { label: "Site" }))
    .withVariable(
      tagVariable("line", "defect_driver", "line", { label: "Line", where: [tagMatches("site")] }),
    )
    .withVariable(
      tagVariable("target", "defect_driver", "target", {
        label: "Failing",
        multi: false,
        description: "The test step whose failures the drivers explain (aoi, axi, ict, fct, any).",
      }),
    )
    .withPanel(
      table("Top drivers", [{ query: DRIVERS_QUERY }], {
        description:
          "Strongest first, from the predict job's latest run: the finding in words, the rate ratio of failing (group against the rest) with its interval, and the Benjamini–Hochberg q-value.",
      })
        .span(24)
        .height(10)
        .withTransformation(RANK_AS_NUMBER)
        .withTransformation(sortBy("rank", false))
        .overrideByName("effect", [
          { id: "decimals", value: 2 },
          {
            id: "thresholds",
            value: {
              mode: "absolute",
              steps: [
                { value: null, color: COLOR.good },
                { value: 1.5, color: COLOR.warning },
                { value: 3, color: COLOR.bad },
              ],
            },
          },
          { id: "custom.cellOptions", value: { type: "color-text" } },
        ])
        .overrideByName("q", [{ id: "decimals", value: 4 }]),
    )
    .withPanel(
      table("Drivers at reference designators", [{ query: DESIGNATOR_DRIVERS_QUERY }], {
        description:
          "Defects called at one designator against that designator's placement lot, supplier and SPI pads (lineage by reference designator): e.g. boards whose C3 came from one lot failing ICT at C3.",
      })
        .span(24)
        .height(8)
        .withTransformation(RANK_AS_NUMBER)
        .withTransformation(sortBy("rank", false))
        .overrideByName("effect", [{ id: "decimals", value: 2 }])
        .overrideByName("q", [{ id: "decimals", value: 4 }]),
    )
    .withPanel(
      barChart("Rate ratio of the top drivers", [{ query: DRIVERS_QUERY }], "feature", {
        description: "How many times more often boards in the driver's group fail than the rest.",
      })
        .withTransformation(RANK_AS_NUMBER)
        .withTransformation(sortBy("rank", false))
        .withTransformation({
          id: "filterFieldsByName",
          options: { include: { names: ["feature", "effect"] } },
        }),
    )
    .withPanel(
      table("Boards most at risk", [{ query: RISK_QUERY }], {
        description:
          "Predicted probability of failing, for the units scored in the range; click a serial for its history.",
      })
        .withTransformation(sortBy("score", true))
        .overrideByName("score", [
          { id: "unit", value: "percentunit" },
          { id: "custom.cellOptions", value: { type: "color-background" } },
          {
            id: "thresholds",
            value: riskColors.build(),
          },
        ])
        .overrideByName("serial", [
          {
            id: "links",
            value: [
              {
                title: "Board history",
                url: `/d/tracebox-board-history?var-serial=\${__value.raw}&\${__url_time_range}`,
              },
            ],
          },
        ]),
    )
    .withPanel(
      timeSeries(
        "Risk of scored boards",
        [
          {
            query: `SELECT mean("score") AS "mean", max("score") AS "max" FROM "risk" ${where(...SCOPE)} GROUP BY time($__interval) fill(none)`,
            alias: "$col",
          },
        ],
        { unit: "percentunit", min: 0, max: 1 },
      ).thresholds(riskColors),
    );
}

export const defectDrivers: View = {
  uid: "tracebox-defect-drivers",
  file: "defect-drivers.json",
  build,
};
