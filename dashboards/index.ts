// Grafana dashboards and alert rules as code (Grafana Foundation SDK), provisioned from files:
// `generate.ts` writes them, `preview.ts` draws two of them without a Grafana.

export {
  CONTACT_POINT,
  contactPointsFile,
  type ProvisionedRule,
  policiesFile,
  rulesFile,
  spcViolationRule,
  specRules,
} from "./alerting.ts";
export {
  DATASOURCE,
  type InfluxQLQuery,
  InfluxQLQueryBuilder,
  type ResultFormat,
  tagMatches,
} from "./influxql.ts";
export {
  type DashboardOptions,
  DashboardOptionsError,
  DEFAULT_DASHBOARD_OPTIONS,
  resolveDashboardOptions,
} from "./options.ts";
export {
  buildDashboard,
  DASHBOARD_JSON_DIR,
  PROVISIONING_DIR,
  renderProvisioning,
} from "./provisioning.ts";
export { type DashboardQuery, dashboardQueries } from "./queries.ts";
export { DashboardRunner, dashboardRange, type TimeRange } from "./runner.ts";
export { readSpecLimits, type SpecLimits, SpecLimitsError } from "./spec-limits.ts";
export { VIEWS, type View, type ViewContext } from "./views/index.ts";
