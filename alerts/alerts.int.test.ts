import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../config/index.ts";
import { type Ingestor, startIngestor } from "../ingest/index.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { ALERT_ROOT, type Alert } from "./index.ts";

/** A webhook receiver that fails its first `failFirst` requests and answers slowly: a real HTTP server. */
async function webhookReceiver(
  failFirst: number,
  delayMs: number,
): Promise<{ url: string; received: Alert[]; attempts: () => number; server: Server }> {
  const received: Alert[] = [];
  let attempts = 0;
  const server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      attempts += 1;
      setTimeout(() => {
        if (attempts <= failFirst) {
          response.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body) as Alert);
        response.writeHead(204).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    attempts: () => attempts,
    server,
  };
}

describe("live alerts in tracebox ingest", () => {
  let ingestor: Ingestor | undefined;
  const servers: Server[] = [];
  afterEach(async () => {
    await ingestor?.stop();
    ingestor = undefined;
    for (const s of servers.splice(0)) s.close();
  });

  it("raises and clears through MQTT (retained, with serials), InfluxDB and a slow, failing webhook that never blocks ingest", async () => {
    const services = testServices();
    const hook = await webhookReceiver(2, 300);
    servers.push(hook.server);
    const base = await ingestTestConfig(services);
    const file = join(base.config.dataDir, "tracebox.yaml");
    writeFileSync(
      file,
      stringify({
        alerts: {
          rules: [
            {
              name: "o2-high",
              characteristic: "reflow.o2_ppm",
              high: 1000,
              debounceMs: 0,
              hysteresis: 50,
            },
          ],
          webhooks: [{ url: hook.url, timeoutMs: 2000 }],
        },
      }),
    );
    const { config } = loadConfig({ env: { ...base.env, TRACEBOX_CONFIG: file } });
    ingestor = await startIngestor(config);
    const p = config.topicPrefix;

    // A line controller watching the alert topics.
    const watcher = await mqtt.connectAsync(services.mqttUrl, { protocolVersion: 5 });
    const seen: Alert[] = [];
    watcher.on("message", (topic, payload) => {
      if (topic === `${ALERT_ROOT}/${p}-site/smt1/oven`)
        seen.push(JSON.parse(payload.toString()) as Alert);
    });
    await watcher.subscribeAsync(`${ALERT_ROOT}/#`, { qos: 1 });

    const pub = await publisher(services.mqttUrl);
    const t = Date.now() - 10_000;
    const site = `${p}-site`;
    await pub.publishAsync(
      `${p}/${site}/smt1/oven/unit`,
      JSON.stringify({ ts: t, serial: "SN-A", event: "start" }),
      { qos: 1 },
    );
    await pub.publishAsync(
      `${p}/${site}/smt1/aoi/unit`,
      JSON.stringify({ ts: t, serial: "SN-Z", event: "start" }),
      { qos: 1 },
    );
    const readings = [800, 1200, 1100, 990, 1010, 900, 800];
    for (const [i, v] of readings.entries()) {
      await pub.publishAsync(
        `${p}/${site}/smt1/oven/reflow`,
        JSON.stringify({ ts: t + 100 + i, values: { o2_ppm: v } }),
        { qos: 1 },
      );
    }
    // Ingest keeps flowing while the webhook fails and is slow.
    const more = 200;
    for (let i = 0; i < more; i++) {
      await pub.publishAsync(
        `${p}/${site}/smt1/oven/reflow`,
        JSON.stringify({ ts: t + 1000 + i, values: { o2_ppm: 700 } }),
        { qos: 1 },
      );
    }
    await pub.endAsync();
    const written = await eventually(
      async () =>
        (await ingestor?.metrics.messages.get())?.values.find((v) => v.labels.outcome === "written")
          ?.value ?? 0,
      (n) => n >= 2 + readings.length + more,
    );
    expect(written).toBe(2 + readings.length + more);
    // All of it was stored before the webhook got its first alert through.
    expect(hook.received.length).toBe(0);

    await eventually(
      async () => seen.length,
      (n) => n >= 2,
    );
    expect(seen.map((a) => [a.state, a.value, a.limit, a.serials])).toEqual([
      ["raised", 1200, 1000, ["SN-A"]],
      ["cleared", 900, 1000, ["SN-A"]],
    ]);
    expect(seen[0]?.id).toBe(seen[1]?.id);

    await eventually(
      async () => hook.received.length,
      (n) => n >= 2,
      30_000,
    );
    expect(hook.received.map((a) => a.state)).toEqual(["raised", "cleared"]);
    expect(hook.attempts()).toBe(4); // two 503s, retried

    const q = encodeURIComponent(`SELECT "state", "value", "serials" FROM "alert"`);
    const stored = await eventually(
      async () =>
        (
          (await (
            await fetch(`${services.influxUrl}/query?db=${config.influxDb}&q=${q}`)
          ).json()) as { results: { series?: { values: unknown[][] }[] }[] }
        ).results[0]?.series?.[0]?.values ?? [],
      (v) => v.length >= 2,
    );
    expect(stored.map((r) => [r[1], r[2], r[3]])).toEqual([
      ["raised", 1200, '["SN-A"]'],
      ["cleared", 900, '["SN-A"]'],
    ]);
    const metrics =
      await ingestor.metrics.registry.getSingleMetricAsString("tracebox_alerts_total");
    expect(metrics).toContain('tracebox_alerts_total{rule="o2-high",state="raised"} 1');
    expect(metrics).toContain('tracebox_alerts_total{rule="o2-high",state="cleared"} 1');
    await watcher.endAsync();
  });

  it("keeps a raised alert across an ingestor restart: retained state, cleared once afterwards", async () => {
    const services = testServices();
    const base = await ingestTestConfig(services);
    const file = join(base.config.dataDir, "tracebox.yaml");
    writeFileSync(
      file,
      stringify({
        alerts: { rules: [{ name: "rh", characteristic: "env.humidity_rh", low: 30, high: 60 }] },
      }),
    );
    const { config } = loadConfig({ env: { ...base.env, TRACEBOX_CONFIG: file } });
    const p = config.topicPrefix;
    const site = `${p}-site`;
    const topic = `${ALERT_ROOT}/${site}/hall/env01`;
    const t = Date.now() - 10_000;

    ingestor = await startIngestor(config);
    const pub = await publisher(services.mqttUrl);
    await pub.publishAsync(
      `${p}/${site}/hall/env01/env`,
      JSON.stringify({ ts: t, values: { humidity_rh: 75 } }),
      { qos: 1 },
    );
    const raisedCount = async (running: Ingestor) =>
      Number(
        /state="raised"} (\d+)/.exec(
          await running.metrics.registry.getSingleMetricAsString("tracebox_alerts_total"),
        )?.[1] ?? 0,
      );
    const first = ingestor;
    expect(
      await eventually(
        () => raisedCount(first),
        (n) => n === 1,
      ),
    ).toBe(1);
    await ingestor.stop();

    ingestor = await startIngestor(config);
    // Still out of spec after the restart: not raised a second time.
    await pub.publishAsync(
      `${p}/${site}/hall/env01/env`,
      JSON.stringify({ ts: t + 1000, values: { humidity_rh: 76 } }),
      { qos: 1 },
    );
    await pub.publishAsync(
      `${p}/${site}/hall/env01/env`,
      JSON.stringify({ ts: t + 2000, values: { humidity_rh: 45 } }),
      { qos: 1 },
    );
    await pub.endAsync();

    const retained = await eventually(
      async () => {
        const reader = await mqtt.connectAsync(services.mqttUrl, { protocolVersion: 5 });
        const got = new Promise<(Alert & { active: unknown[] }) | undefined>((resolve) => {
          reader.on(
            "message",
            (_t, payload, packet) => packet.retain && resolve(JSON.parse(payload.toString())),
          );
          setTimeout(() => resolve(undefined), 1000);
        });
        await reader.subscribeAsync(topic, { qos: 1 });
        const value = await got;
        await reader.endAsync();
        return value;
      },
      (a) => a?.state === "cleared",
    );
    expect(retained?.state).toBe("cleared");
    expect(retained?.active).toEqual([]);
    expect(await raisedCount(ingestor)).toBe(0);
    expect(
      await ingestor.metrics.registry.getSingleMetricAsString("tracebox_alerts_total"),
    ).toContain('state="cleared"} 1');
  });
});
