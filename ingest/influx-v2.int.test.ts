import type { ServerResponse } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import {
  type RecordedRequest,
  type RecordingServer,
  recordingServer,
} from "../influx/recording-server.ts";
import { scrape } from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

// The v2 API (TRACEBOX_INFLUX_ORG + TRACEBOX_INFLUX_BUCKET) through the whole ingestor. No
// InfluxDB 2.x can be installed here (Debian ships 1.6.7, which has no /api/v2/write), so the
// database is a real HTTP server that answers as 2.x does and records what it gets: a fake for
// the one part not at hand, with the real broker and the real ingestor around it.
describe("tracebox ingest writing through the InfluxDB v2 API", () => {
  let server: RecordingServer | undefined;
  let ingestor: Ingestor | undefined;
  afterAll(async () => {
    await ingestor?.stop();
    await server?.close();
  });

  it("writes to /api/v2/write with org, bucket and token, and spools and replays a 503", {
    timeout: 60_000,
  }, async () => {
    let refused: RecordedRequest | undefined;
    server = await recordingServer((request: RecordedRequest, response: ServerResponse) => {
      const path = request.url.pathname;
      if (path === "/api/v2/buckets") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ buckets: [{ name: request.url.searchParams.get("name") }] }));
      } else if (path === "/api/v2/write") {
        // The first write of the stations' readings finds the server unavailable: spooled, then
        // replayed.
        const readings = request.body.split("\n").some((line) => line.startsWith("reflow,"));
        if (readings && refused === undefined) refused = request;
        response.writeHead(request === refused ? 503 : 204);
        response.end();
      } else if (path === "/ping") {
        response.writeHead(204);
        response.end();
      } else {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: "not found", message: `no ${path}` }));
      }
    });
    const { config } = await ingestTestConfig(
      { mqttUrl: testServices().mqttUrl, influxUrl: server.url },
      {
        TRACEBOX_LOG_LEVEL: "silent",
        TRACEBOX_INFLUX_ORG: "acme",
        TRACEBOX_INFLUX_BUCKET: "line a",
        TRACEBOX_INFLUX_TOKEN: "tok-v2",
      },
    );
    ingestor = await startIngestor(config);
    const station = await publisher(testServices().mqttUrl);
    const t0 = Date.now() - 60_000;
    const topic = `${config.topicPrefix}/plant1/smt1/reflow/reflow`;
    for (let i = 0; i < 10; i++)
      await station.publishAsync(
        topic,
        JSON.stringify({ ts: t0 + i, values: { z1_top_c: 240 + i } }),
        {
          qos: 1,
        },
      );
    await station.endAsync();

    const recorded = server.requests;
    const accepted = () =>
      recorded
        .filter((r) => r.url.pathname === "/api/v2/write" && r !== refused)
        .flatMap((r) => r.body.split("\n"))
        .filter((line) => line.startsWith("reflow,"));
    const lines = await eventually(
      async () => accepted(),
      (l) => l.length >= 10,
      30_000,
    );
    // Sorted: the replayed batch and a later direct write may reach the server in either order.
    expect(lines.sort()).toEqual(
      Array.from(
        { length: 10 },
        (_, i) => `reflow,line=smt1,site=plant1,station=reflow z1_top_c=${240 + i} ${t0 + i}`,
      ),
    );
    for (const write of recorded.filter((r) => r.url.pathname === "/api/v2/write")) {
      expect(Object.fromEntries(write.url.searchParams)).toEqual({
        org: "acme",
        bucket: "line a",
        precision: "ms",
      });
      expect(write.headers.authorization).toBe("Token tok-v2");
    }
    expect(refused?.body).toContain(
      `reflow,line=smt1,site=plant1,station=reflow z1_top_c=240 ${t0}`,
    );
    const statusUrl = ingestor.statusUrl;
    const sample = await eventually(
      () => scrape(statusUrl),
      (s) => s("tracebox_ingest_spool_bytes") === 0,
      10_000,
    );
    expect(sample("tracebox_ingest_points_spooled_total")).toBeGreaterThan(0);
    expect(sample("tracebox_ingest_spool_bytes")).toBe(0);
    expect(sample("tracebox_ingest_messages_total", { outcome: "written" })).toBe(10);
  });
});
