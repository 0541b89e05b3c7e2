import { Point } from "@influxdata/influxdb-client";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import {
  createDecoder,
  DEFAULT_DECODE_OPTIONS,
  type Decoded,
  decodeMessage,
  REJECT_REASONS,
  type Rejection,
  type StoredPoint,
} from "./index.ts";
import { CORPUS_NOW } from "./test-support/gen-corpus.ts";
import { parseLine } from "./test-support/line-protocol.ts";
import { validCorpus } from "./test-support/valid-corpus.ts";

const TS = 1_764_270_000_123;
const now = () => CORPUS_NOW;
const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

/** The line, read back the way InfluxDB reads it, says exactly what the structured point says. */
function expectLineMatchesPoint(point: StoredPoint): void {
  expect(point.line).not.toMatch(/[\n\r]/);
  const parsed = parseLine(point.line);
  expect(parsed).toEqual({
    measurement: point.measurement,
    tags: point.tags,
    fields: point.fields,
    ts: point.ts,
  });
}

/** Within one message no two points may share series and time: InfluxDB would keep only one. */
function expectDistinctSeriesTimes(points: StoredPoint[]): void {
  const keys = points.map((p) => {
    const tags = Object.keys(p.tags)
      .sort()
      .map((k) => `${k}=${p.tags[k]}`);
    return JSON.stringify([p.measurement, tags, p.ts]);
  });
  expect(new Set(keys).size).toBe(keys.length);
}

function decoded(result: Decoded | Rejection): Decoded {
  if (!result.ok) throw new Error(`rejected: ${result.reason}: ${result.detail}`);
  return result;
}

describe("valid corpus (testdata/valid/<case>)", () => {
  const cases = validCorpus();
  it("covers every channel and both signal forms", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    const channels = new Set(cases.map((c) => c.topic.split("/").at(-1)));
    for (const channel of ["unit", "spi", "test", "material", "event", "pack"]) {
      expect(channels).toContain(channel);
    }
  });
  for (const c of cases) {
    it(c.name, () => {
      const result = decoded(decodeMessage(c.topic, c.payload, { ...c.options, now }));
      expect(result.points.map((p) => p.line)).toEqual(c.expected);
      for (const point of result.points) expectLineMatchesPoint(point);
      expectDistinctSeriesTimes(result.points);
      // A replay of the same message produces the same points, so it overwrites itself.
      const replay = decoded(decodeMessage(c.topic, c.payload, { ...c.options, now }));
      expect(replay.points).toEqual(result.points);
    });
  }
});

