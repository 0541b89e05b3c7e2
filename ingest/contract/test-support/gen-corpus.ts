// Writes the corpus of refused messages, testdata/invalid/<group>.ndjson: hand-picked hostile
// inputs plus every field of every payload crossed with wrong values. The expected reason of each
// case is stated here from the contract, never computed by the codec.
// Run: npx tsx ingest/contract/test-support/gen-corpus.ts   (a unit test fails on drift)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The clock of every corpus case (2025-11-27T19:01:00Z); payload timestamps lie a minute before. */
export const CORPUS_NOW = 1_764_270_060_000;
const TS = 1_764_270_000_123;

export interface InvalidCase {
  name: string;
  topic: string;
  /** Payload as text (UTF-8 encoded by the test), or raw bytes in base64 when not UTF-8. */
  payload?: string;
  payloadBase64?: string;
  /** Decode options beside the fixed clock. */
  options?: { prefix?: string; maxPayloadBytes?: number; maxItems?: number };
  reason: string;
  /** JSON Pointer the rejection detail must start with. */
  path?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Kind = "ts" | "serial" | "label" | "text" | "number" | "enum" | "object" | "array";

interface FieldSpec {
  path: (string | number)[];
  kind: Kind;
  required: boolean;
}

interface ChannelSpec {
  channel: string;
  topicChannel: string;
  base: { [key: string]: Json };
  fields: FieldSpec[];
  /** Paths of objects that refuse unknown properties. */
  objects: (string | number)[][];
}

const f = (path: (string | number)[], kind: Kind, required = true): FieldSpec => ({
  path,
  kind,
  required,
});

const CHANNELS: ChannelSpec[] = [
  {
    channel: "unit",
    topicChannel: "unit",
    base: {
      ts: TS,
      serial: "SN-1",
      event: "complete",
      product: "P1",
      panel: "PN1",
      result: "pass",
    },
    fields: [
      f(["ts"], "ts"),
      f(["serial"], "serial"),
      f(["event"], "enum"),
      f(["product"], "label", false),
      f(["panel"], "text", false),
      f(["result"], "enum", false),
    ],
    objects: [[]],
  },
  {
    channel: "spi",
    topicChannel: "spi",
    base: {
      ts: TS,
      serial: "SN-1",
      product: "P1",
      result: "pass",
      pads: [
        {
          ref: "R1.1",
          volume_pct: 100,
          height_um: 120,
          area_pct: 99,
          offset_x_um: 1,
          offset_y_um: -1,
        },
      ],
    },
    fields: [
      f(["ts"], "ts"),
      f(["serial"], "serial"),
      f(["product"], "label", false),
      f(["result"], "enum"),
      f(["pads"], "array"),
      f(["pads", 0], "object"),
      f(["pads", 0, "ref"], "label"),
      f(["pads", 0, "volume_pct"], "number"),
      f(["pads", 0, "height_um"], "number"),
      f(["pads", 0, "area_pct"], "number"),
      f(["pads", 0, "offset_x_um"], "number"),
      f(["pads", 0, "offset_y_um"], "number"),
    ],
    objects: [[], ["pads", 0]],
  },
  {
    channel: "test",
    topicChannel: "test",
    base: {
      ts: TS,
      serial: "SN-1",
      kind: "fct",
      result: "pass",
      program: "prog",
      defects: [{ code: "bridge", ref: "U1" }],
      measurements: [{ name: "vcc", value: 1, low: 0, high: 2, unit: "V" }],
      firmware: { version: "1.0", checksum: "abc", mac: "00:11", license: "K-1" },
    },
    fields: [
      f(["ts"], "ts"),
      f(["serial"], "serial"),
      f(["kind"], "enum"),
      f(["result"], "enum"),
      f(["program"], "text", false),
      f(["defects"], "array", false),
      f(["defects", 0], "object"),
      f(["defects", 0, "code"], "label"),
      f(["defects", 0, "ref"], "label", false),
      f(["measurements"], "array", false),
      f(["measurements", 0], "object"),
      f(["measurements", 0, "name"], "label"),
      f(["measurements", 0, "value"], "number"),
      f(["measurements", 0, "low"], "number", false),
      f(["measurements", 0, "high"], "number", false),
      f(["measurements", 0, "unit"], "text", false),
      f(["firmware"], "object", false),
      f(["firmware", "version"], "text"),
      f(["firmware", "checksum"], "text"),
      f(["firmware", "mac"], "text", false),
      f(["firmware", "license"], "text", false),
    ],
    objects: [[], ["defects", 0], ["measurements", 0], ["firmware"]],
  },
  {
    channel: "material",
    topicChannel: "material",
    base: {
      ts: TS,
      serial: "SN-1",
      placements: [
        { ref: "C1", part: "P-1", lot: "L-1", supplier: "S", date_code: "2447", reel: "R-1" },
      ],
    },
    fields: [
      f(["ts"], "ts"),
      f(["serial"], "serial"),
      f(["placements"], "array"),
      f(["placements", 0], "object"),
      f(["placements", 0, "ref"], "label"),
      f(["placements", 0, "part"], "text"),
      f(["placements", 0, "lot"], "text"),
      f(["placements", 0, "supplier"], "text", false),
      f(["placements", 0, "date_code"], "text", false),
      f(["placements", 0, "reel"], "text", false),
    ],
    objects: [[], ["placements", 0]],
  },
  {
    channel: "event",
    topicChannel: "event",
    base: { ts: TS, kind: "stop", code: "E1", message: "door open" },
    fields: [
      f(["ts"], "ts"),
      f(["kind"], "label"),
      f(["code"], "label", false),
      f(["message"], "text", false),
    ],
    objects: [[]],
  },
  {
    channel: "pack",
    topicChannel: "pack",
    base: {
      ts: TS,
      container: "BOX-1",
      kind: "box",
      serials: ["SN-1", "SN-2"],
      containers: ["TRAY-1"],
      destination: "DC-1",
    },
    fields: [
      f(["ts"], "ts"),
      f(["container"], "label"),
      f(["kind"], "enum"),
      f(["serials"], "array", false),
      f(["serials", 1], "serial"),
      f(["containers"], "array", false),
      f(["containers", 0], "label"),
      f(["destination"], "text", false),
    ],
    objects: [[]],
  },
  {
    channel: "signal",
    topicChannel: "reflow",
    base: { ts: TS, values: { z1_top_c: 245.1, o2_ppm: 480 }, serial: "SN-1" },
    fields: [
      f(["ts"], "ts"),
      f(["values"], "object"),
      f(["values", "z1_top_c"], "number", false),
      f(["serial"], "serial", false),
    ],
    objects: [[]],
  },
  {
    channel: "signal-batch",
    topicChannel: "reflow",
    base: {
      samples: [
        { ts: TS, values: { z1_top_c: 245.1 } },
        { ts: TS + 10, values: { z1_top_c: 245.3, o2_ppm: 480 }, serial: "SN-1" },
      ],
    },
    fields: [
      f(["samples"], "array", false),
      f(["samples", 1], "object"),
      f(["samples", 1, "ts"], "ts"),
      f(["samples", 1, "values"], "object"),
      f(["samples", 1, "values", "o2_ppm"], "number", false),
      f(["samples", 1, "serial"], "serial", false),
    ],
    objects: [["samples", 1]],
  },
];

const RAW = "\u0000raw:";

function clone<T>(value: T): T {
  return structuredClone(value);
}

function pointer(path: (string | number)[]): string {
  return path.length === 0 ? "/" : `/${path.join("/")}`;
}

function parentOf(root: Json, path: (string | number)[]): Record<string | number, Json> {
  let node = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  return node;
}

function withValue(base: Json, path: (string | number)[], value: Json | undefined): Json {
  const copy = clone(base);
  const parent = parentOf(copy, path);
  const key = path[path.length - 1] as string | number;
  if (value === undefined) delete parent[key];
  // defineProperty, so that a key named __proto__ becomes a real property of the payload.
  else
    Object.defineProperty(parent, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

/** JSON text; strings starting with RAW are written as raw JSON (numbers JSON.stringify cannot make). */
function text(payload: Json): string {
  return JSON.stringify(payload).replace(/"\\u0000raw:([^"]*)"/g, "$1");
}

const LONG_TAG = "S".repeat(129);

const WRONG_TYPES: Record<Kind, Json[]> = {
  ts: [null, true, [], {}],
  serial: [null, true, 42, [], {}, ["SN-1"]],
  label: [null, true, 42, [], {}],
  text: [null, false, 42, [], {}],
  number: [null, true, "1", "NaN", "Infinity", [], {}, [1]],
  enum: [null, true, 1, [], {}],
  object: [null, true, 1, "x", []],
  array: [null, true, 1, "x", {}],
};

const BAD_TS: [string, Json][] = [
  ["fraction", 1_764_270_000_123.5],
  ["small-fraction", 1.5],
  ["negative-fraction", -0.5],
  ["unsafe-integer", 9_007_199_254_740_992],
  ["huge-integer", 1e20],
  ["digits-as-text", "1764270000123"],
  ["empty", ""],
  ["space", " "],
  ["word", "now"],
  ["no-millis", "2025-11-27T19:00:00Z"],
  ["two-fraction-digits", "2025-11-27T19:00:00.12Z"],
  ["four-fraction-digits", "2025-11-27T19:00:00.1234Z"],
  ["microseconds", "2025-11-27T19:00:00.123456Z"],
  ["no-offset", "2025-11-27T19:00:00.123"],
  ["space-separator", "2025-11-27 19:00:00.123Z"],
  ["lowercase-t-z", "2025-11-27t19:00:00.123z"],
  ["compact-offset", "2025-11-27T20:00:00.123+0100"],
  ["hour-offset", "2025-11-27T20:00:00.123+01"],
  ["short-offset-hour", "2025-11-27T20:00:00.123+1:00"],
  ["comma-fraction", "2025-11-27T19:00:00,123Z"],
  ["basic-format", "20251127T190000.123Z"],
  ["date-only", "2025-11-27"],
  ["week-date", "2025-W48-4T19:00:00.123Z"],
  ["ordinal-date", "2025-331T19:00:00.123Z"],
  ["expanded-year", "+02025-11-27T19:00:00.123Z"],
  ["feb-29-common-year", "2025-02-29T00:00:00.000Z"],
  ["nov-31", "2025-11-31T00:00:00.000Z"],
  ["month-13", "2025-13-01T00:00:00.000Z"],
  ["month-00", "2025-00-10T00:00:00.000Z"],
  ["day-00", "2025-11-00T00:00:00.000Z"],
  ["hour-24", "2025-11-27T24:00:00.000Z"],
  ["minute-60", "2025-11-27T19:60:00.000Z"],
  ["leap-second", "2025-11-27T23:59:60.000Z"],
  ["offset-24h", "2025-11-27T19:00:00.123+24:00"],
  ["offset-minute-60", "2025-11-27T19:00:00.123+01:60"],
  ["fullwidth-digits", "２０２５-１１-２７T19:00:00.123Z"],
  ["trailing-space", "2025-11-27T19:00:00.123Z "],
  ["leading-space", " 2025-11-27T19:00:00.123Z"],
  ["trailing-newline", "2025-11-27T19:00:00.123Z\n"],
  ["rfc2822", "Thu, 27 Nov 2025 19:00:00 GMT"],
  ["false", false],
  ["object-date", { $date: "2025-11-27T19:00:00.123Z" }],
];

const OUT_OF_WINDOW: [string, Json][] = [
  ["epoch-seconds", 1_764_270_000],
  ["zero", 0],
  ["negative", -1],
  ["just-too-old", CORPUS_NOW - 30 * 86_400_000 - 1],
  ["just-too-new", CORPUS_NOW + 300_000 + 1],
  ["max-safe-integer", 9_007_199_254_740_991],
  ["epoch-microseconds", 1_764_270_000_123_000],
  ["iso-old", "2025-10-01T00:00:00.000Z"],
  ["iso-far-future", "2099-01-01T00:00:00.000Z"],
  ["iso-year-1", "0001-01-01T00:00:00.000Z"],
  ["iso-year-9999", "9999-12-31T23:59:59.999Z"],
  ["iso-offset-pushes-out", "2025-11-27T19:00:00.123-14:00"],
];

const BAD_SERIALS: [string, Json][] = [
  ["empty", ""],
  ["too-long", LONG_TAG],
  ["space", "SN 1"],
  ["leading-space", " SN1"],
  ["trailing-space", "SN1 "],
  ["tab", "SN\t1"],
  ["newline", "SN\n1"],
  ["carriage-return", "SN\r1"],
  ["line-protocol-newline-injection", "SN-1\nunit,site=x seen=T 1"],
  ["nul", "SN\u00001"],
  ["del", "SN\u007f1"],
  ["escape", "SN\u001b[31m"],
  ["next-line-c1", "SN\u00851"],
  ["backslash", "SN\\1"],
  ["trailing-backslash", "SN1\\"],
  ["escaped-comma-lookalike", "SN\\,1"],
  ["zero-width-space", "SN\u200b1"],
  ["bidi-override", "\u202eSN1"],
  ["byte-order-mark", "\ufeffSN1"],
  ["soft-hyphen", "SN\u00ad1"],
  ["lone-high-surrogate", "SN\ud8001"],
  ["lone-low-surrogate", "SN\udc00"],
  ["no-break-space", "SN\u00a01"],
  ["ideographic-space", "SN\u30001"],
  ["line-separator", "SN\u20281"],
  ["replacement-character", "SN\ufffd"],
  ["private-use", "SN\ue000"],
  ["unicode-tag-character", "SN\u{e0041}"],
];

const BAD_LABELS: [string, Json][] = [
  ["empty", ""],
  ["too-long", LONG_TAG],
  ["leading-space", " X1"],
  ["trailing-space", "X1 "],
  ["only-space", " "],
  ["tab", "X\t1"],
  ["newline", "X\n1"],
  ["carriage-return", "X\r1"],
  ["nul", "X\u00001"],
  ["backslash", "X\\1"],
  ["trailing-backslash", "X1\\"],
  ["zero-width-joiner", "X\u200d1"],
  ["bidi-isolate", "X\u20661"],
  ["no-break-space", "X\u00a01"],
  ["lone-surrogate", "X\ud800"],
  ["next-line-c1", "X\u0085"],
];

const BAD_TEXTS: [string, Json][] = [
  ["empty", ""],
  ["newline", "line one\nline two"],
  ["carriage-return", "a\rb"],
  ["crlf", "a\r\nb"],
  ["nul", "a\u0000b"],
  ["escape", "a\u001bb"],
  ["del", "a\u007fb"],
  ["next-line-c1", "a\u0085b"],
  ["lone-surrogate", "a\ud800b"],
  ["newline-injection", 'x"\nunit,site=evil seen=T 1\n'],
];

const BAD_ENUMS: Record<string, Json[]> = {
  "unit/event": ["stop", "START", "", "start "],
  "unit/result": ["ok", "PASS", ""],
  "spi/result": ["good", "NG", ""],
  "test/kind": ["xray", "AOI", "spi", ""],
  "test/result": ["scrap", "Fail", ""],
  "pack/kind": ["crate", "Box", ""],
};

const BAD_VALUE_KEYS: string[] = [
  "",
  "1a",
  "9",
  "a b",
  "a-b",
  "a.b",
  "a,b",
  "a=b",
  'a"b',
  "a\\b",
  "a\nb",
  "ä",
  "a\u200b",
  "time",
  "site",
  "line",
  "station",
  "serial",
  "__proto__",
  "_field",
  "_measurement",
  "_value",
  "_start",
  "_stop",
  "_time",
  "k".repeat(65),
];

function topicOf(spec: ChannelSpec): string {
  return `ems/plant-1/smt-1/st-1/${spec.topicChannel}`;
}

function reasonFor(kind: Kind): string {
  if (kind === "ts") return "bad_ts";
  if (kind === "serial") return "bad_serial";
  return "invalid_field";
}

function fieldCases(): InvalidCase[] {
  const cases: InvalidCase[] = [];
  for (const spec of CHANNELS) {
    const topic = topicOf(spec);
    const add = (name: string, payload: Json, reason: string, path: (string | number)[]) =>
      cases.push({
        name: `${spec.channel}${pointer(path)}: ${name}`,
        topic,
        payload: text(payload),
        reason,
        path: pointer(path),
      });
    for (const field of spec.fields) {
      if (field.required) {
        const reason =
          field.kind === "ts"
            ? "missing_ts"
            : field.kind === "serial"
              ? "bad_serial"
              : "invalid_field";
        // Removing an array element is not "missing": the array just gets shorter.
        if (typeof field.path[field.path.length - 1] === "string") {
          add("missing", withValue(spec.base, field.path, undefined), reason, field.path);
        }
      }
      for (const wrong of WRONG_TYPES[field.kind]) {
        add(
          `wrong type ${JSON.stringify(wrong)}`,
          withValue(spec.base, field.path, wrong),
          reasonFor(field.kind),
          field.path,
        );
      }
      if (field.kind === "number" || field.kind === "ts") {
        for (const raw of ["1e999", "-1e999", "1e309"]) {
          add(
            `non-finite ${raw}`,
            withValue(spec.base, field.path, `${RAW}${raw}`),
            "non_finite",
            field.path,
          );
        }
      }
      if (field.kind === "ts") {
        for (const [name, value] of BAD_TS)
          add(`bad ts ${name}`, withValue(spec.base, field.path, value), "bad_ts", field.path);
        for (const [name, value] of OUT_OF_WINDOW) {
          add(
            `out of window ${name}`,
            withValue(spec.base, field.path, value),
            "ts_out_of_window",
            field.path,
          );
        }
      }
      if (field.kind === "serial") {
        for (const [name, value] of BAD_SERIALS)
          add(
            `bad serial ${name}`,
            withValue(spec.base, field.path, value),
            "bad_serial",
            field.path,
          );
      }
      if (field.kind === "label") {
        for (const [name, value] of BAD_LABELS)
          add(
            `bad tag text ${name}`,
            withValue(spec.base, field.path, value),
            "invalid_field",
            field.path,
          );
      }
      if (field.kind === "text") {
        for (const [name, value] of BAD_TEXTS)
          add(
            `bad text ${name}`,
            withValue(spec.base, field.path, value),
            "invalid_field",
            field.path,
          );
      }
      if (field.kind === "enum") {
        for (const value of BAD_ENUMS[`${spec.channel}/${field.path.join("/")}`] ?? []) {
          add(
            `not in enum ${JSON.stringify(value)}`,
            withValue(spec.base, field.path, value),
            "invalid_field",
            field.path,
          );
        }
      }
    }
    for (const object of spec.objects) {
      for (const key of ["extra", "Serial", "serail", "__proto__", "constructor"]) {
        // Timestamp-less and serial-less channels must refuse those as unknown too.
        const path = [...object, key];
        add(`unknown property ${key}`, withValue(spec.base, path, "x"), "invalid_field", path);
      }
    }
  }
  return cases;
}

function signalCases(): InvalidCase[] {
  const topic = "ems/plant-1/smt-1/st-1/reflow";
  const cases: InvalidCase[] = [];
  for (const key of BAD_VALUE_KEYS) {
    cases.push({
      name: `signal value name ${JSON.stringify(key)}`,
      topic,
      payload: JSON.stringify({ ts: TS, values: { ok: 1, [key]: 2 } }),
      reason: "invalid_field",
      path: "/values/",
    });
    cases.push({
      name: `signal batch value name ${JSON.stringify(key)}`,
      topic,
      payload: JSON.stringify({ samples: [{ ts: TS, values: { [key]: 2 } }] }),
      reason: "invalid_field",
      path: "/samples/0/values/",
    });
  }
  const more: [string, string, string, string?][] = [
    ["empty values", JSON.stringify({ ts: TS, values: {} }), "invalid_field", "/values"],
    ["empty samples", JSON.stringify({ samples: [] }), "invalid_field", "/samples"],
    [
      "empty values in batch",
      JSON.stringify({ samples: [{ ts: TS, values: {} }] }),
      "invalid_field",
      "/samples/0/values",
    ],
    ["values as array", JSON.stringify({ ts: TS, values: [1, 2] }), "invalid_field", "/values"],
    [
      "single and batch mixed",
      JSON.stringify({ ts: TS, values: { a: 1 }, samples: [{ ts: TS, values: { a: 1 } }] }),
      "invalid_field",
    ],
    ["no form at all", JSON.stringify({ serial: "SN-1" }), "missing_ts", "/ts"],
    ["empty object reads as a single sample", "{}", "missing_ts", "/ts"],
    [
      "batch sample without ts",
      JSON.stringify({ samples: [{ values: { a: 1 } }] }),
      "missing_ts",
      "/samples/0/ts",
    ],
    ["batch of non-objects", JSON.stringify({ samples: [1, 2] }), "invalid_field", "/samples/0"],
    [
      "nested values",
      JSON.stringify({ ts: TS, values: { a: { b: 1 } } }),
      "invalid_field",
      "/values/a",
    ],
    [
      "value as numeric string",
      JSON.stringify({ ts: TS, values: { a: "1.5" } }),
      "invalid_field",
      "/values/a",
    ],
    [
      "value as boolean",
      JSON.stringify({ ts: TS, values: { a: true } }),
      "invalid_field",
      "/values/a",
    ],
    ["value null", JSON.stringify({ ts: TS, values: { a: null } }), "invalid_field", "/values/a"],
    [
      "value overflows to Infinity",
      `{"ts":${TS},"values":{"a":1,"b":2e308}}`,
      "non_finite",
      "/values/b",
    ],
    [
      "value underflow is fine but infinity is not",
      `{"ts":${TS},"values":{"a":1e-400,"b":-1e400}}`,
      "non_finite",
      "/values/b",
    ],
    [
      "batch value overflow",
      `{"samples":[{"ts":${TS},"values":{"a":1}},{"ts":${TS + 1},"values":{"a":1E999}}]}`,
      "non_finite",
      "/samples/1/values/a",
    ],
    ["ts overflows", `{"ts":1e999,"values":{"a":1}}`, "non_finite", "/ts"],
  ];
  for (const [name, payload, reason, path] of more) {
    cases.push({ name: `signal: ${name}`, topic, payload, reason, ...(path ? { path } : {}) });
  }
  return cases;
}

function duplicateCases(): InvalidCase[] {
  const iso = "2025-11-27T19:00:00.123Z";
  const list: [string, string, Json, string][] = [
    [
      "batch repeats an integer ts",
      "reflow",
      {
        samples: [
          { ts: TS, values: { a: 1 } },
          { ts: TS, values: { a: 2 } },
        ],
      },
      "/samples/1/ts",
    ],
    [
      "batch repeats a ts as ISO text",
      "reflow",
      {
        samples: [
          { ts: TS, values: { a: 1 } },
          { ts: iso, values: { b: 2 } },
        ],
      },
      "/samples/1/ts",
    ],
    [
      "batch repeats a ts in another offset",
      "reflow",
      {
        samples: [
          { ts: iso, values: { a: 1 } },
          { ts: "2025-11-27T20:00:00.123+01:00", values: { a: 1 } },
        ],
      },
      "/samples/1/ts",
    ],
    [
      "batch repeats ts and serial",
      "reflow",
      {
        samples: [
          { ts: TS, serial: "SN-1", values: { a: 1 } },
          { ts: TS, serial: "SN-1", values: { a: 2 } },
        ],
      },
      "/samples/1/ts",
    ],
    [
      "batch repeats late",
      "env",
      { samples: [0, 1, 2, 3, 4, 2].map((i) => ({ ts: TS + i, values: { rh_pct: 40 + i } })) },
      "/samples/5/ts",
    ],
    [
      "batch repeats an identical sample",
      "env",
      {
        samples: [
          { ts: TS, values: { a: 1 } },
          { ts: TS, values: { a: 1 } },
        ],
      },
      "/samples/1/ts",
    ],
    [
      "spi pad ref twice",
      "spi",
      {
        ts: TS,
        serial: "SN-1",
        result: "pass",
        pads: ["R1.1", "R1.2", "R1.1"].map((ref) => ({
          ref,
          volume_pct: 100,
          height_um: 1,
          area_pct: 1,
          offset_x_um: 0,
          offset_y_um: 0,
        })),
      },
      "/pads/2/ref",
    ],
    [
      "test measurement name twice",
      "test",
      {
        ts: TS,
        serial: "SN-1",
        kind: "ict",
        result: "pass",
        measurements: [
          { name: "r1", value: 1 },
          { name: "r1", value: 2 },
        ],
      },
      "/measurements/1/name",
    ],
    [
      "material ref twice",
      "material",
      {
        ts: TS,
        serial: "SN-1",
        placements: [
          { ref: "C1", part: "P", lot: "L" },
          { ref: "C1", part: "P", lot: "L2" },
        ],
      },
      "/placements/1/ref",
    ],
    [
      "pack serial twice",
      "pack",
      { ts: TS, container: "BOX-1", kind: "box", serials: ["SN-1", "SN-2", "SN-1"] },
      "/serials/2",
    ],
    [
      "pack container twice",
      "pack",
      { ts: TS, container: "PAL-1", kind: "pallet", containers: ["BOX-1", "BOX-1"] },
      "/containers/1",
    ],
  ];
  return list.map(([name, channel, payload, path]) => ({
    name,
    topic: `ems/plant-1/smt-1/st-1/${channel}`,
    payload: JSON.stringify(payload),
    reason: "duplicate_key",
    path,
  }));
}

function limitCases(): InvalidCase[] {
  const three = [0, 1, 2];
  const pad = (i: number) => ({
    ref: `R${i}`,
    volume_pct: 100,
    height_um: 1,
    area_pct: 1,
    offset_x_um: 0,
    offset_y_um: 0,
  });
  const list: [string, string, Json, string][] = [
    [
      "samples",
      "reflow",
      { samples: three.map((i) => ({ ts: TS + i, values: { a: i } })) },
      "/samples",
    ],
    ["values", "reflow", { ts: TS, values: { a: 1, b: 2, c: 3 } }, "/values"],
    [
      "values in a batch sample",
      "reflow",
      {
        samples: [
          { ts: TS, values: { a: 1 } },
          { ts: TS + 1, values: { a: 1, b: 2, c: 3 } },
        ],
      },
      "/samples/1/values",
    ],
    ["pads", "spi", { ts: TS, serial: "SN-1", result: "pass", pads: three.map(pad) }, "/pads"],
    [
      "placements",
      "material",
      {
        ts: TS,
        serial: "SN-1",
        placements: three.map((i) => ({ ref: `C${i}`, part: "P", lot: "L" })),
      },
      "/placements",
    ],
    [
      "measurements",
      "test",
      {
        ts: TS,
        serial: "SN-1",
        kind: "fct",
        result: "pass",
        measurements: three.map((i) => ({ name: `m${i}`, value: i })),
      },
      "/measurements",
    ],
    [
      "defects",
      "test",
      {
        ts: TS,
        serial: "SN-1",
        kind: "aoi",
        result: "fail",
        defects: three.map((i) => ({ code: "bridge", ref: `U${i}` })),
      },
      "/defects",
    ],
    [
      "serials",
      "pack",
      { ts: TS, container: "BOX-1", kind: "box", serials: three.map((i) => `SN-${i}`) },
      "/serials",
    ],
    [
      "containers",
      "pack",
      { ts: TS, container: "PAL-1", kind: "pallet", containers: three.map((i) => `BOX-${i}`) },
      "/containers",
    ],
    [
      "too many items even when other fields are wrong",
      "spi",
      { ts: "bad", serial: "", result: "x", pads: three.map(pad) },
      "/pads",
    ],
  ];
  const cases: InvalidCase[] = list.map(([name, channel, payload, path]) => ({
    name: `more than maxItems=2: ${name}`,
    topic: `ems/plant-1/smt-1/st-1/${channel}`,
    payload: JSON.stringify(payload),
    options: { maxItems: 2 },
    reason: "too_many_items",
    path,
  }));
  // 2,800 serials of 24 characters: 75 kB of JSON text, over what one InfluxDB string field holds.
  const serials = Array.from(
    { length: 2800 },
    (_, i) => `SN-2025-11-27-${String(i).padStart(10, "0")}`,
  );
  cases.push({
    name: "pack serials too long for one string field",
    topic: "ems/plant-1/pack-1/st-1/pack",
    payload: JSON.stringify({ ts: TS, container: "PAL-9", kind: "pallet", serials }),
    reason: "too_many_items",
    path: "/serials",
  });
  const unit = JSON.stringify({ ts: TS, serial: "SN-1", event: "start" });
  for (const limit of [1, 16, unit.length - 1]) {
    cases.push({
      name: `payload over maxPayloadBytes=${limit}`,
      topic: "ems/plant-1/smt-1/st-1/unit",
      payload: unit,
      options: { maxPayloadBytes: limit },
      reason: "payload_too_large",
    });
  }
  cases.push({
    name: "multi-byte characters count as bytes",
    topic: "ems/plant-1/smt-1/st-1/event",
    payload: JSON.stringify({ ts: TS, kind: "stop", message: "ü".repeat(40) }),
    options: { maxPayloadBytes: 100 },
    reason: "payload_too_large",
  });
  return cases;
}

function topicCases(): InvalidCase[] {
  const payload = JSON.stringify({ ts: TS, serial: "SN-1", event: "start" });
  const topics: [string, string][] = [
    ["empty", ""],
    ["prefix only", "ems"],
    ["prefix and slash", "ems/"],
    ["three levels", "ems/plant-1/smt-1/unit"],
    ["five levels", "ems/plant-1/smt-1/st-1/sub/unit"],
    ["wrong prefix case", "EMS/plant-1/smt-1/st-1/unit"],
    ["prefix lookalike", "emsx/plant-1/smt-1/st-1/unit"],
    ["other root", "factory/plant-1/smt-1/st-1/unit"],
    ["leading slash", "/ems/plant-1/smt-1/st-1/unit"],
    ["trailing slash", "ems/plant-1/smt-1/st-1/unit/"],
    ["tracebox's own alerts", "tracebox/alert/plant-1/smt-1/st-1"],
    ["shared subscription text", "$share/g/ems/plant-1/smt-1/st-1/unit"],
    ["system topic", "$SYS/broker/uptime"],
  ];
  const badSegments: [string, string][] = [
    ["empty", ""],
    ["space", "a b"],
    ["plus wildcard", "a+b"],
    ["hash wildcard", "#"],
    ["comma", "a,b"],
    ["equals", "a=b"],
    ["quote", 'a"b'],
    ["backslash", "a\\b"],
    ["umlaut", "hällé"],
    ["nul", "a\u0000b"],
    ["newline", "a\nb"],
    ["too long", "s".repeat(65)],
    ["colon", "a:b"],
    ["asterisk", "a*b"],
  ];
  const levels = ["plant-1", "smt-1", "st-1"];
  for (let i = 0; i < 3; i++) {
    for (const [name, segment] of badSegments) {
      const parts = [...levels];
      parts[i] = segment;
      topics.push([`${["site", "line", "station"][i]} ${name}`, `ems/${parts.join("/")}/unit`]);
    }
  }
  const badChannels: [string, string][] = [
    ...badSegments,
    ["capitalised record channel", "Unit"],
    ["upper case", "UNIT"],
    ["leading digit", "1reflow"],
    ["leading underscore", "_reflow"],
    ["hyphen", "re-flow"],
    ["dot", "re.flow"],
    ["upper case signal", "Reflow"],
    ["spi_pad is written by spi", "spi_pad"],
    ["placement is written by material", "placement"],
    ["test_measurement is written by test", "test_measurement"],
    ["test_defect is written by test", "test_defect"],
    ["alert is written by tracebox", "alert"],
    ["yield is written by tracebox", "yield"],
    ["risk is written by tracebox", "risk"],
    ["spc results are written by tracebox", "spc_xbar"],
    ["spc prefix alone", "spc_"],
    ["defect_pareto is written by tracebox", "defect_pareto"],
    ["defect_driver is written by tracebox", "defect_driver"],
    ["the ingestor's ledger is written by tracebox", "tracebox_ingest"],
    ["the ingestor's rejections are written by tracebox", "tracebox_ingest_rejected"],
    ["job runs are written by tracebox", "tracebox_job"],
    ["tracebox prefix alone", "tracebox_"],
  ];
  for (const [name, channel] of badChannels) {
    topics.push([`channel ${name}`, `ems/plant-1/smt-1/st-1/${channel}`]);
  }
  const cases: InvalidCase[] = topics.map(([name, topic]) => ({
    name: `topic ${name}`,
    topic,
    payload,
    reason: "bad_topic",
  }));
  cases.push({
    name: "topic under the default prefix when another is configured",
    topic: "ems/plant-1/smt-1/st-1/unit",
    payload,
    options: { prefix: "factory/ems" },
    reason: "bad_topic",
  });
  cases.push({
    name: "topic under only part of a multi-level prefix",
    topic: "factory/plant-1/smt-1/st-1/unit",
    payload,
    options: { prefix: "factory/ems" },
    reason: "bad_topic",
  });
  cases.push({
    name: "bad topic wins over a bad payload",
    topic: "ems/plant-1/smt-1/unit",
    payload: "not json",
    reason: "bad_topic",
  });
  return cases;
}

function encodingCases(): InvalidCase[] {
  const before = Buffer.from(`{"ts":${TS},"serial":"SN-`);
  const after = Buffer.from(`","event":"start"}`);
  const sequences: [string, number[]][] = [
    ["0xff", [0xff]],
    ["0xfe", [0xfe]],
    ["overlong nul", [0xc0, 0x80]],
    ["overlong slash", [0xc0, 0xaf]],
    ["overlong 0xc1", [0xc1, 0xbf]],
    ["overlong three-byte", [0xe0, 0x80, 0x80]],
    ["overlong four-byte", [0xf0, 0x80, 0x80, 0x80]],
    ["encoded high surrogate", [0xed, 0xa0, 0x80]],
    ["encoded low surrogate", [0xed, 0xbf, 0xbf]],
    ["encoded surrogate pair", [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["0xf5 lead", [0xf5, 0x80, 0x80, 0x80]],
    ["five-byte form", [0xf8, 0x88, 0x80, 0x80, 0x80]],
    ["six-byte form", [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]],
    ["lone continuation", [0x80]],
    ["lone continuation 0xbf", [0xbf]],
    ["truncated two-byte", [0xc3]],
    ["truncated three-byte", [0xe2, 0x82]],
    ["truncated four-byte", [0xf0, 0x9f, 0x98]],
    ["latin-1 umlaut", [0xe4]],
    ["cp1252 euro", [0x80, 0x31]],
  ];
  const cases: InvalidCase[] = sequences.map(([name, bytes]) => ({
    name: `invalid UTF-8 in a serial: ${name}`,
    topic: "ems/plant-1/smt-1/st-1/unit",
    payloadBase64: Buffer.concat([before, Buffer.from(bytes), after]).toString("base64"),
    reason: "not_utf8",
  }));
  const utf16 = Buffer.from(`{"ts":${TS},"kind":"stop"}`, "utf16le");
  cases.push(
    {
      name: "UTF-16LE with byte-order mark",
      topic: "ems/plant-1/smt-1/st-1/event",
      payloadBase64: Buffer.concat([Buffer.from([0xff, 0xfe]), utf16]).toString("base64"),
      reason: "not_utf8",
    },
    {
      name: "all 0xff",
      topic: "ems/plant-1/smt-1/st-1/event",
      payloadBase64: Buffer.alloc(64, 0xff).toString("base64"),
      reason: "not_utf8",
    },
    {
      name: "UTF-16LE without byte-order mark is valid UTF-8 with NULs, not JSON",
      topic: "ems/plant-1/smt-1/st-1/event",
      payloadBase64: utf16.toString("base64"),
      reason: "not_json",
    },
  );
  return cases;
}

function jsonCases(): InvalidCase[] {
  const texts: [string, string][] = [
    ["empty", ""],
    ["space", " "],
    ["newline", "\n"],
    ["open brace", "{"],
    ["close brace", "}"],
    ["trailing comma", `{"ts":${TS},"kind":"stop",}`],
    ["single quotes", `{'ts':${TS},'kind':'stop'}`],
    ["bare keys", `{ts:${TS},kind:"stop"}`],
    ["NaN", '{"ts":NaN,"kind":"stop"}'],
    ["Infinity literal", '{"ts":Infinity,"kind":"stop"}'],
    ["negative Infinity literal", '{"ts":-Infinity,"kind":"stop"}'],
    ["hex number", '{"ts":0x19AC,"kind":"stop"}'],
    ["leading zero", '{"ts":0123,"kind":"stop"}'],
    ["plus sign", `{"ts":+${TS},"kind":"stop"}`],
    ["bare fraction", '{"ts":.5,"kind":"stop"}'],
    ["dangling point", '{"ts":1.,"kind":"stop"}'],
    ["raw newline in a string", `{"ts":${TS},"kind":"stop","message":"a\nb"}`],
    ["raw tab in a string", `{"ts":${TS},"kind":"stop","message":"a\tb"}`],
    ["raw NUL in a string", `{"ts":${TS},"kind":"stop","message":"a\u0000b"}`],
    ["two objects", `{"ts":${TS},"kind":"stop"}{"ts":${TS},"kind":"stop"}`],
    ["two objects on two lines", `{"ts":${TS},"kind":"stop"}\n{"ts":${TS},"kind":"go"}`],
    ["trailing garbage", `{"ts":${TS},"kind":"stop"} x`],
    ["line comment", `// event\n{"ts":${TS},"kind":"stop"}`],
    ["block comment", `{"ts":${TS},/* c */"kind":"stop"}`],
    ["undefined", `{"ts":${TS},"kind":undefined}`],
    ["unterminated string", `{"ts":${TS},"kind":"stop`],
    ["bad escape", `{"ts":${TS},"kind":"\\x41"}`],
    ["short unicode escape", `{"ts":${TS},"kind":"\\u12"}`],
    ["escaped quote at end", `{"ts":${TS},"kind":"\\"}`],
    ["missing colon", `{"ts" ${TS},"kind":"stop"}`],
    ["double comma", `{"ts":${TS},,"kind":"stop"}`],
    ["lone comma", "{,}"],
    ["truncated literal", "nul"],
    ["truncated true", "tru"],
    ["NUL byte", "\u0000"],
    ["word", "stop"],
    ["second byte-order mark", `\ufeff\ufeff{"ts":${TS},"kind":"stop"}`],
    ["byte-order mark after space", ` \ufeff{"ts":${TS},"kind":"stop"}`],
    ["line protocol instead of JSON", "event,kind=stop seen=T 1764270000123"],
    ["form-encoded", "ts=1764270000123&kind=stop"],
    ["python dict", "{'ts': 1764270000123, 'kind': 'stop', 'code': None}"],
    ["JSON5 trailing comment", `{"ts":${TS},"kind":"stop"} // done`],
    ["unpaired bracket", `{"ts":${TS},"kind":["stop"}`],
    ["non-breaking space as whitespace", `{\u00a0"ts":${TS},"kind":"stop"}`],
  ];
  return texts.map(([name, payload]) => ({
    name: `not JSON: ${name}`,
    topic: "ems/plant-1/smt-1/st-1/event",
    payload,
    reason: "not_json",
  }));
}

function objectCases(): InvalidCase[] {
  const cases: InvalidCase[] = [];
  const values: [string, string][] = [
    ["null", "null"],
    ["true", "true"],
    ["false", "false"],
    ["number", "1764270000123"],
    ["string", '"SN-1"'],
    ["empty array", "[]"],
    ["array of the payload", `[{"ts":${TS},"kind":"stop"}]`],
    ["nested arrays", "[[[]]]"],
  ];
  for (const spec of CHANNELS) {
    if (spec.channel === "signal-batch") continue;
    for (const [name, payload] of values) {
      cases.push({
        name: `${spec.channel}: ${name} is not an object`,
        topic: topicOf(spec),
        payload,
        reason: "not_object",
      });
    }
  }
  return cases;
}

function otherRuleCases(): InvalidCase[] {
  return [
    {
      name: "test limits upside down",
      topic: "ems/plant-1/ict-1/st-1/test",
      payload: JSON.stringify({
        ts: TS,
        serial: "SN-1",
        kind: "ict",
        result: "pass",
        measurements: [{ name: "r1", value: 1, low: 2, high: 1 }],
      }),
      reason: "invalid_field",
      path: "/measurements/0/high",
    },
    {
      name: "material without placements",
      topic: "ems/plant-1/smt-1/st-1/material",
      payload: JSON.stringify({ ts: TS, serial: "SN-1", placements: [] }),
      reason: "invalid_field",
      path: "/placements",
    },
    {
      name: "text longer than 16383 characters",
      topic: "ems/plant-1/smt-1/st-1/event",
      payload: JSON.stringify({ ts: TS, kind: "stop", message: "m".repeat(16384) }),
      reason: "invalid_field",
      path: "/message",
    },
    {
      name: "serial of 128 emoji plus one",
      topic: "ems/plant-1/smt-1/st-1/unit",
      payload: JSON.stringify({ ts: TS, serial: "😀".repeat(129), event: "start" }),
      reason: "bad_serial",
      path: "/serial",
    },
    {
      name: "serial as a JSON-escaped lone surrogate",
      topic: "ems/plant-1/smt-1/st-1/unit",
      payload: `{"ts":${TS},"serial":"SN-\\ud83d","event":"start"}`,
      reason: "bad_serial",
      path: "/serial",
    },
    {
      name: "serial with an escaped newline",
      topic: "ems/plant-1/smt-1/st-1/unit",
      payload: `{"ts":${TS},"serial":"SN-1\\nunit,site=x seen=T 1","event":"start"}`,
      reason: "bad_serial",
      path: "/serial",
    },
    {
      name: "duplicate JSON keys: the last one is read, and it is wrong",
      topic: "ems/plant-1/smt-1/st-1/unit",
      payload: `{"ts":${TS},"serial":"SN-1","serial":"bad serial","event":"start"}`,
      reason: "bad_serial",
      path: "/serial",
    },
  ];
}

export function corpus(): Record<string, InvalidCase[]> {
  return {
    topics: topicCases(),
    encoding: encodingCases(),
    json: jsonCases(),
    objects: objectCases(),
    fields: fieldCases(),
    signal: signalCases(),
    duplicates: duplicateCases(),
    limits: limitCases(),
    rules: otherRuleCases(),
  };
}

export function ndjson(cases: InvalidCase[]): string {
  return `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`;
}

export const INVALID_DIR = fileURLToPath(new URL("../testdata/invalid/", import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  mkdirSync(INVALID_DIR, { recursive: true });
  let total = 0;
  for (const [group, cases] of Object.entries(corpus())) {
    writeFileSync(join(INVALID_DIR, `${group}.ndjson`), ndjson(cases));
    total += cases.length;
    console.log(`${group}: ${cases.length}`);
  }
  console.log(`total: ${total}`);
}
