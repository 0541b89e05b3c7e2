import { setTimeout as sleep } from "node:timers/promises";
import { createInfluxClient, type InfluxClient, quoteIdent } from "../influx/index.ts";
import { cpuSeconds } from "./proc.ts";

/** A database made for one measurement, so no two measurements see each other's points. */
export async function freshDatabase(influxUrl: string, name: string): Promise<InfluxClient> {
  const client = createInfluxClient({ url: influxUrl, database: name, timeoutMs: 120_000 });
  await client.ensureDatabase();
  return client;
}

/** Points of `measurement` that have `field`, over all time. */
export async function countPoints(
  client: InfluxClient,
  measurement: string,
  field: string,
): Promise<number> {
  const result = await client.query(
    `SELECT count(${quoteIdent(field)}) FROM ${quoteIdent(measurement)}`,
  );
  const value = result.series[0]?.values[0]?.[1];
  return typeof value === "number" ? value : 0;
}

export async function dropDatabase(client: InfluxClient): Promise<void> {
  await client.query(`DROP DATABASE ${quoteIdent(client.options.database)}`);
}

/**
 * Waits until InfluxDB is nearly idle (its cache snapshots and compactions of the last measurement
 * done), so one measurement does not pay for the previous one; gives up after `maxMs`.
 * Returns how long it waited, ms.
 */
export async function settle(influxdPid: number, maxMs = 20_000): Promise<number> {
  const started = performance.now();
  const windowMs = 500;
  while (performance.now() - started < maxMs) {
    const before = cpuSeconds(influxdPid);
    await sleep(windowMs);
    const after = cpuSeconds(influxdPid);
    if (before === undefined || after === undefined) break;
    if ((after - before) / (windowMs / 1000) < 0.05) break;
  }
  return performance.now() - started;
}
