import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FormatRegistry } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { jsonSchemas, TEXT_FORMATS, validatePayload } from "./index.ts";
import { PAYLOAD_EXAMPLES, schemaFileText } from "./json-schema.ts";

const SCHEMA_DIR = fileURLToPath(new URL("../../docs/schema/", import.meta.url));

describe("published JSON Schemas (docs/schema)", () => {
  const schemas = jsonSchemas();

  it("are the committed files; run `npx tsx scripts/gen-schemas.ts` after changing a schema", () => {
    const committed = readdirSync(SCHEMA_DIR).filter((file) => file.endsWith(".schema.json"));
    expect(committed.sort()).toEqual(
      Object.keys(schemas)
        .map((name) => `${name}.schema.json`)
        .sort(),
    );
    for (const [name, schema] of Object.entries(schemas)) {
      expect(readFileSync(`${SCHEMA_DIR}${name}.schema.json`, "utf8"), name).toBe(
        schemaFileText(schema),
      );
    }
  });

  it("name their dialect, id and title, describe every property, and carry no private format", () => {
    for (const [name, schema] of Object.entries(schemas)) {
      expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(schema.$id).toBe(`urn:tracebox:mqtt:v1:${name}`);
      expect(schema.title).toEqual(expect.any(String));
      const text = JSON.stringify(schema);
      expect(text).not.toContain('"format"');
      const walk = (node: unknown, path: string): void => {
        if (typeof node !== "object" || node === null) return;
        const properties = (node as { properties?: Record<string, { description?: string }> })
          .properties;
        for (const [key, property] of Object.entries(properties ?? {})) {
          expect(property.description, `${name}${path}/${key}`).toEqual(expect.any(String));
        }
        for (const [key, child] of Object.entries(node))
          if (key !== "examples") walk(child, `${path}/${key}`);
      };
      walk(schema, "");
    }
  });

  it("examples are valid payloads", () => {
    for (const [name, examples] of Object.entries(PAYLOAD_EXAMPLES)) {
      const channel = name === "signal" ? "reflow" : name;
      for (const example of examples)
        expect(validatePayload(channel, example), name).toEqual({ ok: true });
    }
  });

  it("patterns, read as Unicode regexes the way JSON Schema does, agree with the runtime formats", () => {
    const samples = [
      "SN-1",
      "a b",
      " a",
      "a ",
      "a\\b",
      "a\nb",
      "a\tb",
      "😀",
      "\ud800",
      "\u200b",
      "\u00a0",
      "",
      "x".repeat(128),
      "x".repeat(129),
      "序列号",
      "a\u0085",
      "in  side",
      "(01)0401(21)A7",
    ];
    for (const [name, format] of Object.entries(TEXT_FORMATS)) {
      const published = new RegExp(format.pattern, "u");
      const runtime = FormatRegistry.Get(name);
      expect(runtime, name).toBeDefined();
      for (const sample of samples)
        expect(published.test(sample), `${name} ${JSON.stringify(sample)}`).toBe(runtime?.(sample));
    }
  });
});

describe("validatePayload", () => {
  it("runs the rules a schema cannot state", () => {
    const ts = 1_764_270_000_123;
    expect(
      validatePayload("reflow", {
        samples: [
          { ts, values: { a: 1 } },
          { ts, values: { a: 2 } },
        ],
      }),
    ).toMatchObject({
      ok: false,
      reason: "duplicate_key",
    });
    expect(
      validatePayload("unit", { ts: "2025-02-30T00:00:00.000Z", serial: "S", event: "start" }),
    ).toMatchObject({
      reason: "bad_ts",
    });
  });

  it("does not check the time window: a simulated payload may lie in any year", () => {
    expect(validatePayload("event", { ts: 0, kind: "stop" })).toEqual({ ok: true });
  });

  it("refuses channel names a station may not publish, and non-objects", () => {
    expect(validatePayload("spi_pad", { ts: 1, values: { a: 1 } })).toMatchObject({
      reason: "bad_topic",
    });
    expect(validatePayload("Reflow", { ts: 1, values: { a: 1 } })).toMatchObject({
      reason: "bad_topic",
    });
    expect(validatePayload("unit", [])).toMatchObject({ reason: "not_object" });
  });

  it("reports the field and the reason", () => {
    expect(
      validatePayload("test", {
        ts: 1,
        serial: "S",
        kind: "fct",
        result: "pass",
        measurements: [{ name: "v", value: Number.POSITIVE_INFINITY }],
      }),
    ).toEqual({
      ok: false,
      reason: "non_finite",
      detail: "/measurements/0/value: Infinity is not a finite number",
    });
    expect(validatePayload("pack", { ts: 1, container: "B", kind: "crate" })).toEqual({
      ok: false,
      reason: "invalid_field",
      detail: '/kind: "crate" is not one of "box", "pallet", "shipment"',
    });
  });
});
