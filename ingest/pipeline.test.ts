import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createInfluxClient } from "../influx/index.ts";
import { type RecordingServer, recordingServer } from "../influx/recording-server.ts";
import type { AckToken } from "./broker.ts";
import { createDecoder } from "./contract/index.ts";
import { DeadLetterFile } from "./dead-letter.ts";
import { IngestMetrics } from "./metrics.ts";
import { Pipeline } from "./pipeline.ts";
import { Spool } from "./spool.ts";

// The pipeline with real parts around it: an HTTP server answering as InfluxDB does (204), a spool
// and a dead-letter file on disk, whose day file is made a directory to refuse its writes: the
// fault a full or broken disk gives, caused for real.
describe("Pipeline, when a batch cannot be made durable", () => {
  let dir: string;
  let server: RecordingServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "tracebox-pipeline-"));
    server = await recordingServer((_, response) => {
      response.writeHead(204);
      response.end();
    });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks for a redelivery of that connection, backing off, and acknowledges once it can", {
    timeout: 20_000,
  }, async () => {
    const day = join(dir, "dead-letter", `${new Date().toISOString().slice(0, 10)}.ndjson`);
    mkdirSync(day, { recursive: true });
    const metrics = new IngestMetrics({ defaultMetrics: false });
    const released: AckToken[] = [];
    const redeliveries: { epoch: number; at: number }[] = [];
    const pipeline = new Pipeline(
      { batchSize: 1000, batchMaxAgeMs: 10, batchMessages: 100 },
      {
        decode: createDecoder({ prefix: "ems" }),
        influx: createInfluxClient({ url: server.url, database: "d" }),
        spool: await Spool.open(join(dir, "spool"), 1 << 20),
        deadLetter: new DeadLetterFile(join(dir, "dead-letter")),
        metrics,
        release: (tokens) => released.push(...tokens),
        redeliver: (epoch) => redeliveries.push({ epoch, at: performance.now() }),
        log: pino({ level: "silent" }),
      },
    );
    const gauge = async () => (await metrics.inFlight.get()).values[0]?.value;
    // The broker's delivery of one bad message, as connection `epoch` receives it.
    const deliver = (epoch: number) =>
      pipeline.accept({
        topic: "ems/p/l/s/reflow",
        payload: Buffer.from("not json"),
        receivedAt: Date.now(),
        dup: epoch > 1,
        ack: { epoch, messageId: 7 },
      });
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    const started = performance.now();
    deliver(1);
    await until(() => redeliveries.length === 1);
    expect(redeliveries[0]?.epoch).toBe(1);
    expect(redeliveries[0]?.at).toBeGreaterThanOrEqual(started + 950);
    expect(await gauge()).toBe(0);
    expect(released).toEqual([]);

    // Delivered again on the next connection, failing again: the wait doubles.
    const again = performance.now();
    deliver(2);
    await until(() => redeliveries.length === 2);
    expect(redeliveries[1]?.epoch).toBe(2);
    expect(redeliveries[1]?.at).toBeGreaterThanOrEqual(again + 1950);

    // The fault gone: the third delivery is made durable and acknowledged.
    rmSync(day, { recursive: true });
    deliver(3);
    await until(() => released.length === 1);
    expect(released).toEqual([{ epoch: 3, messageId: 7 }]);
    expect(await gauge()).toBe(0);
    expect((await metrics.commitFailures.get()).values[0]?.value).toBe(2);
    expect(
      (await metrics.messages.get()).values.find((v) => v.labels.outcome === "rejected")?.value,
    ).toBe(1);
    await pipeline.flush();
    expect(redeliveries).toHaveLength(2);
  });

  it("asks for no redelivery of a batch that fails while stopping", {
    timeout: 20_000,
  }, async () => {
    mkdirSync(join(dir, "dead-letter", `${new Date().toISOString().slice(0, 10)}.ndjson`), {
      recursive: true,
    });
    const redeliveries: number[] = [];
    const metrics = new IngestMetrics({ defaultMetrics: false });
    const pipeline = new Pipeline(
      { batchSize: 1000, batchMaxAgeMs: 10_000, batchMessages: 100 },
      {
        decode: createDecoder({ prefix: "ems" }),
        influx: createInfluxClient({ url: server.url, database: "d" }),
        spool: await Spool.open(join(dir, "spool"), 1 << 20),
        deadLetter: new DeadLetterFile(join(dir, "dead-letter")),
        metrics,
        release: () => {},
        redeliver: (epoch) => redeliveries.push(epoch),
        log: pino({ level: "silent" }),
      },
    );
    pipeline.accept({
      topic: "ems/p/l/s/reflow",
      payload: Buffer.from("not json"),
      receivedAt: Date.now(),
      dup: false,
      ack: { epoch: 1, messageId: 1 },
    });
    await pipeline.flush();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(redeliveries).toEqual([]);
    expect((await metrics.inFlight.get()).values[0]?.value).toBe(0);
  });
});