describe("the result", () => {
  it("gives the topic levels back", () => {
    const result = decoded(
      decodeMessage("ems/plant-1/smt-1/reflow-1/reflow", bytes({ ts: TS, values: { a: 1 } }), {
        now,
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      channel: "reflow",
      site: "plant-1",
      line: "smt-1",
      station: "reflow-1",
    });
    expect(result.points[0]).toMatchObject({
      measurement: "reflow",
      tags: { site: "plant-1", line: "smt-1", station: "reflow-1" },
      fields: { a: 1 },
      ts: TS,
    });
  });

  it("is the same line Point writes for the same data", () => {
    const point = decoded(
      decodeMessage(
        "ems/s/l/st/unit",
        bytes({ ts: TS, serial: "S,1", event: "complete", result: "pass" }),
        { now },
      ),
    ).points[0] as StoredPoint;
    const reference = new Point("unit")
      .tag("station", "st")
      .tag("site", "s")
      .tag("serial", "S,1")
      .tag("line", "l")
      .tag("event", "complete")
      .stringField("result", "pass")
      .booleanField("seen", true)
      .timestamp(TS)
      .toLineProtocol();
    expect(point.line).toBe(reference);
  });
});

// Each hostile string with whether it is acceptable as [serial, tag label, free text].
const HOSTILE: [string, boolean, boolean, boolean][] = [
  ["a,b", true, true, true],
  ["a b", false, true, true],
  ["a=b", true, true, true],
  ['a"b', true, true, true],
  ['"quoted"', true, true, true],
  ["a'b", true, true, true],
  ["=", true, true, true],
  [",", true, true, true],
  ['"', true, true, true],
  ["a\\b", false, false, true],
  ["trailing\\", false, false, true],
  ["\\", false, false, true],
  ['\\"', false, false, true],
  ["a\\,b=c\\ d", false, false, true],
  ["a\nb", false, false, false],
  ["a\rb", false, false, false],
  ["a\tb", false, false, true],
  ["a\u0000b", false, false, false],
  ["\u007f", false, false, false],
  ["a\u001bb", false, false, false],
  ["a\u0085b", false, false, false],
  ["a\u2028b", false, false, true],
  ["a\u200bb", false, false, true],
  ["\u202eevil", false, false, true],
  ["\ufeffbom", false, false, true],
  ["a\ud800b", false, false, false],
  ["\udc00", false, false, false],
  ["😀", true, true, true],
  ["序列号", true, true, true],
  ["Ümlaut-ß", true, true, true],
  [" lead", false, false, true],
  ["trail ", false, false, true],
  ["in  side", false, true, true],
  [" ", false, false, true],
  ["a\u00a0b", false, false, true],
  ["a\u3000b", false, false, true],
  ["\ue000", false, false, true],
  ["\ufffd", false, false, true],
  ["\u{e0041}", false, false, true],
  ["x", true, true, true],
  ["", false, false, false],
  ["m,t=v f=1 0", false, true, true],
  ["'; DROP MEASUREMENT unit; --", false, true, true],
  ["x\n\nunit,site=evil seen=T 1", false, false, false],
  ['x" seen=T 1\nunit,site=evil seen=T', false, false, false],
  ["(01)04012345678901(21)A7", true, true, true],
  ["a".repeat(128), true, true, true],
  ["a".repeat(129), false, false, true],
  ["😀".repeat(128), true, true, true],
  ["#{}[]$@%^&*|~`<>?!", true, true, true],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, meant literally
  ["${jndi:ldap://x/a}", true, true, true],
  ["<script>alert(1)</script>", true, true, true],
  ["a\\\\b", false, false, true],
  ["a\\\nb", false, false, false],
];

type Slot = "serial" | "label" | "text";

interface Position {
  name: string;
  slot: Slot;
  topic: string;
  payload: (value: string) => unknown;
  lines: number;
  /** Where the value must be found, literally, in the parsed lines. */
  stored: (points: ReturnType<typeof parseLine>[], value: string) => boolean;
}

const tagOf =
  (measurement: string, key: string) => (points: ReturnType<typeof parseLine>[], value: string) =>
    points.some((p) => p.measurement === measurement && p.tags[key] === value);
const fieldOf =
  (measurement: string, key: string, transform: (v: string) => string = (v) => v) =>
  (points: ReturnType<typeof parseLine>[], value: string) =>
    points.some((p) => p.measurement === measurement && p.fields[key] === transform(value));

const test = (patch: Record<string, unknown>) => ({
  ts: TS,
  serial: "SN-1",
  kind: "fct",
  result: "pass",
  defects: [{ code: "bridge", ref: "U1" }],
  measurements: [{ name: "vcc", value: 3.3, low: 3, high: 3.6, unit: "V" }],
  firmware: { version: "1", checksum: "c" },
  ...patch,
});
const pad = { ref: "R1", volume_pct: 1, height_um: 1, area_pct: 1, offset_x_um: 0, offset_y_um: 0 };
const placement = { ref: "C1", part: "P", lot: "L" };

const POSITIONS: Position[] = [
  {
    name: "unit serial",
    slot: "serial",
    topic: "unit",
    payload: (v) => ({ ts: TS, serial: v, event: "start" }),
    lines: 1,
    stored: tagOf("unit", "serial"),
  },
  {
    name: "unit product",
    slot: "label",
    topic: "unit",
    payload: (v) => ({ ts: TS, serial: "S", event: "start", product: v }),
    lines: 1,
    stored: tagOf("unit", "product"),
  },
  {
    name: "unit panel",
    slot: "text",
    topic: "unit",
    payload: (v) => ({ ts: TS, serial: "S", event: "start", panel: v }),
    lines: 1,
    stored: fieldOf("unit", "panel"),
  },
  {
    name: "spi serial",
    slot: "serial",
    topic: "spi",
    payload: (v) => ({ ts: TS, serial: v, result: "pass", pads: [pad] }),
    lines: 2,
    stored: tagOf("spi_pad", "serial"),
  },
  {
    name: "spi product",
    slot: "label",
    topic: "spi",
    payload: (v) => ({ ts: TS, serial: "S", product: v, result: "pass", pads: [pad] }),
    lines: 2,
    stored: tagOf("spi", "product"),
  },
  {
    name: "spi pad ref",
    slot: "label",
    topic: "spi",
    payload: (v) => ({ ts: TS, serial: "S", result: "pass", pads: [{ ...pad, ref: v }] }),
    lines: 2,
    stored: tagOf("spi_pad", "ref"),
  },
  {
    name: "test serial",
    slot: "serial",
    topic: "test",
    payload: (v) => test({ serial: v }),
    lines: 3,
    stored: tagOf("test_defect", "serial"),
  },
  {
    name: "test program",
    slot: "text",
    topic: "test",
    payload: (v) => test({ program: v }),
    lines: 3,
    stored: fieldOf("test", "program"),
  },
  {
    name: "test defect code",
    slot: "label",
    topic: "test",
    payload: (v) => test({ defects: [{ code: v }] }),
    lines: 3,
    stored: tagOf("test_defect", "code"),
  },
  {
    name: "test defect ref",
    slot: "label",
    topic: "test",
    payload: (v) => test({ defects: [{ code: "c", ref: v }] }),
    lines: 3,
    stored: tagOf("test_defect", "ref"),
  },
  {
    name: "test measurement name",
    slot: "label",
    topic: "test",
    payload: (v) => test({ measurements: [{ name: v, value: 1 }] }),
    lines: 3,
    stored: tagOf("test_measurement", "name"),
  },
  {
    name: "test measurement unit",
    slot: "text",
    topic: "test",
    payload: (v) => test({ measurements: [{ name: "n", value: 1, unit: v }] }),
    lines: 3,
    stored: fieldOf("test_measurement", "unit"),
  },
  {
    name: "test firmware version",
    slot: "text",
    topic: "test",
    payload: (v) => test({ firmware: { version: v, checksum: "c" } }),
    lines: 3,
    stored: fieldOf("test", "firmware_version"),
  },
  {
    name: "test firmware license",
    slot: "text",
    topic: "test",
    payload: (v) => test({ firmware: { version: "1", checksum: "c", license: v } }),
    lines: 3,
    stored: fieldOf("test", "firmware_license"),
  },
  {
    name: "material serial",
    slot: "serial",
    topic: "material",
    payload: (v) => ({ ts: TS, serial: v, placements: [placement] }),
    lines: 1,
    stored: tagOf("placement", "serial"),
  },
  {
    name: "placement ref",
    slot: "label",
    topic: "material",
    payload: (v) => ({ ts: TS, serial: "S", placements: [{ ...placement, ref: v }] }),
    lines: 1,
    stored: tagOf("placement", "ref"),
  },
  {
    name: "placement part",
    slot: "text",
    topic: "material",
    payload: (v) => ({ ts: TS, serial: "S", placements: [{ ...placement, part: v }] }),
    lines: 1,
    stored: fieldOf("placement", "part"),
  },
  {
    name: "placement lot",
    slot: "text",
    topic: "material",
    payload: (v) => ({ ts: TS, serial: "S", placements: [{ ...placement, lot: v }] }),
    lines: 1,
    stored: fieldOf("placement", "lot"),
  },
  {
    name: "placement reel",
    slot: "text",
    topic: "material",
    payload: (v) => ({ ts: TS, serial: "S", placements: [{ ...placement, reel: v }] }),
    lines: 1,
    stored: fieldOf("placement", "reel"),
  },
  {
    name: "event kind",
    slot: "label",
    topic: "event",
    payload: (v) => ({ ts: TS, kind: v }),
    lines: 1,
    stored: tagOf("event", "kind"),
  },
  {
    name: "event code",
    slot: "label",
    topic: "event",
    payload: (v) => ({ ts: TS, kind: "stop", code: v }),
    lines: 1,
    stored: tagOf("event", "code"),
  },
  {
    name: "event message",
    slot: "text",
    topic: "event",
    payload: (v) => ({ ts: TS, kind: "stop", message: v }),
    lines: 1,
    stored: fieldOf("event", "message"),
  },
  {
    name: "pack container",
    slot: "label",
    topic: "pack",
    payload: (v) => ({ ts: TS, container: v, kind: "box" }),
    lines: 1,
    stored: tagOf("pack", "container"),
  },
  {
    name: "pack serials item",
    slot: "serial",
    topic: "pack",
    payload: (v) => ({ ts: TS, container: "B", kind: "box", serials: [v] }),
    lines: 1,
    stored: fieldOf("pack", "serials", (v) => JSON.stringify([v])),
  },
  {
    name: "pack containers item",
    slot: "label",
    topic: "pack",
    payload: (v) => ({ ts: TS, container: "P", kind: "pallet", containers: [v] }),
    lines: 1,
    stored: fieldOf("pack", "containers", (v) => JSON.stringify([v])),
  },
  {
    name: "pack destination",
    slot: "text",
    topic: "pack",
    payload: (v) => ({ ts: TS, container: "B", kind: "box", destination: v }),
    lines: 1,
    stored: fieldOf("pack", "destination"),
  },
  {
    name: "signal serial",
    slot: "serial",
    topic: "profiler",
    payload: (v) => ({ ts: TS, serial: v, values: { t: 1 } }),
    lines: 1,
    stored: tagOf("profiler", "serial"),
  },
  {
    name: "signal batch serial",
    slot: "serial",
    topic: "profiler",
    payload: (v) => ({
      samples: [
        { ts: TS, values: { t: 1 } },
        { ts: TS, serial: v, values: { t: 2 } },
      ],
    }),
    lines: 2,
    stored: tagOf("profiler", "serial"),
  },
];

describe("injection: every hostile string in every position is stored literally or rejected", () => {
  const slotIndex = { serial: 1, label: 2, text: 3 } as const;
  for (const position of POSITIONS) {
    it(position.name, () => {
      const problems: string[] = [];
      for (const row of HOSTILE) {
        const value = row[0];
        const acceptable = row[slotIndex[position.slot]];
        const result = decodeMessage(
          `ems/plant-1/smt-1/st-1/${position.topic}`,
          bytes(position.payload(value)),
          { now },
        );
        const shown = JSON.stringify(value).slice(0, 40);
        if (!acceptable) {
          const reason = position.slot === "serial" ? "bad_serial" : "invalid_field";
          if (result.ok || result.reason !== reason) {
            problems.push(
              `${shown}: expected ${reason}, got ${result.ok ? "accepted" : result.reason}`,
            );
          }
          continue;
        }
        if (!result.ok) {
          problems.push(`${shown}: rejected ${result.reason} ${result.detail}`);
          continue;
        }
        if (result.points.length !== position.lines) {
          problems.push(`${shown}: ${result.points.length} points, expected ${position.lines}`);
        }
        const parsed = result.points.map((p) => parseLine(p.line));
        if (!position.stored(parsed, value)) problems.push(`${shown}: not stored literally`);
        for (const point of result.points) expectLineMatchesPoint(point);
      }
      expect(problems).toEqual([]);
    });
  }
});

describe("never throws", () => {
  const topics = [
    "ems/p/l/s/unit",
    "ems/p/l/s/spi",
    "ems/p/l/s/test",
    "ems/p/l/s/material",
    "ems/p/l/s/event",
    "ems/p/l/s/pack",
    "ems/p/l/s/reflow",
  ];
  const seeds = validCorpus().map((c) => Buffer.from(c.payload));

  function check(topic: string, payload: Uint8Array): void {
    let result: Decoded | Rejection | undefined;
    expect(() => {
      result = decodeMessage(topic, payload, { now });
    }).not.toThrow();
    if (result === undefined) return;
    if (result.ok) {
      for (const point of result.points) expectLineMatchesPoint(point);
      expectDistinctSeriesTimes(result.points);
    } else {
      expect(REJECT_REASONS).toContain(result.reason);
      expect(result.reason).not.toBe("internal_error");
    }
  }

  it("on random bytes", () => {
    const rng = xoroshiro128plus(1782);
    const next = (max: number) => uniformInt(rng, 0, max);
    for (let i = 0; i < 2000; i++) {
      const payload = new Uint8Array(next(64));
      for (let j = 0; j < payload.length; j++) payload[j] = next(255);
      check(topics[next(topics.length - 1)] as string, payload);
    }
  });

  it("on mutated valid payloads (byte flips, cuts, splices)", () => {
    const rng = xoroshiro128plus(2026);
    const next = (max: number) => uniformInt(rng, 0, max);
    const splices = [
      '"',
      "\\",
      "\n",
      "1e999",
      "null",
      "[]",
      "{}",
      ",",
      "\u0000",
      "-0",
      "\ud800",
      '"ts"',
      "😀",
    ];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[next(seeds.length - 1)] as Buffer;
      let payload: Buffer;
      switch (next(2)) {
        case 0: {
          payload = Buffer.from(seed);
          for (let k = 0; k <= next(3); k++) payload[next(payload.length - 1)] = next(255);
          break;
        }
        case 1:
          payload = seed.subarray(0, next(seed.length));
          break;
        default: {
          const at = next(seed.length);
          const splice = Buffer.from(splices[next(splices.length - 1)] as string);
          payload = Buffer.concat([seed.subarray(0, at), splice, seed.subarray(at)]);
        }
      }
      const topic = topics[next(topics.length - 1)] as string;
      if (decodeMessage(topic, payload, { now }).ok) accepted++;
      check(topic, payload);
    }
    // Some mutations (inside a string or a number) still decode: those went through the checks above.
    expect(accepted).toBeGreaterThan(0);
  });

  it("on deep nesting and odd inputs", () => {
    check("ems/p/l/s/unit", bytes(`${"[".repeat(100_000)}${"]".repeat(100_000)}`));
    check("ems/p/l/s/unit", bytes(`${'{"a":'.repeat(40_000)}1${"}".repeat(40_000)}`));
    check(
      "ems/p/l/s/reflow",
      bytes(`{"ts":${TS},"values":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`),
    );
    check("ems/p/l/s/unit", new Uint8Array(0));
    check(`ems/p/l/s/${"x".repeat(100_000)}`, bytes({ ts: TS }));
    check("ems/p/l/s/unit", Buffer.from(bytes({ ts: TS, serial: "S", event: "start" })));
  });
});

