import { Point } from "@influxdata/influxdb-client";
import type { InfluxClient } from "../influx/index.ts";
import type { IngestMetrics } from "./metrics.ts";

async function value(
  metrics: IngestMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  // A histogram's _sum and _count are values of the histogram itself, named by metricName.
  const base = name.replace(/_(sum|count)$/, "");
  const metric = await (
    metrics.registry.getSingleMetric(name) ?? metrics.registry.getSingleMetric(base)
  )?.get();
  return (metric?.values ?? [])
    .filter(
      (v) =>
        ((v as { metricName?: string }).metricName ?? name) === name &&
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )
    .reduce((n, v) => n + v.value, 0);
}

/**
 * The ingestor's own counters as InfluxDB points (`tracebox_ingest`, `tracebox_ingest_rejected`), so the
 * pipeline-health dashboard reads them with the same datasource as everything else, without a
 * Prometheus server. Cumulative counters: dashboards take `non_negative_derivative`.
 */
export async function selfMetricLines(
  metrics: IngestMetrics,
  instance: string,
  now: number,
): Promise<string[]> {
  const point = new Point("tracebox_ingest")
    .tag("instance", instance)
    .intField(
      "messages_written",
      await value(metrics, "tracebox_ingest_messages_total", { outcome: "written" }),
    )
    .intField(
      "messages_rejected",
      await value(metrics, "tracebox_ingest_messages_total", { outcome: "rejected" }),
    )
    .intField("points_written", await value(metrics, "tracebox_ingest_points_written_total"))
    .intField("points_spooled", await value(metrics, "tracebox_ingest_points_spooled_total"))
    .intField("redelivered", await value(metrics, "tracebox_ingest_redelivered_total"))
    .intField("spool_bytes", await value(metrics, "tracebox_ingest_spool_bytes"))
    .intField("unacknowledged", await value(metrics, "tracebox_ingest_unacknowledged_messages"))
    .intField("connected", await value(metrics, "tracebox_ingest_broker_connected"))
    .floatField("write_seconds_sum", await value(metrics, "tracebox_ingest_write_seconds_sum"))
    .intField("write_count", await value(metrics, "tracebox_ingest_write_seconds_count"))
    .timestamp(String(now));
  const lines = [point.toLineProtocol() as string];
  const rejected = await metrics.rejected.get();
  for (const v of rejected.values) {
    lines.push(
      new Point("tracebox_ingest_rejected")
        .tag("instance", instance)
        .tag("reason", String(v.labels.reason))
        .intField("count", v.value)
        .timestamp(String(now))
        .toLineProtocol() as string,
    );
  }
  return lines;
}

/** Writes the self-metrics every `intervalMs`; best effort (a failed write is skipped, not spooled). */
export function startSelfMetrics(
  metrics: IngestMetrics,
  influx: Pick<InfluxClient, "write">,
  instance: string,
  intervalMs = 10_000,
): () => Promise<void> {
  let busy: Promise<void> | undefined;
  const tick = () => {
    busy ??= selfMetricLines(metrics, instance, Date.now())
      .then((lines) => influx.write(lines))
      .catch(() => metrics.writeErrors.inc({ reason: "self_metrics" }))
      .finally(() => {
        busy = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    tick();
    await busy;
  };
}
