// Grafana alert rules that mirror tracebox's live spec-limit rules and the SPC job's violations,
// a contact point and the notification policy, in Grafana 11's file-provisioning format.
import * as alerting from "@grafana/grafana-foundation-sdk/alerting";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as expr from "@grafana/grafana-foundation-sdk/expr";
import type { SpecRule } from "../alerts/index.ts";
import { DATASOURCE, InfluxQLQueryBuilder, quoteIdent, tagIs } from "./influxql.ts";
import type { DashboardOptions } from "./options.ts";
import { describeWhere, highOf, lowOf, type SpecLimits } from "./spec-limits.ts";

/** Grafana's server-side expressions "datasource". */
const EXPRESSIONS = { type: "__expr__", uid: "__expr__" } as const;

/** Seconds between evaluations of every rule group. */
export const EVALUATION_INTERVAL_S = 10;

/** How far back the SPC rule looks for violations, s: longer than the SPC job's schedule. */
export const SPC_LOOKBACK_S = 600;

/** Name of the contact point every tracebox alert goes to. */
export const CONTACT_POINT = "tracebox-webhook";

/** A rule as Grafana's alerting provisioning file holds it. */
export interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  data: alerting.Query[];
  dashboardUid?: string;
  noDataState: alerting.Rule["noDataState"];
  execErrState: alerting.Rule["execErrState"];
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

/** The content of `provisioning/alerting/rules.yaml`. */
export interface RulesFile {
  apiVersion: 1;
  groups: Array<{
    orgId: number;
    name: string;
    folder: string;
    interval: string;
    rules: ProvisionedRule[];
  }>;
}

/** The content of `provisioning/alerting/contact-points.yaml`. */
export interface ContactPointsFile {
  apiVersion: 1;
  contactPoints: Array<{
    orgId: number;
    name: string;
    receivers: Array<
      Pick<alerting.ContactPoint, "uid" | "type" | "settings" | "disableResolveMessage">
    >;
  }>;
}

/** The content of `provisioning/alerting/policies.yaml`. */
export interface PoliciesFile {
  apiVersion: 1;
  policies: Array<alerting.NotificationPolicy & { orgId: number }>;
}

function query(refId: string, model: cog.Builder<cog.Dataquery>, lookbackS: number) {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(DATASOURCE.uid)
    .relativeTimeRange({ from: lookbackS, to: 0 })
    .model(model);
}

function expression(refId: string, model: cog.Builder<cog.Dataquery>) {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(EXPRESSIONS.uid)
    .relativeTimeRange({ from: 0, to: 0 })
    .model(model);
}

function toProvisioned(rule: alerting.Rule, dashboardUid: string): ProvisionedRule {
  return {
    uid: rule.uid ?? "",
    title: rule.title,
    condition: rule.condition,
    data: rule.data,
    dashboardUid,
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    annotations: rule.annotations ?? {},
    labels: rule.labels ?? {},
    isPaused: rule.isPaused ?? false,
  };
}

/** A rule uid: Grafana allows 40 characters of [A-Za-z0-9_-]. */
function ruleUid(...parts: string[]): string {
  const uid = `tb-${parts.join("-")}`.replace(/[^A-Za-z0-9_-]/g, "_");
  return uid.length <= 40 ? uid : uid.slice(0, 40);
}

/**
 * One side of a spec rule. It fires when every reading of the last `debounceMs` at a station is
 * beyond the limit (the best reading of the window is: max below a low limit, min above a high
 * one), as tracebox raises it; it recovers once that reading is back inside by the hysteresis.
 */
export function specRuleSide(
  rule: SpecRule,
  side: "low" | "high",
  dashboardUid: string,
): ProvisionedRule {
  const limit = side === "low" ? lowOf(rule) : highOf(rule);
  if (limit === undefined) throw new Error(`spec rule ${rule.name} has no ${side} limit`);
  const lookbackS = Math.max(EVALUATION_INTERVAL_S, Math.ceil(rule.debounceMs / 1000));
  const aggregate = side === "low" ? "max" : "min";
  const conditions = Object.entries(rule.where).map(([tag, value]) => tagIs(tag, value));
  const filter = [...conditions, "$timeFilter"].join(" AND ");
  const influxql = `SELECT ${aggregate}(${quoteIdent(rule.field)}) AS ${quoteIdent(rule.field)} FROM ${quoteIdent(rule.measurement)} WHERE ${filter} GROUP BY "site", "line", "station"`;
  const recovery = side === "low" ? limit + rule.hysteresis : limit - rule.hysteresis;
  const words = side === "low" ? "below" : "above";
  const built = new alerting.RuleBuilder(`${rule.name}: ${rule.characteristic} ${words} ${limit}`)
    .uid(ruleUid("spec", rule.name, side))
    .condition("C")
    .queries([
      query("A", new InfluxQLQueryBuilder(influxql).refId("A"), lookbackS),
      expression(
        "B",
        new expr.TypeReduceBuilder()
          .refId("B")
          .datasource(EXPRESSIONS)
          .expression("A")
          .reducer("last")
          .settings({ mode: "dropNN" }),
      ),
      expression(
        "C",
        new expr.TypeThresholdBuilder()
          .refId("C")
          .datasource(EXPRESSIONS)
          .expression("B")
          .conditions([
            {
              evaluator: { type: side === "low" ? "lt" : "gt", params: [limit] },
              unloadEvaluator: { type: side === "low" ? "gt" : "lt", params: [recovery] },
            },
          ]),
      ),
    ])
    .forDuration("0s")
    // A station that stops reporting is the pipeline-health dashboard's concern, not a spec breach.
    .noDataState("OK")
    .execErrState("Error")
    .labels({ source: "spec", tracebox_rule: rule.name, characteristic: rule.characteristic })
    .annotations({
      summary: `${rule.characteristic} ${words} ${limit} at {{ $labels.site }}/{{ $labels.line }}/{{ $labels.station }}: {{ $values.B }}`,
      description: `Mirrors tracebox spec rule ${rule.name} (${describeWhere(rule)}): every reading of the last ${lookbackS} s ${words} ${limit}. Recovers at ${recovery}. tracebox itself alerts on MQTT within a second and names the units to hold; this rule is for people.`,
    })
    .build();
  return toProvisioned(built, dashboardUid);
}

