import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { tagMatches, where } from "../influxql.ts";
import {
  COLOR,
  countBars,
  sortBy,
  stat,
  table,
  textColors,
  thresholds,
  timeSeries,
} from "../panels.ts";
import { tagVariable } from "../templating.ts";
import { baseDashboard, type View } from "./common.ts";

const INSTANCE = tagMatches("instance");
const JOB = tagMatches("job");

/** Per-second rate of cumulative counters of `tracebox_ingest`, one series per instance and counter. */
function rates(fields: readonly string[]): string {
  const columns = fields
    .map((f) => `non_negative_derivative(max("${f}"), 1s) AS "${f}"`)
    .join(", ");
  return `SELECT ${columns} FROM "tracebox_ingest" ${where(INSTANCE)} GROUP BY time($__interval), "instance" fill(none)`;
}

function build(): dashboard.DashboardBuilder {
  return baseDashboard("tracebox-pipeline", "tracebox · Pipeline health", {
    description:
      "For whoever runs tracebox: is every message stored, is anything refused and why, is InfluxDB keeping up, do the jobs run.",
    refresh: "30s",
    from: "now-6h",
    tags: ["operations"],
  })
    .withVariable(tagVariable("instance", "tracebox_ingest", "instance", { label: "Ingestor" }))
    .withVariable(tagVariable("job", "tracebox_job", "job", { label: "Job" }))
    .withRow(new dashboard.RowBuilder("Ingest"))
    .withPanel(
      timeSeries(
        "Messages per second",
        [{ query: rates(["messages_written", "messages_rejected"]), alias: "$tag_instance $col" }],
        {
          unit: "short",
          description:
            "MQTT messages stored (written to InfluxDB or spooled) and refused, per second, from each ingestor's own counters (reported every 10 s).",
        },
      ),
    )
    .withPanel(
      countBars(
        "Rejected messages by reason",
        [
          {
            query: `SELECT non_negative_derivative(max("count"), 1s) AS "rejected" FROM "tracebox_ingest_rejected" ${where(INSTANCE)} GROUP BY time($__interval), "instance", "reason" fill(none)`,
            alias: "$tag_reason ($tag_instance)",
          },
        ],
        {
          unit: "short",
          description:
            "Refusals per second by reason; every refused message is in the dead-letter with it.",
        },
      ),
    )
    .withPanel(
      timeSeries(
        "Points per second",
        [{ query: rates(["points_written", "points_spooled"]), alias: "$tag_instance $col" }],
        {
          unit: "short",
          description:
            "Line-protocol points written to InfluxDB, and points written to the local spool while InfluxDB was unreachable.",
        },
      ),
    )
    .withPanel(
      timeSeries(
        "Mean write latency",
        [
          {
            query: `SELECT non_negative_derivative(max("write_seconds_sum"), 1s) / non_negative_derivative(max("write_count"), 1s) AS "latency" FROM "tracebox_ingest" ${where(INSTANCE)} GROUP BY time($__interval), "instance" fill(none)`,
            alias: "$tag_instance",
          },
        ],
        {
          unit: "s",
          description:
            "Seconds per InfluxDB write request, averaged over each interval; 0 where no write happened.",
        },
      ),
    )
    .withPanel(
      timeSeries(
        "Spool size",
        [
          {
            query: `SELECT max("spool_bytes") AS "spool" FROM "tracebox_ingest" ${where(INSTANCE)} GROUP BY time($__interval), "instance" fill(none)`,
            alias: "$tag_instance",
          },
        ],
        {
          unit: "bytes",
          description: "Bytes waiting in the local spool for InfluxDB; drains when it is back.",
        },
      ).span(8),
    )
    .withPanel(
      timeSeries(
        "Awaiting acknowledgement and redelivered",
        [
          {
            query: `SELECT max("unacknowledged") AS "unacknowledged" FROM "tracebox_ingest" ${where(INSTANCE)} GROUP BY time($__interval), "instance" fill(none)`,
            alias: "$tag_instance $col",
          },
          { query: rates(["redelivered"]), alias: "$tag_instance $col /s" },
        ],
        {
          unit: "short",
          description:
            "Messages held without PUBACK until durable, and messages the broker delivered again (after a restart).",
        },
      ).span(8),
    )
    .withPanel(
      timeSeries(
        "Broker connection",
        [
          {
            query: `SELECT min("connected") AS "connected" FROM "tracebox_ingest" ${where(INSTANCE)} GROUP BY time($__interval), "instance" fill(none)`,
            alias: "$tag_instance",
          },
        ],
        { min: 0, max: 1, description: "1 while connected to the broker, 0 while not." },
      )
        .span(8)
        .lineInterpolation(common.LineInterpolation.StepAfter)
        .thresholds(thresholds(COLOR.bad, [[1, COLOR.good]])),
    )
    .withRow(new dashboard.RowBuilder("Jobs"))
    .withPanel(
      countBars(
        "Job runs by outcome",
        [
          {
            query: `SELECT count("duration_s") AS "runs" FROM "tracebox_job" ${where(JOB)} GROUP BY time($__interval), "job", "status" fill(none)`,
            alias: "$tag_job $tag_status",
          },
        ],
        {
          unit: "short",
          description: "Runs of each job: ok, failed, or skipped because it was still running.",
        },
      ).overrideByRegexp("/failed/", [
        { id: "color", value: { mode: "fixed", fixedColor: COLOR.bad } },
      ]),
    )
    .withPanel(
      timeSeries(
        "Job duration",
        [
          {
            query: `SELECT "duration_s" FROM "tracebox_job" ${where(JOB)} GROUP BY "job"`,
            alias: "$tag_job",
          },
        ],
        { unit: "s" },
      ).showPoints(common.VisibilityMode.Always),
    )
    .withPanel(
      table(
        "Runs in the range",
        [
          {
            query: `SELECT count("duration_s") AS "runs", sum("rows_in") AS "rows in", sum("rows_out") AS "rows out", max("duration_s") AS "longest (s)" FROM "tracebox_job" ${where(JOB)} GROUP BY "job", "status"`,
          },
        ],
        {
          description:
            "Per job and outcome; a failed run's error is in the jobs log and the warehouse `job_run` table.",
        },
      )
        .span(24)
        .withTransformation(sortBy("runs", true))
        .overrideByName("status", [
          {
            id: "mappings",
            value: textColors({
              ok: COLOR.good,
              failed: COLOR.bad,
              "skipped-overlap": COLOR.warning,
            }),
          },
          { id: "custom.cellOptions", value: { type: "color-text" } },
        ]),
    )
    .withPanel(
      stat(
        "Stored vs refused, whole range",
        [
          {
            query: `SELECT spread("messages_written") AS "written", spread("messages_rejected") AS "rejected" FROM "tracebox_ingest" ${where(INSTANCE)} GROUP BY "instance"`,
            alias: "$tag_instance $col",
          },
        ],
        {
          unit: "short",
          description:
            "Growth of each ingestor's counters over the range (a restart resets them, so a restart inside the range undercounts).",
        },
      ).span(24),
    );
}

export const pipelineHealth: View = {
  uid: "tracebox-pipeline",
  file: "pipeline-health.json",
  build,
};
