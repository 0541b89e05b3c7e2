import { describe, expect, it } from "vitest";
import { testServices, uniqueDatabase } from "../../test/index.ts";
import { decodeMessage, type StoredPoint } from "./index.ts";
import { CORPUS_NOW } from "./test-support/gen-corpus.ts";
import { validCorpus } from "./test-support/valid-corpus.ts";

// The codec's lines, written to a real InfluxDB and read back: every point arrives with exactly
// the tags and fields the codec meant, and nothing else arrives.

const now = () => CORPUS_NOW;

async function influx(path: string, body?: string): Promise<unknown> {
  const response = await fetch(`${testServices().influxUrl}${path}`, {
    method: "POST",
    ...(body === undefined
      ? {}
      : { body, headers: { "content-type": "text/plain; charset=utf-8" } }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

interface Series {
  name: string;
  columns: string[];
  values: unknown[][];
}

async function query(db: string, q: string): Promise<Series[]> {
  const result = (await influx(
    `/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`,
  )) as { results: { series?: Series[]; error?: string }[] };
  const first = result.results[0];
  if (first?.error) throw new Error(first.error);
  return first?.series ?? [];
}

/** Rows as InfluxDB returns them: time, tags and fields in one object, absent columns dropped. */
function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .filter((key) => row[key] !== null)
      .map((key) => [key, row[key]]),
  );
}

async function expectStoredExactly(points: StoredPoint[]): Promise<void> {
  const db = uniqueDatabase("contract");
  await influx(`/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`);
  try {
    await influx(`/write?db=${db}&precision=ms`, points.map((p) => p.line).join("\n"));
    const measurements = [...new Set(points.map((p) => p.measurement))].sort();
    const shown = (await query(db, "SHOW MEASUREMENTS"))[0]?.values.map((v) => v[0]) ?? [];
    expect(shown.sort()).toEqual(measurements);
    for (const measurement of measurements) {
      const [series] = await query(db, `SELECT * FROM "${measurement}"`);
      const rows = (series?.values ?? []).map((values) =>
        canonical(
          Object.fromEntries(series?.columns.map((column, i) => [column, values[i]]) ?? []),
        ),
      );
      const expected = points
        .filter((p) => p.measurement === measurement)
        .map((p) => canonical({ time: p.ts, ...p.tags, ...p.fields }));
      expect(rows.sort(), measurement).toEqual(expected.sort());
    }
  } finally {
    await influx(`/query?q=${encodeURIComponent(`DROP DATABASE "${db}"`)}`);
  }
}

describe("codec output in InfluxDB", () => {
  for (const c of validCorpus()) {
    it(`valid case ${c.name} reads back exactly`, async () => {
      const result = decodeMessage(c.topic, c.payload, { ...c.options, now });
      if (!result.ok) throw new Error(result.detail);
      await expectStoredExactly(result.points);
    });
  }

  it("hostile text in every tag and string field reads back literally, one point per message", async () => {
    const hostile = [
      "a,b",
      "a=b",
      'a"b',
      '"quoted"',
      "a'b",
      ",",
      "=",
      '"',
      "😀",
      "序列号",
      "(01)04012345678901(21)A7",
      "m,t=v",
      "#{}[]$@%^&*|~`<>?!",
    ];
    const withSpaces = ["a b", "in  side", "m,t=v f=1 0", "'; DROP MEASUREMENT unit; --"];
    const textOnly = [
      "a\\b",
      "trailing\\",
      "\\",
      '\\"',
      "a\\,b=c\\ d",
      "a\tb",
      " lead",
      "trail ",
      "\u202eevil",
      "a\u2028b",
      "\ufeffbom",
    ];
    const points: StoredPoint[] = [];
    let ts = 1_764_270_000_000;
    const decode = (channel: string, payload: Record<string, unknown>) => {
      const result = decodeMessage(
        `ems/plant-1/smt-1/st-1/${channel}`,
        new TextEncoder().encode(JSON.stringify({ ts: ts++, ...payload })),
        { now },
      );
      if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
      points.push(...result.points);
    };
    for (const value of hostile) {
      decode("unit", { serial: value, event: "start", product: value, panel: value });
      decode("event", { kind: value, code: value, message: value });
      decode("pack", { container: value, kind: "box", serials: [value], destination: value });
    }
    for (const value of withSpaces) {
      decode("event", { kind: value, code: value, message: value });
      decode("spi", {
        serial: "S",
        product: value,
        result: "pass",
        pads: [
          { ref: value, volume_pct: 1, height_um: 2, area_pct: 3, offset_x_um: 4, offset_y_um: 5 },
        ],
      });
    }
    for (const value of [...hostile, ...withSpaces, ...textOnly]) {
      decode("material", {
        serial: "S",
        placements: [{ ref: "C1", part: value, lot: value, supplier: value }],
      });
    }
    await expectStoredExactly(points);
  });

  it("extreme floats and a string field near InfluxDB's limit are accepted by the server", async () => {
    const result = decodeMessage(
      "ems/p/l/s/pack",
      new TextEncoder().encode(
        JSON.stringify({
          ts: 1_764_270_000_123,
          container: "PAL-1",
          kind: "pallet",
          // 2,730 serials of 21 characters: 65,521 bytes of JSON text, just under the 65,535 allowed.
          serials: Array.from({ length: 2730 }, (_, i) => `SN-${String(i).padStart(18, "0")}`),
        }),
      ),
      { now, maxPayloadBytes: 1 << 20 },
    );
    if (!result.ok) throw new Error(result.detail);
    const signal = decodeMessage(
      "ems/p/l/s/chamber",
      new TextEncoder().encode(
        `{"ts":1764270000123,"values":{"big":1.7976931348623157e308,"tiny":5e-324,"exp":1e21,"neg":-1e-7}}`,
      ),
      { now },
    );
    if (!signal.ok) throw new Error(signal.detail);
    await expectStoredExactly([...result.points, ...signal.points]);
  });
});
