import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  exited,
  healthy,
  influxRows,
  publishStream,
  scrape,
  spawnIngestor,
} from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";

/** An address of this machine other than loopback, if it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  return undefined;
}

describe.each(["SIGTERM", "SIGINT"] as const)(
  "tracebox ingest stopped with %s mid-stream",
  (signal) => {
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const child of children.splice(0))
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });

    it("exits 0, and after a restart every published point is stored exactly once", async () => {
      const services = testServices();
      const { config, env } = await ingestTestConfig(services);
      const statusUrl = `http://127.0.0.1:${config.httpPort}`;
      let child = spawnIngestor(env);
      children.push(child);
      expect(await healthy(statusUrl)).toBe(true);

      const t0 = Date.now() - 3_600_000;
      const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
      const message = (i: number): [string, string] => [
        topic,
        JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + (i % 10), seq: i } }),
      ];
      const pub = await publisher(services.mqttUrl);
      const total = 6000;
      const first = await publishStream(pub, 2000, message);
      expect(first.size).toBe(2000);
      const written = async () =>
        (await scrape(statusUrl))("tracebox_ingest_messages_total", { outcome: "written" }) ?? 0;
      expect(await eventually(written, (n) => n >= 1000)).toBeGreaterThanOrEqual(1000);

      // The stop arrives while messages are still coming in.
      const rest = publishStream(pub, total, message, { from: 2000, acked: first });
      expect(await written()).toBeLessThan(total);
      child.kill(signal);
      const exit = await exited(child);
      expect(exit).toEqual({ code: 0, signal: null });
      // Stopped cleanly: the data dir is free for the next start.
      expect(existsSync(join(config.dataDir, "ingest.lock"))).toBe(false);
      const acked = await rest;
      await pub.endAsync();
      expect(acked.size).toBe(total);

      child = spawnIngestor(env);
      children.push(child);
      expect(await healthy(statusUrl)).toBe(true);
      const count = async () =>
        Number(
          (
            await influxRows(services.influxUrl, config.influxDb, "SELECT count(seq) FROM reflow")
          )[0]?.count ?? 0,
        );
      expect(await eventually(count, (n) => n >= total, 60_000)).toBe(total);
      const [span] = await influxRows(
        services.influxUrl,
        config.influxDb,
        "SELECT count(z1_top_c), min(seq), max(seq), sum(seq) FROM reflow",
      );
      expect(span).toMatchObject({
        count: total,
        min: 0,
        max: total - 1,
        sum: (total * (total - 1)) / 2,
      });

      // Its ledger: one point per message here, every one written straight to InfluxDB (no
      // outage), each write timed.
      const sample = await scrape(statusUrl);
      const messages = sample("tracebox_ingest_messages_total", { outcome: "written" }) ?? 0;
      expect(messages).toBeGreaterThan(0);
      expect(sample("tracebox_ingest_points_written_total")).toBe(messages);
      expect(sample("tracebox_ingest_points_spooled_total")).toBe(0);
      expect(sample("tracebox_ingest_write_seconds_count")).toBeGreaterThanOrEqual(1);
      expect(sample("tracebox_ingest_write_seconds_sum")).toBeGreaterThan(0);
      // /metrics and /healthz answer on loopback only (the default TRACEBOX_HTTP_HOST).
      const external = externalAddress();
      if (external !== undefined) {
        const outside = await fetch(`http://${external}:${config.httpPort}/healthz`).then(
          (r) => r.status,
          () => "refused",
        );
        expect(outside).toBe("refused");
      }

      child.kill(signal);
      expect(await exited(child)).toEqual({ code: 0, signal: null });
    });
  },
);
