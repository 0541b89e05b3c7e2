import { describe, expect, it } from "vitest";
import {
  applyVariableRegex,
  expandMacros,
  formatInterval,
  formatVariable,
  interpolateVariables,
  panelInterval,
  roundInterval,
  variablesIn,
} from "./interpolate.ts";
import { groupByTags, influxQLNames, selectedColumns } from "./queries.ts";

describe("template variables as Grafana's InfluxDB datasource fills them", () => {
  const single = { multi: false, includeAll: false };
  const multi = { multi: true, includeAll: true };

  it("regex-escapes a single value, so a GS1 serial matches only itself inside /^…$/", () => {
    expect(formatVariable({ ...single, value: "(01)04012345123456(21)TBX1" })).toBe(
      "\\(01\\)04012345123456\\(21\\)TBX1",
    );
    expect(formatVariable({ ...single, value: "12.5" })).toBe("12.5");
  });

  it("joins several values of a multi-value variable into a group, and leaves a custom All alone", () => {
    expect(formatVariable({ ...multi, value: ["line1"] })).toBe("line1");
    expect(formatVariable({ ...multi, value: ["line1", "line2"] })).toBe("(line1|line2)");
    expect(formatVariable({ ...multi, value: ["$__all"], all: ".*" })).toBe(".*");
  });

  it("fills $name, its braced form and [[name]], and leaves macros, aliases and unknown names", () => {
    const values = { site: { ...multi, value: "plant1" }, serial: { ...single, value: "SN1" } };
    expect(
      interpolateVariables(
        `"site" =~ /^$site$/ AND "serial" =~ /^\${serial}$/ AND [[site]] $timeFilter $tag_station $col`,
        values,
      ),
    ).toBe(`"site" =~ /^plant1$/ AND "serial" =~ /^SN1$/ AND plant1 $timeFilter $tag_station $col`);
    expect(
      variablesIn(`$site $line $timeFilter \${pad_group}`, new Set(["site", "pad_group"])),
    ).toEqual(["site", "pad_group"]);
  });

  it("keeps a capture group's part of each value once, as a query variable's regex does", () => {
    expect(applyVariableRegex(["U1.1", "U1.2", "C3.1", "R10.2"], "/^([^.]+)\\./")).toEqual([
      "U1",
      "C3",
      "R10",
    ]);
    expect(applyVariableRegex(["a", "b"], undefined)).toEqual(["a", "b"]);
    expect(applyVariableRegex(["x-1", "y-2"], "/^(?<value>\\w)-/")).toEqual(["x", "y"]);
  });
});

describe("macros as Grafana's InfluxDB backend expands them", () => {
  it("expands $timeFilter to the range in ms and the interval macros to the panel's interval", () => {
    expect(
      expandMacros(
        "SELECT mean(x) FROM m WHERE $timeFilter GROUP BY time($__interval) -- $__interval_ms $interval",
        { from: 1000, to: 61_000 },
        20_000,
      ),
    ).toBe(
      "SELECT mean(x) FROM m WHERE time >= 1000ms and time <= 61000ms GROUP BY time(20s) -- 20000 20s",
    );
  });

  it("rounds the range over the panel's points to Grafana's ladder, never below the datasource's 1 s", () => {
    expect(roundInterval(21_600)).toBe(20_000);
    expect(roundInterval(97_200)).toBe(120_000);
    expect(panelInterval({ from: 0, to: 6 * 3_600_000 })).toBe(20_000);
    expect(panelInterval({ from: 0, to: 60_000 })).toBe(1000);
    expect(formatInterval(500)).toBe("500ms");
    expect(formatInterval(120_000)).toBe("2m");
    expect(formatInterval(86_400_000)).toBe("1d");
  });
});

describe("what a query names", () => {
  it("tells measurements, aliases, tags and columns apart, skipping strings and regexes", () => {
    const names = influxQLNames(
      `SELECT sum("gap") / 1000 AS "tc1_c", "kind"::tag FROM (SELECT elapsed("tc1_c", 1ms) AS "gap" FROM "profile" WHERE "serial" =~ /^"x"$/ AND "kind" = 'a "b"' AND $timeFilter) GROUP BY "station"`,
    );
    expect(names.measurements).toEqual(["profile"]);
    expect(names.aliases).toEqual(["tc1_c", "gap"]);
    expect(names.tags).toEqual(["kind"]);
    expect(names.columns).toEqual(["gap", "tc1_c", "serial", "kind", "station"]);
    expect(names.unquoted).toEqual([]);
    expect(
      influxQLNames('SHOW TAG VALUES FROM "unit" WITH KEY = "serial" WHERE "site" =~ /^$site$/')
        .tags,
    ).toEqual(["serial"]);
  });

  it("knows the columns a SELECT returns and the tags it groups by", () => {
    expect(
      selectedColumns(
        'SELECT last("fpy") AS "fpy", "limit", "state"::tag, count("x"), top("score", "serial", 5) AS "score" FROM "m" GROUP BY time(1h), "station", "kind" fill(0)',
      ),
    ).toEqual(["fpy", "limit", "state", "count", "score", "serial"]);
    expect(
      groupByTags(
        'SELECT x FROM m WHERE $timeFilter GROUP BY time($__interval), "station", "kind" fill(0)',
      ),
    ).toEqual(["station", "kind"]);
  });
});
