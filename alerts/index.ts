export { type ActiveAlert, type ObservedPoint, SpecMonitor } from "./monitor.ts";
export {
  type AlertsConfig,
  AlertsConfigError,
  AlertsSectionSchema,
  DEFAULT_ALERTS,
  parseAlertsSection,
  type SpecRule,
} from "./rules.ts";
export { type AlertService, type AlertServiceOptions, startAlerts } from "./service.ts";
export { alertLine, InfluxAlertSink } from "./sinks/influx.ts";
export { ALERT_ROOT, MqttAlertSink, type MqttSinkOptions } from "./sinks/mqtt.ts";
export { WebhookSink, type WebhookSinkOptions } from "./sinks/webhook.ts";
export type { Alert, AlertSink } from "./types.ts";
export { VisitTracker } from "./visits.ts";
