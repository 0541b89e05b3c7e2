import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { OPTIONS, type OptionName, type OptionSpec } from "./options.ts";

type ValueOf<S> = S extends OptionSpec<infer T> ? T : never;

/** The effective configuration: one typed value per option (`undefined` when unset). */
export type Config = {
  -readonly [K in OptionName]: (typeof OPTIONS)[K]["default"] extends undefined
    ? ValueOf<(typeof OPTIONS)[K]> | undefined
    : ValueOf<(typeof OPTIONS)[K]>;
} & {
  /** Structured sections of the YAML file (alerts, spc, jobs), validated by their owners. */
  sections: Record<string, unknown>;
  /** The YAML file that was read, if any. */
  file: string | undefined;
};

export type Source = "default" | "file" | "env";

/** One invalid value: the key, the value (masked when secret), what was expected. */
export interface ConfigProblem {
  key: string;
  value: string;
  expected: string;
}

/** The configuration could not be loaded; `problems` has one entry per bad value. */
export class ConfigError extends Error {
  readonly reason = "invalid_config";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.key}=${p.value}: expected ${p.expected}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** YAML sections that hold structured settings owned by other parts (they validate them). */
const SECTIONS = new Set(["alerts", "spc", "jobs", "predict", "yield", "trace", "warehouse"]);

export interface LoadOptions {
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Working directory for the default file `./tracebox.yaml`; default `process.cwd()`. */
  cwd?: string;
}

export interface Loaded {
  config: Config;
  sources: Record<OptionName, Source>;
}

export function mask(spec: OptionSpec, value: unknown): string {
  if (value === undefined) return "(unset)";
  if (spec.secret) return "****";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function lookup(tree: unknown, path: string): unknown {
  let node = tree;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function unknownKeys(tree: Record<string, unknown>, known: Set<string>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!prefix && SECTIONS.has(key)) continue;
    if (known.has(path)) continue;
    const isParent = [...known].some((k) => k.startsWith(`${path}.`));
    if (isParent && value !== null && typeof value === "object" && !Array.isArray(value)) {
      out.push(...unknownKeys(value as Record<string, unknown>, known, path));
    } else {
      out.push(path);
    }
  }
  return out;
}

/**
 * Reads `TRACEBOX_CONFIG` (default `./tracebox.yaml`, optional) and the environment, validates every
 * value and returns the effective configuration with the source of each value.
 * Throws {@link ConfigError} listing every problem at once.
 */
export function loadConfig(options: LoadOptions = {}): Loaded {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];

  const explicit = env.TRACEBOX_CONFIG;
  const file = resolve(cwd, explicit ?? "tracebox.yaml");
  let tree: Record<string, unknown> = {};
  let fileRead: string | undefined;
  if (existsSync(file)) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, "utf8"));
      if (parsed === null || parsed === undefined) {
        tree = {};
      } else if (typeof parsed === "object" && !Array.isArray(parsed)) {
        tree = parsed as Record<string, unknown>;
      } else {
        problems.push({
          key: "TRACEBOX_CONFIG",
          value: file,
          expected: "a YAML mapping at the top level",
        });
      }
      fileRead = file;
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      problems.push({ key: "TRACEBOX_CONFIG", value: file, expected: `valid YAML (${why})` });
    }
  } else if (explicit !== undefined) {
    problems.push({ key: "TRACEBOX_CONFIG", value: explicit, expected: "a readable YAML file" });
  }

  const known = new Set(Object.values(OPTIONS).map((o) => o.path));
  for (const key of unknownKeys(tree, known)) {
    problems.push({
      key,
      value: JSON.stringify(lookup(tree, key)) ?? "",
      expected: "a known setting (see `tracebox config`)",
    });
  }

  const values: Record<string, unknown> = {};
  const sources = {} as Record<OptionName, Source>;
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const fromEnv = env[spec.env];
    const fromFile = lookup(tree, spec.path);
    let raw: unknown;
    let source: Source;
    let key: string;
    if (fromEnv !== undefined && fromEnv !== "") {
      raw = fromEnv;
      source = "env";
      key = spec.env;
    } else if (fromFile !== undefined && fromFile !== null) {
      raw = fromFile;
      source = "file";
      key = spec.path;
    } else {
      values[name] = spec.default;
      sources[name] = "default";
      continue;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) {
      values[name] = parsed.value;
    } else {
      problems.push({ key, value: mask(spec, raw), expected: parsed.expected });
    }
    sources[name] = source;
  }

  if ((values.influxOrg === undefined) !== (values.influxBucket === undefined)) {
    problems.push({
      key: "TRACEBOX_INFLUX_ORG/TRACEBOX_INFLUX_BUCKET",
      value: `${values.influxOrg ?? "(unset)"}/${values.influxBucket ?? "(unset)"}`,
      expected: "both set (v2 API) or neither (v1 API)",
    });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  const sections: Record<string, unknown> = {};
  for (const key of SECTIONS) if (tree[key] !== undefined) sections[key] = tree[key];
  return {
    config: {
      ...(values as Omit<Config, "sections" | "file">),
      sections,
      file: fileRead,
    } as Config,
    sources,
  };
}
