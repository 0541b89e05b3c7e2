// The measurements tracebox computes and writes itself, read off their own serializers: one
// sample of every kind of row, with every optional field set, turned into line protocol by the
// code that writes it, then parsed. A field renamed there shows up here.
import { alertLine } from "../alerts/index.ts";
import { driverLines, riskLines } from "../analytics/predict/index.ts";
import { runSpc } from "../analytics/spc-job/index.ts";
import {
  characteristic,
  insertSignal,
  recordingContext,
  subgroupsOf,
  T0,
} from "../analytics/spc-job/testing.ts";
import { Warehouse } from "../analytics/warehouse/index.ts";
import { paretoLines, yieldLines } from "../analytics/yield/index.ts";
import { IngestMetrics, selfMetricLines } from "../ingest/index.ts";
import { jobRunLine } from "../jobs/index.ts";
import { addLines, type StorageSchema } from "./storage-schema.ts";

const AT = 1_764_270_000_000;

function alerts(): string[] {
  return [
    alertLine({
      id: "a",
      rule: "r",
      characteristic: "env.humidity_rh",
      state: "raised",
      value: 1,
      limit: 2,
      ts: AT,
      site: "s",
      line: "l",
      station: "st",
      serials: ["SN"],
      source: "spec",
    }),
  ];
}

async function ingest(): Promise<string[]> {
  const metrics = new IngestMetrics();
  metrics.rejected.inc({ reason: "not_json" });
  return selfMetricLines(metrics, "ingest", AT);
}

function yields(): string[] {
  const base = { period: "hour" as const, start: AT, site: "s", line: "l", product: "p" };
  return [
    ...yieldLines([
      {
        ...base,
        level: "station",
        station: "aoi",
        kind: "aoi",
        tested: 2,
        firstPassPassed: 1,
        fpy: 0.5,
        retested: 1,
        retests: 1,
        retestPassed: 1,
        retestPassRate: 1,
        finalPassed: 2,
        finalYield: 1,
        scrapped: 0,
      },
      {
        ...base,
        level: "route",
        steps: 1,
        rty: 0.5,
        units: 2,
        unitsPassedAll: 1,
        rtyUnits: 0.5,
        unitsPending: 0,
        unitsScrapped: 0,
      },
    ]),
    ...paretoLines([
      {
        ...base,
        scope: "first-pass",
        by: "code",
        key: "bridge",
        count: 1,
        units: 1,
        share: 1,
        cumulativeShare: 1,
        rank: 1,
      },
    ]),
  ];
}

function jobs(): string[] {
  return [
    jobRunLine({
      job: "yield",
      startedAt: AT,
      endedAt: AT + 1000,
      rowsIn: 1,
      rowsOut: 1,
      status: "failed",
      error: "e",
    }),
  ];
}

function predictions(): string[] {
  const stamp = { target: "any" as const, at: AT, site: "s", line: "l" };
  return [
    ...riskLines([{ id: "SN", score: 0.5, time: AT, site: "s", line: "l", product: "p" }], stamp),
    ...driverLines(
      [
        {
          feature: "f",
          kind: "continuous",
          effect: 2,
          ciLow: 1,
          ciHigh: 3,
          p: 0.01,
          q: 0.02,
          test: "mann-whitney",
          summary: "s",
          units: 10,
          failed: 2,
          group: "> 1",
          groupUnits: 3,
          groupRate: 0.3,
          otherRate: 0.1,
        },
        // A driver of defects at one designator: the `scope` and `ref` tags.
        {
          feature: "C3.lot",
          kind: "categorical",
          effect: 4,
          ciLow: 2,
          ciHigh: 8,
          p: 0.001,
          q: 0.002,
          test: "fisher-exact",
          summary: "s",
          units: 10,
          failed: 4,
          group: "L1",
          groupUnits: 4,
          groupRate: 0.75,
          otherRate: 0.1,
          ref: "C3",
        },
      ],
      stamp,
    ),
  ];
}

/**
 * The SPC job's results, from the job itself on a small in-memory warehouse: an X̄-R chart (two
 * series, capability) and a CUSUM (its lower sum), with a shift at the end that violates.
 */
async function spc(): Promise<string[]> {
  const warehouse = await Warehouse.open(":memory:");
  try {
    await insertSignal(warehouse, [...subgroupsOf(12), ...subgroupsOf(2, 9)], { start: T0 });
    const source = { measurement: "reflow", field: "peak_c", where: { station: "reflow" } };
    const characteristics = [
      characteristic({
        name: "xbar",
        source,
        subgroup: { size: 5 },
        chart: "xbar-r",
        lsl: 90,
        usl: 110,
        baseline: { minSubgroups: 10 },
      }),
      characteristic({
        name: "cusum",
        source,
        subgroup: { size: 5 },
        chart: "cusum",
        baseline: { minSubgroups: 10 },
      }),
    ];
    const ctx = recordingContext(warehouse, characteristics, () => T0 + 86_400_000);
    await runSpc(ctx);
    return ctx.lines;
  } finally {
    warehouse.close();
  }
}

/** What tracebox's own writers write: alerts, ingest self-metrics, SPC, yield, Pareto, job runs, risk, drivers. */
export async function resultSchema(): Promise<StorageSchema> {
  const schema: StorageSchema = new Map();
  addLines(schema, alerts(), "alerts/sinks/influx.ts alertLine");
  addLines(schema, await ingest(), "ingest/self-metrics.ts selfMetricLines");
  addLines(schema, await spc(), "analytics/spc-job runSpc");
  addLines(schema, yields(), "analytics/yield/lines.ts yieldLines, paretoLines");
  addLines(schema, jobs(), "jobs/process.ts jobRunLine");
  addLines(schema, predictions(), "analytics/predict/lines.ts riskLines, driverLines");
  return schema;
}