describe("limits", () => {
  const unit = { ts: TS, serial: "S", event: "start" };
  it("accepts a payload of exactly maxPayloadBytes and refuses one byte more", () => {
    const text = JSON.stringify(unit);
    const padded = (size: number) => bytes(text + " ".repeat(size - text.length));
    const limit = DEFAULT_DECODE_OPTIONS.maxPayloadBytes;
    expect(decodeMessage("ems/p/l/s/unit", padded(limit), { now }).ok).toBe(true);
    expect(decodeMessage("ems/p/l/s/unit", padded(limit + 1), { now })).toMatchObject({
      ok: false,
      reason: "payload_too_large",
    });
  });

  it("accepts maxItems items and refuses one more", () => {
    const samples = (n: number) => ({
      samples: Array.from({ length: n }, (_, i) => ({ ts: TS - i, values: { a: i } })),
    });
    const topic = "ems/p/l/s/reflow";
    const roomy = { now, maxPayloadBytes: 1 << 20 };
    const at = decodeMessage(topic, bytes(samples(10_000)), roomy);
    expect(at.ok && at.points.length).toBe(10_000);
    expect(decodeMessage(topic, bytes(samples(10_001)), roomy)).toMatchObject({
      reason: "too_many_items",
      detail: "/samples: 10001 items, more than 10000",
    });
    expect(decodeMessage(topic, bytes(samples(5)), { now, maxItems: 4 })).toMatchObject({
      reason: "too_many_items",
    });
  });

  it("a window of Infinity accepts any calendar time", () => {
    const result = decodeMessage(
      "ems/p/l/s/event",
      bytes({ ts: "1970-01-01T00:00:00.000Z", kind: "stop" }),
      {
        now,
        maxPastMs: Number.POSITIVE_INFINITY,
      },
    );
    expect(result.ok && result.points[0]?.ts).toBe(0);
  });
});

