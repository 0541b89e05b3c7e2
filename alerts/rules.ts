import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Name = Type.String({
  pattern: "^[A-Za-z0-9_.-]{1,64}$",
  description: "a name of [A-Za-z0-9_.-]{1,64}",
});

export const SpecRuleSchema = Type.Object(
  {
    name: Name,
    characteristic: Type.String({
      pattern: "^[a-z][a-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]{0,63}$",
      description: "<measurement>.<field>, e.g. env.humidity_rh",
    }),
    low: Type.Optional(Type.Number({ description: "lower spec limit; the value must be >= low" })),
    high: Type.Optional(
      Type.Number({ description: "upper spec limit; the value must be <= high" }),
    ),
    where: Type.Optional(
      Type.Object(
        { site: Type.Optional(Name), line: Type.Optional(Name), station: Type.Optional(Name) },
        { additionalProperties: false },
      ),
    ),
    debounceMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: "time out of spec before raising (and back in before clearing), ms; default 0",
      }),
    ),
    hysteresis: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          "distance inside the limit required to clear, in the characteristic's unit; default 0",
      }),
    ),
  },
  { additionalProperties: false },
);

export const WebhookSchema = Type.Object(
  {
    url: Type.String({ pattern: "^https?://", description: "an http(s) URL" }),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, description: "per request, ms; default 5000" }),
    ),
    queueSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "alerts held while the receiver is slow or down; default 1000",
      }),
    ),
  },
  { additionalProperties: false },
);

export const AlertsSectionSchema = Type.Object(
  {
    rules: Type.Optional(Type.Array(SpecRuleSchema)),
    webhooks: Type.Optional(Type.Array(WebhookSchema)),
    /** Signal channels whose readings apply to every station of their line (and site-level lines to the site). */
    environmental: Type.Optional(Type.Array(Type.String({ pattern: "^[a-z][a-z0-9_]*$" }))),
    /** Line names that stand for a whole site (a hall sensor). */
    siteLines: Type.Optional(Type.Array(Name)),
  },
  { additionalProperties: false },
);

export type SpecRuleConfig = Static<typeof SpecRuleSchema>;
export type WebhookConfig = Static<typeof WebhookSchema>;
export type AlertsSection = Static<typeof AlertsSectionSchema>;

/** A rule ready to evaluate: limits resolved, defaults applied. */
export interface SpecRule {
  name: string;
  measurement: string;
  field: string;
  characteristic: string;
  low: number;
  high: number;
  where: { site?: string; line?: string; station?: string };
  debounceMs: number;
  hysteresis: number;
}

export interface AlertsConfig {
  rules: SpecRule[];
  webhooks: Required<WebhookConfig>[];
  environmental: Set<string>;
  siteLines: Set<string>;
}

export const DEFAULT_ALERTS = {
  environmental: ["env", "nitrogen"],
  siteLines: ["hall"],
  webhookTimeoutMs: 5000,
  webhookQueueSize: 1000,
} as const;

/** Problems with the `alerts` section, one line each naming the field. */
export class AlertsConfigError extends Error {
  readonly reason = "invalid_alerts_config";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "AlertsConfigError";
  }
}

/** Validates the YAML `alerts` section; throws {@link AlertsConfigError} naming each bad field. */
export function parseAlertsSection(raw: unknown): AlertsConfig {
  const section = raw ?? {};
  const problems = [...Value.Errors(AlertsSectionSchema, section)].map((e) => {
    const where = `alerts${e.path.replaceAll("/", ".")}`;
    const description = (e.schema as { description?: string }).description;
    return `${where}=${JSON.stringify(e.value)}: ${description ? `expected ${description}` : e.message}`;
  });
  if (problems.length > 0) throw new AlertsConfigError(problems);
  const parsed = section as AlertsSection;
  const rules: SpecRule[] = [];
  const names = new Set<string>();
  for (const [i, rule] of (parsed.rules ?? []).entries()) {
    if (rule.low === undefined && rule.high === undefined)
      problems.push(`alerts.rules.${i}: rule ${rule.name} needs low, high or both`);
    if (rule.low !== undefined && rule.high !== undefined && rule.low >= rule.high)
      problems.push(`alerts.rules.${i}: low ${rule.low} must be below high ${rule.high}`);
    if (names.has(rule.name))
      problems.push(`alerts.rules.${i}.name=${JSON.stringify(rule.name)}: used twice`);
    names.add(rule.name);
    const [measurement, field] = rule.characteristic.split(".") as [string, string];
    rules.push({
      name: rule.name,
      measurement,
      field,
      characteristic: rule.characteristic,
      low: rule.low ?? Number.NEGATIVE_INFINITY,
      high: rule.high ?? Number.POSITIVE_INFINITY,
      where: rule.where ?? {},
      debounceMs: rule.debounceMs ?? 0,
      hysteresis: rule.hysteresis ?? 0,
    });
  }
  if (problems.length > 0) throw new AlertsConfigError(problems);
  return {
    rules,
    webhooks: (parsed.webhooks ?? []).map((w) => ({
      url: w.url,
      timeoutMs: w.timeoutMs ?? DEFAULT_ALERTS.webhookTimeoutMs,
      queueSize: w.queueSize ?? DEFAULT_ALERTS.webhookQueueSize,
    })),
    environmental: new Set(parsed.environmental ?? DEFAULT_ALERTS.environmental),
    siteLines: new Set(parsed.siteLines ?? DEFAULT_ALERTS.siteLines),
  };
}
