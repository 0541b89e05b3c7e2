import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { InfluxClient } from "../influx/index.ts";
import { rows } from "../influx/index.ts";
import { SpecMonitor } from "./monitor.ts";
import { type AlertsConfig, parseAlertsSection } from "./rules.ts";
import { InfluxAlertSink } from "./sinks/influx.ts";
import { MqttAlertSink, type MqttSinkOptions } from "./sinks/mqtt.ts";
import { WebhookSink } from "./sinks/webhook.ts";
import type { Alert, AlertSink } from "./types.ts";

export interface AlertServiceOptions {
  /** The YAML `alerts` section (validated here). */
  section: unknown;
  mqtt: MqttSinkOptions;
  influx: InfluxClient;
  registry: Registry;
  log: Logger;
  /** How far back open visits are looked up at start, ms; default 24 h. */
  visitLookbackMs?: number;
}

/** Live alerts: the spec monitor and its sinks (MQTT retained, webhooks, InfluxDB). */
export interface AlertService {
  monitor: SpecMonitor;
  config: AlertsConfig;
  /** Sends an alert raised elsewhere (an SPC rule) through the same sinks. */
  send(alert: Alert): void;
  stop(): Promise<void>;
}

/** Units that started a station and have not completed it, so a restart knows who is where. */
async function restoreVisits(
  monitor: SpecMonitor,
  influx: InfluxClient,
  lookbackMs: number,
): Promise<number> {
  const result = await influx.query(
    `SELECT "seen" FROM "unit" WHERE time > now() - ${Math.floor(lookbackMs)}ms GROUP BY "site", "line", "station", "serial", "event"`,
    {},
    { epoch: "ms" },
  );
  const events: {
    site: string;
    line: string;
    station: string;
    serial: string;
    event: "start" | "complete";
    ts: number;
  }[] = [];
  for (const series of result.series) {
    const tags = series.tags ?? {};
    for (const row of rows(series)) {
      events.push({
        site: tags.site ?? "",
        line: tags.line ?? "",
        station: tags.station ?? "",
        serial: tags.serial ?? "",
        event: tags.event === "complete" ? "complete" : "start",
        ts: Number(row.time),
      });
    }
  }
  events.sort((a, b) => a.ts - b.ts);
  for (const e of events) monitor.visits.apply(e.site, e.line, e.station, e.serial, e.event, e.ts);
  return monitor.visits.size;
}

export async function startAlerts(options: AlertServiceOptions): Promise<AlertService> {
  const config = parseAlertsSection(options.section);
  const { registry, log } = options;
  const alerts = new Counter({
    name: "tracebox_alerts_total",
    help: "Alerts raised and cleared, by rule.",
    labelNames: ["rule", "state"] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: "tracebox_alert_sink_failures_total",
    help: "Failed alert deliveries (each retry counts), by sink.",
    labelNames: ["sink"] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: "tracebox_alert_sink_dropped_total",
    help: "Alerts a sink gave up on, by reason.",
    labelNames: ["sink", "reason"] as const,
    registers: [registry],
  });
  const queued = new Gauge({
    name: "tracebox_alert_sink_queue",
    help: "Alerts waiting in a sink's queue.",
    labelNames: ["sink"] as const,
    registers: [registry],
  });

  const { sink: mqttSink, restored } = await MqttAlertSink.create(options.mqtt);
  const sinks: AlertSink[] = [
    mqttSink,
    new InfluxAlertSink(options.influx, { failures, dropped }),
    ...config.webhooks.map((w) => new WebhookSink({ ...w, failures, dropped, queued })),
  ];
  const monitor = new SpecMonitor(config, sinks, alerts, restored);
  try {
    const open = await restoreVisits(
      monitor,
      options.influx,
      options.visitLookbackMs ?? 24 * 3600 * 1000,
    );
    log.info(
      {
        rules: config.rules.length,
        webhooks: config.webhooks.length,
        raised: restored.length,
        unitsInLine: open,
      },
      "alerts ready",
    );
  } catch (error) {
    // InfluxDB may be down at start; the visits fill in from the stream.
    log.warn({ message: (error as Error).message }, "open visits not restored");
  }

  return {
    monitor,
    config,
    send(alert) {
      alerts.inc({ rule: alert.rule, state: alert.state });
      for (const sink of sinks) sink.send(alert);
    },
    async stop() {
      await Promise.all(sinks.map((s) => s.drain(5000)));
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}
