import { describe, expect, it } from "vitest";
import { answerError, encodeParams, quoteIdent, rows, toQueryResult } from "./influxql.ts";

describe("quoteIdent", () => {
  it.each([
    ["reflow", '"reflow"'],
    ["z1 top,°C", '"z1 top,°C"'],
    ['my"meas', '"my\\"meas"'],
    ["back\\slash", '"back\\\\slash"'],
    ['\\"', '"\\\\\\""'],
    ["two\nlines", '"two\\nlines"'],
    ["it's", '"it\'s"'],
    ["", '""'],
  ])("%j → %s", (name, quoted) => {
    expect(quoteIdent(name)).toBe(quoted);
  });
});

describe("rows", () => {
  const result = toQueryResult({
    results: [
      {
        statement_id: 0,
        series: [
          {
            name: "spi",
            tags: { station: "spi1" },
            columns: ["time", "volume_pct"],
            values: [
              [1, 98.5],
              [2, null],
            ],
          },
          {
            name: "spi",
            tags: { station: "spi2" },
            columns: ["time", "volume_pct"],
            values: [[1, 101]],
          },
        ],
      },
      { statement_id: 1 },
      { statement_id: 2, series: [{ columns: ["name"], values: [["autogen"]] }] },
    ],
  });

  it("keeps series per statement and all of them in order", () => {
    expect(result.statements.map((s) => s.length)).toEqual([2, 0, 1]);
    expect(result.series).toHaveLength(3);
    expect(result.series[2]).toEqual({ columns: ["name"], values: [["autogen"]] });
  });

  it("turns every series into rows keyed by column, with its GROUP BY tags", () => {
    expect(rows(result)).toEqual([
      { station: "spi1", time: 1, volume_pct: 98.5 },
      { station: "spi1", time: 2, volume_pct: null },
      { station: "spi2", time: 1, volume_pct: 101 },
      { name: "autogen" },
    ]);
  });

  it("turns one series into its rows", () => {
    const second = result.series[1];
    if (!second) throw new Error("missing series");
    expect(rows(second)).toEqual([{ station: "spi2", time: 1, volume_pct: 101 }]);
  });

  it("is empty for an empty answer", () => {
    expect(rows(toQueryResult({ results: [{ statement_id: 0 }] }))).toEqual([]);
  });
});

describe("encodeParams", () => {
  it("sends dates as RFC 3339, drops a leading $, keeps the rest as JSON", () => {
    expect(
      JSON.parse(
        encodeParams({
          $from: new Date(1764270000123),
          serial: "SN'1\"\\\n",
          limit: 10,
          ok: true,
        }),
      ),
    ).toEqual({ from: "2025-11-27T19:00:00.123Z", serial: "SN'1\"\\\n", limit: 10, ok: true });
  });
  it("refuses a number JSON cannot carry", () => {
    expect(() => encodeParams({ x: Number.NaN })).toThrow(/\$x/);
  });
});

describe("answerError", () => {
  it("finds a statement's error and names the statement when there are several", () => {
    const error = answerError(
      { results: [{ statement_id: 0 }, { statement_id: 1, error: "unsupported call: foo" }] },
      "query",
    );
    expect(error?.reason).toBe("query");
    expect(error?.message).toBe("InfluxDB query failed (statement 1): unsupported call: foo");
    expect(error?.canRetry()).toBe(false);
  });
  it("tells a missing database apart", () => {
    const error = answerError(
      { results: [{ statement_id: 0, error: "database not found: x" }] },
      "query",
    );
    expect(error?.reason).toBe("not_found");
  });
  it("is undefined for a good answer", () => {
    expect(answerError({ results: [{ statement_id: 0 }] }, "query")).toBeUndefined();
  });
});
