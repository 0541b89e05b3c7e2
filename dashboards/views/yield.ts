import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { tagIs, tagMatches, where } from "../influxql.ts";
import { barChart, COLOR, sortBy, table, thresholds, timeSeries } from "../panels.ts";
import { choiceVariable, tagVariable } from "../templating.ts";
import { baseDashboard, siteVariable, type View, type ViewContext } from "./common.ts";

const SCOPE = [tagMatches("site"), tagMatches("line"), tagMatches("product"), tagMatches("period")];

function pareto(by: "code" | "ref", title: string, description: string) {
  return barChart(
    title,
    [
      {
        query: `SELECT sum("count") AS "calls", sum("units") AS "units" FROM "defect_pareto" ${where(...SCOPE, tagMatches("scope"), tagIs("by", by))} GROUP BY "key"`,
      },
    ],
    "key",
    { unit: "short", description },
  )
    .withTransformation(sortBy("calls", true))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.PaletteClassic));
}

function build(ctx: ViewContext): dashboard.DashboardBuilder {
  const { options } = ctx;
  const yieldColors = thresholds(COLOR.bad, [
    [options.yieldAlarm, COLOR.warning],
    [options.yieldWarning, COLOR.good],
  ]);
  const stepFilter = [...SCOPE, tagMatches("station")];
  const trend = (title: string, query: string, alias: string, description: string) =>
    timeSeries(title, [{ query, alias }], { unit: "percentunit", max: 1, description })
      .showPoints(common.VisibilityMode.Always)
      .lineInterpolation(common.LineInterpolation.StepAfter)
      .thresholds(yieldColors);

  return baseDashboard("tracebox-yield", "tracebox · Yield and Pareto", {
    description:
      "For the quality manager: first-pass and rolled throughput yield per line, product and step, and what the testers call most.",
    refresh: "5m",
    from: "now-7d",
    tags: ["quality"],
  })
    .withVariable(siteVariable())
    .withVariable(
      tagVariable("line", "yield", "line", { label: "Line", where: [tagMatches("site")] }),
    )
    .withVariable(
      tagVariable("product", "yield", "product", {
        label: "Product",
        where: [tagMatches("site"), tagMatches("line")],
      }),
    )
    .withVariable(
      tagVariable("station", "yield", "station", {
        label: "Step",
        where: [tagMatches("site"), tagMatches("line")],
      }),
    )
    .withVariable(
      choiceVariable("period", ["day", "hour"], {
        label: "Period",
        description: "Cohorts by the day or the hour of their first result at a step.",
      }),
    )
    .withVariable(
      tagVariable("scope", "defect_pareto", "scope", {
        label: "Pareto of",
        multi: false,
        description: "first-pass: defects of failed first results only; all: every defect call.",
      }),
    )
    .withRow(new dashboard.RowBuilder("Yield"))
    .withPanel(
      trend(
        "First-pass yield by step",
        `SELECT "fpy" FROM "yield" ${where(...stepFilter)} GROUP BY "line", "station", "kind", "product"`,
        "$tag_line $tag_station ($tag_kind) $tag_product",
        "Of the units whose first result at a step fell in the period, the share that passed first time.",
      ),
    )
    .withPanel(
      trend(
        "Rolled throughput yield by line and product",
        `SELECT "rty" AS "RTY", "rty_units" AS "RTY per unit" FROM "yield" ${where(...SCOPE)} GROUP BY "line", "product"`,
        "$tag_line $tag_product $col",
        "RTY: the product of the route's first-pass yields. RTY per unit: the share of units that passed every step first time (counts only units whose outcome is known).",
      ),
    )
    .withPanel(
      trend(
        "Final yield after retests by step",
        `SELECT "final_yield" FROM "yield" ${where(...stepFilter)} GROUP BY "line", "station", "kind", "product"`,
        "$tag_line $tag_station ($tag_kind) $tag_product",
        "Units whose last result passed and that were not scrapped, per unit first tested in the period.",
      ),
    )
    .withPanel(
      table(
        "Steps in the range",
        [
          {
            query: `SELECT sum("tested") AS "tested", sum("first_pass_passed") AS "passed first time", sum("retested") AS "retested", sum("final_passed") AS "passed finally", sum("scrapped") AS "scrapped" FROM "yield" ${where(...stepFilter)} GROUP BY "line", "station", "kind", "product"`,
          },
        ],
        {
          description:
            "Counts summed over the periods of the range; FPY of the range = passed first time / tested.",
        },
      ),
    )
    .withRow(new dashboard.RowBuilder("Defect Pareto"))
    .withPanel(
      pareto(
        "code",
        "Defects by code",
        "Defect calls per code over the periods of the range (bars) and the units they were called on.",
      ),
    )
    .withPanel(
      pareto(
        "ref",
        "Defects by reference designator",
        "Defect calls per component (ref; `-` when the call names none).",
      ),
    );
}

export const yieldAndPareto: View = { uid: "tracebox-yield", file: "yield.json", build };
