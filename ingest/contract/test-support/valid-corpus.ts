import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DecodeOptions } from "../options.ts";

/** One folder of testdata/valid: topic, payload.json (raw bytes), expected.lp, options.json?. */
export interface ValidCase {
  name: string;
  topic: string;
  payload: Uint8Array;
  expected: string[];
  options: Partial<DecodeOptions>;
}

export const VALID_DIR = fileURLToPath(new URL("../testdata/valid/", import.meta.url));

export function validCorpus(): ValidCase[] {
  return readdirSync(VALID_DIR)
    .sort()
    .map((name) => {
      const dir = join(VALID_DIR, name);
      const optionsFile = join(dir, "options.json");
      return {
        name,
        topic: readFileSync(join(dir, "topic"), "utf8").trimEnd(),
        payload: readFileSync(join(dir, "payload.json")),
        expected: readFileSync(join(dir, "expected.lp"), "utf8")
          .split("\n")
          .filter((l) => l !== ""),
        options: existsSync(optionsFile) ? JSON.parse(readFileSync(optionsFile, "utf8")) : {},
      };
    });
}
