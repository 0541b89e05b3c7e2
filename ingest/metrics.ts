import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The ingestor's ledger and health as Prometheus metrics; one registry per ingestor. */
export class IngestMetrics {
  readonly registry = new Registry();
  /** Every message received, counted once: written (durable in InfluxDB or the spool) or rejected. */
  readonly messages = new Counter({
    name: "tracebox_ingest_messages_total",
    help: "Messages received, by outcome (written = durable in InfluxDB or the spool; rejected = in the dead-letter).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: "tracebox_ingest_rejected_total",
    help: "Rejected messages and points, by reason.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly pointsWritten = new Counter({
    name: "tracebox_ingest_points_written_total",
    help: "Points acknowledged by InfluxDB (directly or replayed from the spool).",
    registers: [this.registry],
  });
  readonly pointsSpooled = new Counter({
    name: "tracebox_ingest_points_spooled_total",
    help: "Points written to the on-disk spool while InfluxDB could not take them.",
    registers: [this.registry],
  });
  readonly redelivered = new Counter({
    name: "tracebox_ingest_redelivered_total",
    help: "Messages the broker sent again (DUP flag): stored again, which overwrites them with themselves.",
    registers: [this.registry],
  });
  readonly spoolBytes = new Gauge({
    name: "tracebox_ingest_spool_bytes",
    help: "Bytes waiting in the on-disk spool.",
    registers: [this.registry],
  });
  readonly spoolBatches = new Gauge({
    name: "tracebox_ingest_spool_batches",
    help: "Batches waiting in the on-disk spool.",
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "tracebox_ingest_unacknowledged_messages",
    help: "Messages received and not yet acknowledged to the broker.",
    registers: [this.registry],
  });
  readonly writeSeconds = new Histogram({
    name: "tracebox_ingest_write_seconds",
    help: "Duration of one InfluxDB write (a batch).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly batchPoints = new Histogram({
    name: "tracebox_ingest_batch_points",
    help: "Points per committed batch.",
    buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000],
    registers: [this.registry],
  });
  readonly writeErrors = new Counter({
    name: "tracebox_ingest_write_errors_total",
    help: "Failed InfluxDB writes, by reason.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: "tracebox_ingest_broker_connected",
    help: "1 while connected to the broker.",
    registers: [this.registry],
  });
  readonly commitFailures = new Counter({
    name: "tracebox_ingest_commit_failures_total",
    help: "Batches that could be made durable neither in InfluxDB nor in the spool or dead-letter; their messages are delivered again after a reconnect.",
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: "tracebox_ingest_broker_reconnects_total",
    help: "Reconnections to the broker.",
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: "tracebox_ingest_process_" });
    // Present from the start, so a dashboard shows 0 rather than "no data".
    this.messages.inc({ outcome: "written" }, 0);
    this.messages.inc({ outcome: "rejected" }, 0);
  }
}
