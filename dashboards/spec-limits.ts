import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parse } from "yaml";
import { type AlertsConfig, parseAlertsSection, type SpecRule } from "../alerts/index.ts";

/** The spec-limit rules and site lines of a configuration, as the live alerts evaluate them. */
export interface SpecLimits {
  rules: SpecRule[];
  /** Line names that stand for a whole site (hall sensors), shown with every line of the site. */
  siteLines: string[];
  /** The file they came from, relative to the repository root (named in the dashboards). */
  source: string;
}

/** Why the spec limits could not be read. */
export class SpecLimitsError extends Error {
  readonly reason: "unreadable" | "invalid";
  constructor(reason: "unreadable" | "invalid", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SpecLimitsError";
    this.reason = reason;
  }
}

/** Reads the `alerts` section of a YAML configuration (the file tracebox ingest reads). */
export function readSpecLimits(configPath: string, root: string): SpecLimits {
  const file = isAbsolute(configPath) ? configPath : resolve(root, configPath);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new SpecLimitsError("unreadable", `${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let alerts: AlertsConfig;
  try {
    alerts = parseAlertsSection((raw as { alerts?: unknown } | null)?.alerts);
  } catch (error) {
    throw new SpecLimitsError("invalid", `${file}: ${(error as Error).message}`, { cause: error });
  }
  return { rules: alerts.rules, siteLines: [...alerts.siteLines], source: configPath };
}

/** The lower limit of a rule, or undefined when it has none. */
export function lowOf(rule: SpecRule): number | undefined {
  return Number.isFinite(rule.low) ? rule.low : undefined;
}

/** The upper limit of a rule, or undefined when it has none. */
export function highOf(rule: SpecRule): number | undefined {
  return Number.isFinite(rule.high) ? rule.high : undefined;
}

/** The rules on one characteristic (`measurement.field`). */
export function rulesFor(limits: SpecLimits, characteristic: string): SpecRule[] {
  return limits.rules.filter((r) => r.characteristic === characteristic);
}

/** "30 – 60", "≥ 5.5", "≤ 1000": a rule's limits in words. */
export function describeLimits(rule: SpecRule): string {
  const low = lowOf(rule);
  const high = highOf(rule);
  if (low !== undefined && high !== undefined) return `${low} – ${high}`;
  return low !== undefined ? `≥ ${low}` : `≤ ${high}`;
}

/** "site plant1", "all stations": where a rule applies. */
export function describeWhere(rule: SpecRule): string {
  const parts = Object.entries(rule.where).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? parts.join(", ") : "all stations";
}
