import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../config/index.ts";
import { type Ingestor, startIngestor } from "../ingest/index.ts";
import { publishMessages, simulateLine } from "../simulator/index.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type JobsProcess, startJobs } from "./index.ts";

async function influxRows(url: string, db: string, q: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(
    `${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`,
  );
  const body = (await response.json()) as {
    results: {
      series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[];
    }[];
  };
  return (body.results[0]?.series ?? []).flatMap((s) =>
    s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })),
  );
}

describe("tracebox jobs over a simulated line, against the real InfluxDB", () => {
  let ingestor: Ingestor | undefined;
  let jobs: JobsProcess | undefined;
  afterEach(async () => {
    await ingestor?.stop();
    await jobs?.stop();
    ingestor = undefined;
    jobs = undefined;
  });

  it("sync, features, spc and yield run, record their runs, and a second sync changes nothing", async () => {
    const services = testServices();
    const base = await ingestTestConfig(services);
    const config: Config = {
      ...base.config,
      sections: {
        spc: {
          characteristics: [
            {
              name: "spi-volume",
              source: { measurement: "spi", field: "volume_pct_mean" },
              subgroup: { size: 5 },
              chart: "xbar-r",
              lsl: 70,
              usl: 130,
              baseline: { minSubgroups: 8 },
            },
          ],
        },
      },
    };
    ingestor = await startIngestor(config);
    const messages = [
      ...simulateLine({
        seed: 11,
        units: 60,
        start: Date.now() - 4 * 3600_000,
        prefix: config.topicPrefix,
      }),
    ];
    const pub = await publisher(services.mqttUrl);
    await publishMessages(messages, pub, { speed: 0, maxInFlight: 200 });
    await pub.endAsync();
    await eventually(
      async () =>
        (await ingestor?.metrics.messages.get())?.values.find((v) => v.labels.outcome === "written")
          ?.value ?? 0,
      (n) => n >= messages.length,
      60_000,
    );
    await ingestor.stop();
    ingestor = undefined;

    jobs = await startJobs(config, { serve: false });
    const runs = [];
    for (const name of ["sync", "features", "spc", "yield"])
      runs.push(await jobs.scheduler.runNow(name));
    expect(runs.map((r) => [r.job, r.status, r.error])).toEqual([
      ["sync", "ok", undefined],
      ["features", "ok", undefined],
      ["spc", "ok", undefined],
      ["yield", "ok", undefined],
    ]);
    for (const r of runs) expect(r.rowsOut, r.job).toBeGreaterThan(0);

    // The warehouse holds what InfluxDB holds.
    const { warehouse } = jobs;
    const [visitsHere] = await warehouse.all<{ n: number }>("SELECT count(*) AS n FROM unit_event");
    const [visitsThere] = await influxRows(
      services.influxUrl,
      config.influxDb,
      `SELECT count("seen") AS n FROM "unit"`,
    );
    expect(visitsHere?.n).toBe(visitsThere?.n);
    const [features] = await warehouse.all<{ n: number }>(
      "SELECT count(*) AS n FROM unit_features",
    );
    expect(features?.n).toBe(60);

    const again = await jobs.scheduler.runNow("sync");
    expect(again.status).toBe("ok");
    const [visitsAfter] = await warehouse.all<{ n: number }>(
      "SELECT count(*) AS n FROM unit_event",
    );
    expect(visitsAfter?.n).toBe(visitsHere?.n);

    const spcPoints = await influxRows(
      services.influxUrl,
      config.influxDb,
      `SELECT count("value") AS n FROM "spc_point" WHERE "characteristic" = 'spi-volume'`,
    );
    // 60 boards in subgroups of 5: 12 subgroups, each a location and a dispersion point.
    expect(spcPoints[0]?.n).toBe(24);
    const fpy = await influxRows(
      services.influxUrl,
      config.influxDb,
      `SELECT sum("tested") AS tested FROM "yield" WHERE "period" = 'day' AND "station" = 'aoi'`,
    );
    expect(fpy[0]?.tested).toBeGreaterThan(50);
    const recorded = await warehouse.all<{ n: number }>(
      "SELECT count(*) AS n FROM job_run WHERE status = 'ok'",
    );
    expect(recorded[0]?.n).toBe(5);
    const jobPoints = await influxRows(
      services.influxUrl,
      config.influxDb,
      `SELECT count("rows_out") AS n FROM "tracebox_job"`,
    );
    expect(jobPoints[0]?.n).toBe(5);

    // The nightly lane beside the live one, on its own connection, all at once: predict and the
    // features job both rebuild the feature tables (DuckDB would refuse the second with a catalog
    // write-write conflict: the live features tick is skipped while predict rebuilds), archive
    // writes its Parquet and partition table while the sync replaces its slices.
    const together = await Promise.all(
      ["predict", "features", "archive", "sync"].map((name) => jobs?.scheduler.runNow(name)),
    );
    expect(together.map((r) => [r?.job, r?.status, r?.error])).toEqual([
      ["predict", "ok", undefined],
      ["features", "ok", undefined],
      ["archive", "ok", undefined],
      ["sync", "ok", undefined],
    ]);
    const [predictRun, featuresRun, , syncRun] = together;
    // Side by side: the live sync (asked for last) started while the nightly predict still ran;
    // in one lane it would have waited for predict, features and archive.
    expect(syncRun?.startedAt).toBeLessThan(predictRun?.endedAt as number);
    expect(featuresRun?.rowsOut).toBe(0);
    expect((await warehouse.all<{ n: number }>("SELECT count(*) AS n FROM job_run"))[0]?.n).toBe(9);
  });
});