/** Every spec rule of the configuration, one Grafana rule per limit. */
export function specRules(limits: SpecLimits, dashboardUid: string): ProvisionedRule[] {
  return limits.rules.flatMap((rule) => [
    ...(lowOf(rule) !== undefined ? [specRuleSide(rule, "low", dashboardUid)] : []),
    ...(highOf(rule) !== undefined ? [specRuleSide(rule, "high", dashboardUid)] : []),
  ]);
}

/** The SPC job's violations: fires for a characteristic with any `spc_violation` point in the last minutes. */
export function spcViolationRule(dashboardUid: string): ProvisionedRule {
  const influxql = `SELECT count("value") AS "violations" FROM "spc_violation" WHERE $timeFilter GROUP BY "characteristic", "site", "line", "station"`;
  const built = new alerting.RuleBuilder("SPC rule violations")
    .uid(ruleUid("spc", "violations"))
    .condition("C")
    .queries([
      query("A", new InfluxQLQueryBuilder(influxql).refId("A"), SPC_LOOKBACK_S),
      expression(
        "B",
        new expr.TypeReduceBuilder()
          .refId("B")
          .datasource(EXPRESSIONS)
          .expression("A")
          .reducer("sum")
          .settings({ mode: "dropNN" }),
      ),
      expression(
        "C",
        new expr.TypeThresholdBuilder()
          .refId("C")
          .datasource(EXPRESSIONS)
          .expression("B")
          .conditions([{ evaluator: { type: "gt", params: [0] } }]),
      ),
    ])
    .forDuration("0s")
    .noDataState("OK")
    .execErrState("Error")
    .labels({ source: "spc" })
    .annotations({
      summary:
        "{{ $values.B }} SPC violation(s) of {{ $labels.characteristic }} at {{ $labels.site }}/{{ $labels.line }}/{{ $labels.station }}",
      description: `The SPC job found run-rule or limit violations in the last ${SPC_LOOKBACK_S / 60} minutes; the Live SPC dashboard shows the chart and the units to hold.`,
    })
    .build();
  return toProvisioned(built, dashboardUid);
}

/** The rule groups of `provisioning/alerting/rules.yaml`. */
export function rulesFile(
  limits: SpecLimits,
  options: DashboardOptions,
  dashboards: { environment: string; spc: string },
): RulesFile {
  const interval = `${EVALUATION_INTERVAL_S}s`;
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: "tracebox spec limits",
        folder: options.folder,
        interval,
        rules: specRules(limits, dashboards.environment),
      },
      {
        orgId: 1,
        name: "tracebox SPC",
        folder: options.folder,
        interval,
        rules: [spcViolationRule(dashboards.spc)],
      },
    ],
  };
}

/** The webhook contact point of `provisioning/alerting/contact-points.yaml`. */
export function contactPointsFile(options: DashboardOptions): ContactPointsFile {
  const point = new alerting.ContactPointBuilder()
    .uid("tracebox-webhook")
    .name(CONTACT_POINT)
    .type("webhook")
    .settings({ url: options.alertWebhookUrl, httpMethod: "POST" })
    .disableResolveMessage(false)
    .build();
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: CONTACT_POINT,
        receivers: [
          {
            uid: point.uid,
            type: point.type,
            settings: point.settings,
            disableResolveMessage: point.disableResolveMessage,
          },
        ],
      },
    ],
  };
}

/** The notification policy tree of `provisioning/alerting/policies.yaml`: everything to the webhook. */
export function policiesFile(): PoliciesFile {
  const policy = new alerting.NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(["grafana_folder", "alertname", "site", "line"])
    .groupWait("10s")
    .groupInterval("1m")
    .repeatInterval("4h")
    .build();
  return { apiVersion: 1, policies: [{ orgId: 1, ...policy }] };
}
