import { Point } from "@influxdata/influxdb-client";
import type { Counter } from "prom-client";
import type { InfluxClient } from "../../influx/index.ts";
import type { Alert, AlertSink } from "../types.ts";
import { DeliveryQueue } from "./queue.ts";

/** The `alert` point: Grafana draws these as annotations. */
export function alertLine(alert: Alert): string {
  const point = new Point("alert")
    .tag("site", alert.site)
    .tag("line", alert.line)
    .tag("station", alert.station)
    .tag("rule", alert.rule)
    .tag("state", alert.state)
    .tag("source", alert.source)
    .stringField("id", alert.id)
    .stringField("characteristic", alert.characteristic)
    .floatField("value", alert.value)
    .floatField("limit", alert.limit)
    .intField("serial_count", alert.serials.length)
    .stringField("serials", JSON.stringify(alert.serials))
    .timestamp(String(alert.ts));
  return point.toLineProtocol() as string;
}

/** Writes alerts to InfluxDB's `alert` measurement, off the ingest path, retried. */
export class InfluxAlertSink implements AlertSink {
  readonly name = "influx";
  private readonly queue: DeliveryQueue;

  constructor(
    influx: Pick<InfluxClient, "write">,
    counters: { failures?: Counter<"sink">; dropped?: Counter<"sink" | "reason"> } = {},
  ) {
    this.queue = new DeliveryQueue(
      {
        capacity: 10_000,
        maxAttempts: 20,
        baseDelayMs: 250,
        maxDelayMs: 10_000,
        onFailure: () => counters.failures?.inc({ sink: "influx" }),
        onDrop: (reason) => counters.dropped?.inc({ sink: "influx", reason }),
      },
      (alert) => influx.write([alertLine(alert)]),
    );
  }

  send(alert: Alert): void {
    this.queue.push(alert);
  }

  drain(timeoutMs: number): Promise<void> {
    return this.queue.drain(timeoutMs);
  }

  async close(): Promise<void> {
    this.queue.close();
  }
}
