import { TEXT_FORMATS } from "./formats.ts";
import { PAYLOAD_SCHEMAS, type PayloadName } from "./schemas.ts";

/** Published schema files are JSON Schema 2020-12; patterns are Unicode regular expressions. */
export const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

const TITLES: Record<PayloadName, string> = {
  unit: "tracebox MQTT v1: unit (a unit entering or leaving a station)",
  spi: "tracebox MQTT v1: spi (solder-paste inspection of one board)",
  test: "tracebox MQTT v1: test (AOI / AXI / ICT / FCT result of one unit)",
  material: "tracebox MQTT v1: material (components placed on one unit)",
  event: "tracebox MQTT v1: event (station event, IPC-1782 P1)",
  pack: "tracebox MQTT v1: pack (units and containers packed into a container)",
  signal: "tracebox MQTT v1: signal channel (continuous station readings)",
};

/** One valid payload per schema; the unit tests check that each one decodes. */
export const PAYLOAD_EXAMPLES: Record<PayloadName, unknown[]> = {
  unit: [
    { ts: 1764270000123, serial: "SN-000123", event: "start", product: "CTRL-7" },
    {
      ts: "2025-11-27T20:00:41.877+01:00",
      serial: "(01)04012345678901(21)A7",
      event: "complete",
      product: "CTRL-7",
      panel: "P-88",
      result: "pass",
    },
  ],
  spi: [
    {
      ts: 1764270000123,
      serial: "SN-000123",
      product: "CTRL-7",
      result: "pass",
      pads: [
        {
          ref: "R12.1",
          volume_pct: 98.5,
          height_um: 121,
          area_pct: 101.2,
          offset_x_um: 8,
          offset_y_um: -5,
        },
      ],
    },
  ],
  test: [
    {
      ts: 1764270000123,
      serial: "SN-000123",
      kind: "fct",
      result: "fail",
      program: "fct-ctrl7 v3.2",
      defects: [{ code: "vcc_low", ref: "U3" }],
      measurements: [{ name: "vcc_3v3", value: 3.12, low: 3.2, high: 3.4, unit: "V" }],
      firmware: { version: "1.4.2", checksum: "sha256:9f2c", mac: "00:1B:44:11:3A:B7" },
    },
  ],
  material: [
    {
      ts: 1764270000123,
      serial: "SN-000123",
      placements: [
        {
          ref: "C17",
          part: "GRM155R71C104KA88D",
          lot: "L2411-07",
          supplier: "Murata",
          reel: "R-55102",
        },
      ],
    },
  ],
  event: [{ ts: 1764270000123, kind: "failure", code: "E1023", message: "Nozzle 4 vacuum low" }],
  pack: [
    { ts: 1764270000123, container: "BOX-0042", kind: "box", serials: ["SN-000123", "SN-000124"] },
    {
      ts: 1764270000123,
      container: "PAL-0007",
      kind: "pallet",
      containers: ["BOX-0041", "BOX-0042"],
      destination: "DC Leipzig",
    },
  ],
  signal: [
    { ts: 1764270000123, values: { z1_top_c: 245.1, o2_ppm: 480 } },
    {
      samples: [
        { ts: 1764270000123, values: { z1_top_c: 245.1 } },
        { ts: 1764270000133, values: { z1_top_c: 245.3 } },
      ],
    },
  ],
};

/** Keys a reader looks for first; the rest keep their order. */
const KEY_ORDER = ["description", "type", "required", "properties", "additionalProperties"];

function byReadingOrder([a]: [string, unknown], [b]: [string, unknown]): number {
  const rank = (key: string) => {
    const i = KEY_ORDER.indexOf(key);
    return i === -1 ? KEY_ORDER.length : i;
  };
  return rank(a) - rank(b);
}

function toPublished(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toPublished);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node).sort(byReadingOrder)) {
    // Our named formats become the patterns they stand for (a validator without them would
    // otherwise ignore or refuse the unknown format names).
    if (key === "format" && typeof value === "string" && value in TEXT_FORMATS) {
      out.pattern = TEXT_FORMATS[value as keyof typeof TEXT_FORMATS].pattern;
      continue;
    }
    out[key] = toPublished(value);
  }
  return out;
}

/** The JSON Schema documents of docs/schema/, by payload name; `scripts/gen-schemas.ts` writes them. */
export function jsonSchemas(): Record<PayloadName, Record<string, unknown>> {
  const out = {} as Record<PayloadName, Record<string, unknown>>;
  for (const [name, schema] of Object.entries(PAYLOAD_SCHEMAS) as [PayloadName, unknown][]) {
    const body = toPublished(schema) as Record<string, unknown>;
    out[name] = {
      $schema: JSON_SCHEMA_DIALECT,
      $id: `urn:tracebox:mqtt:v1:${name}`,
      title: TITLES[name],
      ...body,
      examples: PAYLOAD_EXAMPLES[name],
    };
  }
  return out;
}

/** The file text of one schema, as committed. */
export function schemaFileText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
