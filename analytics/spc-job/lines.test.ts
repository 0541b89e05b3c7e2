import { Point } from "@influxdata/influxdb-client";
import { describe, expect, it } from "vitest";
import { line, serialsField, seriesKey, type ViolationFields, violationLine } from "./lines.ts";
import { T0 } from "./testing.ts";

const key = seriesKey("spc_violation", {
  characteristic: "o2 ppm,hall",
  site: "S=1",
  line: "L1",
  station: "reflow",
  rule: "we2",
  series: "location",
  side: "upper",
});

/** The violation through the general `line()`, as the job wrote it before. */
function general(fields: ViolationFields, ts: number): string {
  return line(
    key,
    {
      id: fields.id,
      value: fields.value,
      limit: fields.limit,
      serials: fields.serials.json,
      serials_truncated: fields.serials.truncated || null,
      serial_count: { int: fields.serialCount },
    },
    ts,
  );
}

describe("violation lines", () => {
  const many = Array.from({ length: 5000 }, (_, i) => `SN-"${i}"-${"x".repeat(10)}`);
  const cases: ViolationFields[] = [
    {
      id: "spc/a/location/run/upper/1",
      value: 0.1 + 0.2,
      limit: 100,
      serials: serialsField([]),
      serialCount: 0,
    },
    {
      id: 'spc/"q"\\b',
      value: -1.5e21,
      limit: 1e-7,
      serials: serialsField(["U1", "U2"]),
      serialCount: 2,
    },
    { id: "x", value: 5, limit: Number.NaN, serials: serialsField(many), serialCount: many.length },
    {
      id: "y",
      value: Number.POSITIVE_INFINITY,
      limit: -0,
      serials: serialsField(["a"]),
      serialCount: 1,
    },
  ];

  it.each(cases)("is what line() writes: $id", (fields) => {
    expect(violationLine(key, fields, T0)).toBe(general(fields, T0));
  });

  it("is what the client library's Point writes", () => {
    const fields = cases[1] as ViolationFields;
    const expected = new Point("spc_violation")
      .tag("characteristic", "o2 ppm,hall")
      .tag("site", "S=1")
      .tag("line", "L1")
      .tag("station", "reflow")
      .tag("rule", "we2")
      .tag("series", "location")
      .tag("side", "upper")
      .stringField("id", fields.id)
      .floatField("value", fields.value)
      .floatField("limit", fields.limit)
      .stringField("serials", fields.serials.json)
      .intField("serial_count", 2)
      .timestamp(String(T0))
      .toLineProtocol();
    expect(violationLine(key, fields, T0)).toBe(expected);
  });
});
