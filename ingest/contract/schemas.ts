import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { FIELD_KEY_PATTERN, ISO_TIMESTAMP_PATTERN, type TextFormatName } from "./formats.ts";

// The MQTT contract v1, one definition per payload: the runtime validators, the exported
// TypeScript types and the published JSON Schemas (docs/schema/) all come from here.

const strict = { additionalProperties: false } as const;

function text(format: TextFormatName, description: string) {
  return Type.String({ format, description });
}

/** The schema node every `ts` uses; the codec recognises timestamp errors by this identity. */
export const Timestamp = Type.Union(
  [
    Type.Integer({ description: "Epoch milliseconds (UTC), e.g. 1764270000123." }),
    Type.String({
      pattern: ISO_TIMESTAMP_PATTERN,
      description:
        "ISO-8601 with exactly three fraction digits and an offset, e.g. 2025-11-27T19:00:00.123Z or 2025-11-27T20:00:00.123+01:00.",
    }),
  ],
  {
    description:
      "When it happened at the station: integer epoch milliseconds, or ISO-8601 text with milliseconds and offset. Must lie within the ingestor's window (default: 30 days back, 5 minutes ahead).",
  },
);

const SERIAL_RULE =
  "1-128 printable characters without whitespace or backslash; GS1 element strings such as (01)04012345678901(21)A7 are valid.";

/** A unit serial; the codec reports errors of this format as `bad_serial`. */
function serial(description: string) {
  return text("tracebox-serial", `${description} ${SERIAL_RULE}`);
}

const Serial = serial("Serial number of the unit (board). Stored as a tag.");

const Product = Type.Optional(
  text("tracebox-label", "Product (part number / variant) of the unit. Stored as a tag."),
);

export const UnitPayload = Type.Object(
  {
    ts: Timestamp,
    serial: Serial,
    event: Type.Union([Type.Literal("start"), Type.Literal("complete")], {
      description:
        "start: the unit entered the station; complete: it left. The start..complete window is the visit that ties station signals to the serial.",
    }),
    product: Product,
    panel: Type.Optional(
      text(
        "tracebox-text",
        "Panel (multi-board carrier) the unit travelled on. Stored as a field.",
      ),
    ),
    result: Type.Optional(
      Type.Union([Type.Literal("pass"), Type.Literal("fail"), Type.Literal("scrap")], {
        description: "Outcome at this station, usually sent with event=complete.",
      }),
    ),
  },
  { ...strict, description: "A unit entering or leaving a station (channel `unit`)." },
);

const Pad = Type.Object(
  {
    ref: text(
      "tracebox-label",
      "Pad reference, e.g. R12.1 or U3.A1; unique within the message. Stored as a tag.",
    ),
    volume_pct: Type.Number({ description: "Paste volume, percent of the stencil aperture." }),
    height_um: Type.Number({ description: "Paste height, micrometres." }),
    area_pct: Type.Number({ description: "Paste area, percent of the aperture." }),
    offset_x_um: Type.Number({ description: "Deposit offset in X, micrometres." }),
    offset_y_um: Type.Number({ description: "Deposit offset in Y, micrometres." }),
  },
  { ...strict, description: "One inspected pad." },
);

export const SpiPayload = Type.Object(
  {
    ts: Timestamp,
    serial: Serial,
    product: Product,
    result: Type.Union([Type.Literal("pass"), Type.Literal("fail"), Type.Literal("warning")], {
      description: "Board verdict of the solder-paste inspection.",
    }),
    pads: Type.Array(Pad, { description: "Every inspected pad of the board (may be empty)." }),
  },
  { ...strict, description: "Solder-paste inspection of one board (channel `spi`)." },
);

const Defect = Type.Object(
  {
    code: text("tracebox-label", "Defect code, e.g. bridge, tombstone, E1023. Stored as a tag."),
    ref: Type.Optional(
      text("tracebox-label", "Reference designator the defect is at, e.g. U3. Stored as a tag."),
    ),
  },
  { ...strict, description: "One defect call. Identical code+ref pairs are counted, not lost." },
);

const TestMeasurement = Type.Object(
  {
    name: text(
      "tracebox-label",
      "Measurement name, unique within the message, e.g. vcc_3v3. Stored as a tag.",
    ),
    value: Type.Number({ description: "Measured value." }),
    low: Type.Optional(Type.Number({ description: "Lower limit (inclusive)." })),
    high: Type.Optional(
      Type.Number({ description: "Upper limit (inclusive); must not be below low." }),
    ),
    unit: Type.Optional(text("tracebox-text", "Unit of value, e.g. V, mA, ohm.")),
  },
  { ...strict, description: "One measured test step." },
);

const Firmware = Type.Object(
  {
    version: text("tracebox-text", "Firmware version flashed or read back."),
    checksum: text("tracebox-text", "Firmware image checksum."),
    mac: Type.Optional(text("tracebox-text", "MAC address assigned to the unit.")),
    license: Type.Optional(text("tracebox-text", "License key assigned to the unit.")),
  },
  { ...strict, description: "Firmware programmed at this test (P3 record)." },
);