describe("options", () => {
  it("createDecoder checks once and decodes the same", () => {
    const decode = createDecoder({ now, prefix: "factory/ems" });
    const payload = bytes({ ts: TS, values: { a: 1 } });
    expect(decode("factory/ems/p/l/s/reflow", payload)).toEqual(
      decodeMessage("factory/ems/p/l/s/reflow", payload, { now, prefix: "factory/ems" }),
    );
  });

  it("uses the real clock by default", () => {
    const result = decodeMessage("ems/p/l/s/event", bytes({ ts: Date.now(), kind: "stop" }));
    expect(result.ok).toBe(true);
    expect(
      decodeMessage("ems/p/l/s/event", bytes({ ts: TS - 31 * 86_400_000, kind: "stop" })),
    ).toMatchObject({
      reason: "ts_out_of_window",
    });
  });

  it.each([
    [{ prefix: "" }, /prefix/],
    [{ prefix: "ems/" }, /prefix/],
    [{ prefix: "ems/#" }, /prefix/],
    [{ prefix: "a b" }, /prefix/],
    [{ maxPayloadBytes: 0 }, /maxPayloadBytes/],
    [{ maxPayloadBytes: 1.5 }, /maxPayloadBytes/],
    [{ maxItems: -1 }, /maxItems/],
    [{ maxPastMs: Number.NaN }, /maxPastMs/],
    [{ maxFutureMs: -1 }, /maxFutureMs/],
    [{ now: 5 as unknown as () => number }, /now/],
  ])("refuses %o", (options, message) => {
    expect(() => createDecoder(options)).toThrow(message);
  });
});
