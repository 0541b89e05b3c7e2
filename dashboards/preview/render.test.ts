import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { describe, expect, it } from "vitest";
import type { QueryResult } from "../../influx/index.ts";
import { seriesName, toLines, toTable } from "./frames.ts";
import { escapeHtml, formatValue, renderPanel } from "./render.ts";

const answer: QueryResult = {
  series: [
    {
      name: "spc_point",
      tags: { station: "reflow" },
      columns: ["time", "statistic", "UCL"],
      values: [
        [1000, 1.5, 3],
        [2000, 2.5, 3],
      ],
    },
  ],
  statements: [],
};

describe("answers shaped as Grafana's InfluxDB datasource shapes them", () => {
  it("names series by the alias, else measurement.column {tags}", () => {
    expect(seriesName("$tag_station $col", "m", "value", { station: "aoi" })).toBe("aoi value");
    expect(seriesName(undefined, "m", "value", { station: "aoi" })).toBe("m.value {station: aoi}");
    expect(toLines(answer, "$col").map((l) => [l.name, l.points])).toEqual([
      [
        "statistic",
        [
          [1000, 1.5],
          [2000, 2.5],
        ],
      ],
      [
        "UCL",
        [
          [1000, 3],
          [2000, 3],
        ],
      ],
    ]);
  });

  it("makes one table with the grouping tags as columns", () => {
    expect(toTable(answer)).toEqual({
      columns: ["time", "station", "statistic", "UCL"],
      rows: [
        [1000, "reflow", 1.5, 3],
        [2000, "reflow", 2.5, 3],
      ],
    });
  });
});

describe("panels drawn as static HTML", () => {
  const panel = (type: string, extra: Partial<dashboard.Panel> = {}): dashboard.Panel => ({
    type,
    title: "t",
    gridPos: { x: 0, y: 0, w: 12, h: 8 },
    targets: [{ refId: "A", alias: "$col" } as never],
    ...extra,
  });
  const data = { range: { from: 0, to: 3000 }, markers: [], title: "Chart <1>" };

  it("draws a time series as an SVG path per series, with threshold lines and its legend", () => {
    const html = renderPanel(
      panel("timeseries", {
        fieldConfig: {
          defaults: {
            thresholds: {
              mode: "absolute" as never,
              steps: [
                { value: null, color: "green" },
                { value: 2, color: "red" },
              ],
            },
            custom: { thresholdsStyle: { mode: "dashed" } },
          },
          overrides: [],
        },
      }),
      { ...data, answers: [{ result: answer }] },
    );
    expect(html.match(/<path /g)).toHaveLength(2);
    expect(html).toContain('stroke="#F2495C" stroke-dasharray="6 4"');
    expect(html).toContain("Chart &lt;1&gt;");
    expect(html).toContain(">statistic</span>");
  });

  it("says No data for an empty answer and shows a failed query", () => {
    expect(
      renderPanel(panel("stat"), {
        ...data,
        answers: [{ result: { series: [], statements: [] } }],
      }),
    ).toContain("No data");
    expect(renderPanel(panel("table"), { ...data, answers: [{ error: "bad <query>" }] })).toContain(
      "Query failed: bad &lt;query&gt;",
    );
  });

  it("formats values in the panel's unit", () => {
    expect(formatValue(0.9734, "percentunit")).toBe("97.3 %");
    expect(formatValue(248.31, "celsius", 1)).toBe("248.3 °C");
    expect(formatValue(3)).toBe("3");
    expect(escapeHtml('"<&>')).toBe("&quot;&lt;&amp;&gt;");
  });
});