export const TestPayload = Type.Object(
  {
    ts: Timestamp,
    serial: Serial,
    kind: Type.Union(
      [Type.Literal("aoi"), Type.Literal("axi"), Type.Literal("ict"), Type.Literal("fct")],
      {
        description:
          "Test kind: automated optical / X-ray inspection, in-circuit test, functional test. Stored as a tag.",
      },
    ),
    result: Type.Union([Type.Literal("pass"), Type.Literal("fail")], {
      description: "Test verdict of the unit.",
    }),
    program: Type.Optional(text("tracebox-text", "Test program name and version.")),
    defects: Type.Optional(Type.Array(Defect, { description: "Defects found." })),
    measurements: Type.Optional(Type.Array(TestMeasurement, { description: "Measured steps." })),
    firmware: Type.Optional(Firmware),
  },
  { ...strict, description: "Result of an inspection or test of one unit (channel `test`)." },
);

const Placement = Type.Object(
  {
    ref: text(
      "tracebox-label",
      "Reference designator, unique within the message, e.g. C17. Stored as a tag.",
    ),
    part: text("tracebox-text", "Manufacturer or internal part number placed."),
    lot: text("tracebox-text", "Component lot (batch) number."),
    supplier: Type.Optional(text("tracebox-text", "Supplier of the component.")),
    date_code: Type.Optional(text("tracebox-text", "Date code printed on the reel.")),
    reel: Type.Optional(text("tracebox-text", "Reel (package) identifier.")),
  },
  { ...strict, description: "One component placed on the unit (IPC-1782 M3)." },
);

export const MaterialPayload = Type.Object(
  {
    ts: Timestamp,
    serial: Serial,
    placements: Type.Array(Placement, { minItems: 1, description: "Components placed." }),
  },
  { ...strict, description: "Components placed on one unit (channel `material`)." },
);

export const EventPayload = Type.Object(
  {
    ts: Timestamp,
    kind: text(
      "tracebox-label",
      "Event kind: stop, failure, changeover, or any other label of the station. Stored as a tag.",
    ),
    code: Type.Optional(
      text("tracebox-label", "Machine code of the event, e.g. E1023. Stored as a tag."),
    ),
    message: Type.Optional(text("tracebox-text", "Human-readable message.")),
  },
  { ...strict, description: "A station event, IPC-1782 P1 (channel `event`)." },
);

export const PackPayload = Type.Object(
  {
    ts: Timestamp,
    container: text(
      "tracebox-label",
      "Identifier of the box, pallet or shipment being filled. Stored as a tag.",
    ),
    kind: Type.Union([Type.Literal("box"), Type.Literal("pallet"), Type.Literal("shipment")], {
      description: "What the container is. Stored as a tag.",
    }),
    serials: Type.Optional(
      Type.Array(serial("Serial of a unit packed into the container."), {
        description: "Unit serials packed into the container (unique).",
      }),
    ),
    containers: Type.Optional(
      Type.Array(text("tracebox-label", "Container identifier."), {
        description: "Containers packed into this one, e.g. boxes onto a pallet (unique).",
      }),
    ),
    destination: Type.Optional(text("tracebox-text", "Where the container is shipped.")),
  },
  { ...strict, description: "Aggregation for forward traceability (channel `pack`)." },
);

const SignalValues = Type.Record(
  Type.String({ pattern: FIELD_KEY_PATTERN }),
  Type.Number({ description: "A finite reading." }),
  {
    ...strict,
    minProperties: 1,
    description:
      'Readings by name, e.g. {"z1_top_c": 245.1}. Names: letters, digits, underscore, not starting with a digit, up to 64; not time, site, line, station or serial.',
  },
);

export const SignalSample = Type.Object(
  {
    ts: Timestamp,
    values: SignalValues,
    serial: Type.Optional(
      serial(
        "Only when the reading belongs to one unit, e.g. a profiler riding on a board. Stored as a tag.",
      ),
    ),
  },
  { ...strict, description: "One reading of a signal channel." },
);

export const SignalBatch = Type.Object(
  {
    samples: Type.Array(SignalSample, {
      minItems: 1,
      description: "Readings; no two with the same ts and serial.",
    }),
  },
  { ...strict, description: "Several readings of a signal channel in one message." },
);

export const SignalPayload = Type.Union([SignalSample, SignalBatch], {
  description:
    "A signal channel (any channel other than unit, spi, test, material, event, pack): continuous readings stored in the measurement named after the channel.",
});

export type UnitPayload = Static<typeof UnitPayload>;
export type SpiPayload = Static<typeof SpiPayload>;
export type TestPayload = Static<typeof TestPayload>;
export type MaterialPayload = Static<typeof MaterialPayload>;
export type EventPayload = Static<typeof EventPayload>;
export type PackPayload = Static<typeof PackPayload>;
export type SignalSample = Static<typeof SignalSample>;
export type SignalBatch = Static<typeof SignalBatch>;
export type SignalPayload = Static<typeof SignalPayload>;

/** Every payload schema by the name of its published file (docs/schema/<name>.schema.json). */
export const PAYLOAD_SCHEMAS = {
  unit: UnitPayload,
  spi: SpiPayload,
  test: TestPayload,
  material: MaterialPayload,
  event: EventPayload,
  pack: PackPayload,
  signal: SignalPayload,
} as const satisfies Record<string, TSchema>;

export type PayloadName = keyof typeof PAYLOAD_SCHEMAS;
