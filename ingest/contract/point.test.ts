import { Point } from "@influxdata/influxdb-client";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { SeriesLines } from "./point.ts";

/** What Point itself writes for the same reading: the reference SeriesLines must equal. */
function pointLine(
  measurement: string,
  tags: Record<string, string>,
  fields: Record<string, number>,
  ts: number,
): string | undefined {
  const point = new Point(measurement);
  for (const [key, value] of Object.entries(tags)) point.tag(key, value);
  for (const [key, value] of Object.entries(fields)) point.floatField(key, value);
  return point.timestamp(ts).toLineProtocol();
}

// Characters line protocol treats specially, and some it does not.
const HOSTILE = [
  ",",
  " ",
  "=",
  '"',
  "\\",
  "\n",
  "\r",
  "\t",
  "'",
  "é",
  "☃",
  "😀",
  "(",
  ")",
  "a",
  "Z",
  "0",
  "_",
];
// Around the boundaries of the timestamp shortcut (millions, then six digits).
const TIMESTAMPS = [
  0,
  1,
  999_999,
  1_000_000,
  1_000_001,
  1_999_999,
  1_764_270_000_000,
  1_764_270_999_999,
  1_764_271_000_000,
  Number.MAX_SAFE_INTEGER,
  -5,
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  245.1,
  1e21,
  -1e-7,
  5e-324,
  Number.MAX_VALUE,
  480,
  0.1 + 0.2,
  123456789012,
];

describe("SeriesLines", () => {
  it("writes byte for byte what Point writes, for hostile names and every kind of number", () => {
    const rng = xoroshiro128plus(17);
    const pick = <T>(list: readonly T[]): T => list[uniformInt(rng, 0, list.length - 1)] as T;
    const text = (min: number) => {
      let out = "";
      for (let i = uniformInt(rng, min, 8); i > 0; i--) out += pick(HOSTILE);
      return out;
    };
    for (let round = 0; round < 2000; round++) {
      const measurement = text(1);
      const tags: Record<string, string> = { site: text(1), line: text(1), station: text(1) };
      if (round % 2 === 0) tags.serial = text(1);
      const series = new SeriesLines(measurement, tags);
      // Several readings per series, with the key set changing now and then (it is cached).
      for (let reading = 0; reading < 5; reading++) {
        const fields: Record<string, number> = {};
        for (let i = uniformInt(rng, 1, 6); i > 0; i--)
          fields[`${pick(["b", "a", "z1", "Z", "_x"])}${i}`] = pick(NUMBERS);
        const ts =
          reading % 2 === 0 ? 1_700_000_000_000 + uniformInt(rng, 0, 3_000_000) : pick(TIMESTAMPS);
        expect(series.point(fields, ts).line).toBe(pointLine(measurement, tags, fields, ts));
      }
    }
  });

  it("keeps the tags and fields it was given, with -0 stored as the 0 the line says", () => {
    const tags = { site: "s", line: "l", station: "st" };
    const series = new SeriesLines("reflow", tags);
    const fields = { z1: 245.1, o2: 400 };
    const point = series.point(fields, 5);
    expect(point).toEqual({
      measurement: "reflow",
      tags,
      fields,
      ts: 5,
      line: "reflow,line=l,site=s,station=st o2=400,z1=245.1 5",
    });
    expect(point.fields).toBe(fields);
    const zero = series.point({ z1: -0, o2: 1 }, 6);
    expect(Object.is(zero.fields.z1, 0)).toBe(true);
    expect(zero.line).toBe("reflow,line=l,site=s,station=st o2=1,z1=0 6");
  });

  it("notices a changed key set even when the count of keys is the same", () => {
    const series = new SeriesLines("m", { site: "s" });
    expect(series.point({ a: 1, b: 2 }, 1).line).toBe("m,site=s a=1,b=2 1");
    expect(series.point({ a: 1, c: 3 }, 2).line).toBe("m,site=s a=1,c=3 2");
    expect(series.point({ c: 3, a: 1 }, 3).line).toBe("m,site=s a=1,c=3 3");
    expect(series.point({ c: 3 }, 4).line).toBe("m,site=s c=3 4");
  });
});
