import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  type PublishClient,
  PublishError,
  publishMessages,
  redactUrl,
  type SimulatedMessage,
  writeNdjson,
} from "./index.ts";

function messages(count: number, spacingMs: number): SimulatedMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    ts: 1_000_000 + index * spacingMs,
    topic: `ems/plant1/line1/aoi/event`,
    payload: { ts: 1_000_000 + index * spacingMs, kind: "stop", code: `C${index}` },
  }));
}

/** A broker that acknowledges when told to, and records what it got. */
class FakeBroker implements PublishClient {
  readonly received: string[] = [];
  readonly waiting: (() => void)[] = [];
  maxInFlight = 0;
  failAt: number | undefined;

  publishAsync(topic: string, message: string, options: { qos: 1 }): Promise<unknown> {
    expect(options.qos).toBe(1);
    this.received.push(`${topic} ${message}`);
    const index = this.received.length - 1;
    return new Promise((resolve, reject) => {
      this.waiting.push(() =>
        index === this.failAt ? reject(new Error("broker gone")) : resolve(undefined),
      );
      this.maxInFlight = Math.max(this.maxInFlight, this.waiting.length);
      // Acknowledge in a later tick, oldest first, like a broker would.
      setImmediate(() => this.waiting.shift()?.());
    });
  }
}

/** A wall clock that only moves when the publisher sleeps. */
function fakeClock() {
  const clock = {
    time: 0,
    slept: 0,
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.time += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

describe("publishMessages", () => {
  it("publishes at QoS 1 in order with a bounded number in flight", async () => {
    const broker = new FakeBroker();
    const input = messages(300, 10);
    const summary = await publishMessages(input, broker, { speed: 0, maxInFlight: 8 });
    expect(summary.published).toBe(300);
    expect(summary.lastTs).toBe(input[299]?.ts);
    expect(broker.maxInFlight).toBeLessThanOrEqual(8);
    expect(broker.maxInFlight).toBeGreaterThan(1);
    expect(broker.received).toEqual(input.map((m) => `${m.topic} ${JSON.stringify(m.payload)}`));
  });

  it("paces simulated time by the speed-up factor", async () => {
    const clock = fakeClock();
    // 100 messages a second apart: 99 s of simulated time at 10x is 9.9 s of wall time.
    await publishMessages(messages(100, 1000), new FakeBroker(), { speed: 10 }, undefined, clock);
    expect(clock.slept).toBeCloseTo(9900, 0);
  });

  it("does not wait at speed 0", async () => {
    const clock = fakeClock();
    await publishMessages(messages(50, 60_000), new FakeBroker(), { speed: 0 }, undefined, clock);
    expect(clock.slept).toBe(0);
  });

  it("stops with a PublishError when the broker refuses", async () => {
    const broker = new FakeBroker();
    broker.failAt = 20;
    const attempt = publishMessages(messages(200, 1), broker, { speed: 0, maxInFlight: 4 });
    await expect(attempt).rejects.toBeInstanceOf(PublishError);
    await expect(attempt).rejects.toMatchObject({ reason: "publish_failed" });
    expect(broker.received.length).toBeLessThan(200);
  });

  it("hides the password of a broker URL", () => {
    expect(redactUrl("mqtt://user:secret@broker:1883")).toBe("mqtt://user:****@broker:1883");
  });
});

describe("writeNdjson", () => {
  it("writes one {topic, payload} object per line", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk) => {
      text += String(chunk);
    });
    const input = messages(5, 1);
    expect(await writeNdjson(input, out)).toBe(5);
    const lines = text.trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line))).toEqual(
      input.map(({ topic, payload }) => ({ topic, payload })),
    );
  });
});
