import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeMessage, REJECT_REASONS } from "./index.ts";
import {
  CORPUS_NOW,
  corpus,
  INVALID_DIR,
  type InvalidCase,
  ndjson,
} from "./test-support/gen-corpus.ts";

const files = readdirSync(INVALID_DIR).filter((file) => file.endsWith(".ndjson"));

function load(file: string): InvalidCase[] {
  return readFileSync(join(INVALID_DIR, file), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as InvalidCase);
}

function bytesOf(testCase: InvalidCase): Uint8Array {
  if (testCase.payloadBase64 !== undefined) return Buffer.from(testCase.payloadBase64, "base64");
  return new TextEncoder().encode(testCase.payload ?? "");
}

describe("corpus of refused messages", () => {
  it("is what the generator writes, and large", () => {
    const generated = corpus();
    expect(files.sort()).toEqual(
      Object.keys(generated)
        .map((group) => `${group}.ndjson`)
        .sort(),
    );
    let total = 0;
    for (const [group, cases] of Object.entries(generated)) {
      expect(readFileSync(join(INVALID_DIR, `${group}.ndjson`), "utf8"), group).toBe(ndjson(cases));
      total += cases.length;
    }
    expect(total).toBeGreaterThanOrEqual(1000);
  });

  for (const file of files) {
    const cases = load(file);
    it(`${file}: every case has a unique name and a known reason`, () => {
      expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
      for (const c of cases) expect(REJECT_REASONS).toContain(c.reason);
    });
    it(`${file}: ${cases.length} cases rejected with the stated reason`, () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const result = decodeMessage(c.topic, bytesOf(c), { ...c.options, now: () => CORPUS_NOW });
        if (result.ok) {
          wrong.push(`${c.name}: accepted as ${result.points.map((p) => p.line).join(" | ")}`);
        } else if (result.reason !== c.reason) {
          wrong.push(`${c.name}: ${result.reason} (${result.detail}), expected ${c.reason}`);
        } else if (c.path !== undefined && !result.detail.startsWith(c.path)) {
          wrong.push(`${c.name}: detail "${result.detail}" does not start with ${c.path}`);
        } else if (/\p{Cc}/u.test(result.detail)) {
          wrong.push(`${c.name}: detail carries a control character`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
