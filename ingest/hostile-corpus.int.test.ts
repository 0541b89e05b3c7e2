import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  influxRows,
  type PrivateServices,
  privateServices,
  publishStream,
  type Sample,
  scrape,
} from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { INVALID_DIR, type InvalidCase } from "./contract/test-support/gen-corpus.ts";
import { type ParsedLine, parseLine } from "./contract/test-support/line-protocol.ts";
import { validCorpus } from "./contract/test-support/valid-corpus.ts";
import { DEAD_LETTER_PAYLOAD_LIMIT, type Ingestor, startIngestor } from "./index.ts";

// The corpus states its expected reasons at its own clock (CORPUS_NOW), as its unit test does:
// the ingestor's codec reads that clock here, everything else (broker, pipeline, dead-letter,
// InfluxDB) is the real thing.
vi.mock("./contract/decode.ts", async (importOriginal) => {
  const codec = await importOriginal<typeof import("./contract/decode.ts")>();
  const { CORPUS_NOW: now } = await import("./contract/test-support/gen-corpus.ts");
  return {
    ...codec,
    createDecoder: (options: Parameters<typeof codec.createDecoder>[0]) =>
      codec.createDecoder({ ...options, now: () => now }),
  };
});

interface Letter {
  receivedAt: string;
  topic: string;
  reason: string;
  detail: string;
  payload?: string;
  payloadBase64?: string;
  payloadBytes?: number;
  truncated?: boolean;
}

const PREFIX = "ems";

const cases: InvalidCase[] = readdirSync(INVALID_DIR)
  .filter((file) => file.endsWith(".ndjson"))
  .sort()
  .flatMap((file) =>
    readFileSync(join(INVALID_DIR, file), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as InvalidCase),
  );

function bytesOf(c: InvalidCase): Buffer {
  return c.payloadBase64 !== undefined
    ? Buffer.from(c.payloadBase64, "base64")
    : Buffer.from(c.payload ?? "", "utf8");
}

/**
 * Mosquitto 2.0.11 drops the connection of a client that publishes to an empty topic, one with a
 * wildcard, or one with U+0000, a C0 control or DEL..U+009F (checked: "disconnected due to
 * malformed packet"); a lone surrogate cannot be sent as UTF-8 at all. Such a case never reaches
 * any subscriber, so it cannot reach the ingestor.
 */
function carriedByMqtt(topic: string): boolean {
  return topic !== "" && !/[+#]/.test(topic) && !/\p{Cc}/u.test(topic) && !/\p{Cs}/u.test(topic);
}

/** The ingestor's settings that give a case's decode options, or undefined when none does. */
function settingsFor(c: InvalidCase): NodeJS.ProcessEnv | undefined {
  const { prefix, maxPayloadBytes, maxItems, ...other } = c.options ?? {};
  if (maxItems !== undefined || Object.keys(other).length > 0) return undefined;
  const env: NodeJS.ProcessEnv = { TRACEBOX_TOPIC_PREFIX: prefix ?? PREFIX };
  if (maxPayloadBytes !== undefined) {
    // The configuration accepts 64 bytes at least.
    if (maxPayloadBytes < 64) return undefined;
    env.TRACEBOX_INGEST_MAX_PAYLOAD_BYTES = String(maxPayloadBytes);
  }
  return env;
}

function subscribed(topic: string, prefix: string): boolean {
  return topic === prefix || topic.startsWith(`${prefix}/`);
}

/** One ingestor with one set of settings, and what it made of its share of the corpus. */
interface GroupRun {
  env: NodeJS.ProcessEnv;
  /** Cases on the ingestor's subscription, in publish order. */
  delivered: InvalidCase[];
  /** Carried by MQTT but outside `<prefix>/#`: the broker never hands them to the ingestor. */
  outside: InvalidCase[];
  letters: Letter[];
  sample: Sample;
  measurements: Record<string, unknown>[];
  healthStatus: number;
}

// The ingestor writes its own ledger into the same database every 10 s (`tracebox_ingest`,
// `tracebox_ingest_rejected`); the stations' data is everything else.
const isOwnLedger = (name: unknown) => String(name).startsWith("tracebox_ingest");

function readLetters(dataDir: string): Letter[] {
  const dir = join(dataDir, "dead-letter");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".ndjson"))
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Letter),
    );
}

describe("the contract's rejection corpus through the real broker, pipeline and dead-letter", () => {
  let broker: PrivateServices;
  const runs: GroupRun[] = [];
  const notCarried = cases.filter((c) => !carriedByMqtt(c.topic));
  const noSetting = cases.filter((c) => carriedByMqtt(c.topic) && !settingsFor(c));
  // The ingestor of the default settings is kept running for the valid cases below.
  let survivor: { ingestor: Ingestor; db: string; counted: number } | undefined;

  beforeAll(async () => {
    // A broker of its own: the corpus uses the prefix `ems` as written, and nothing else may
    // hold a session on it.
    broker = await privateServices(["mosquitto"]);
    const groups = new Map<string, { env: NodeJS.ProcessEnv; cases: InvalidCase[] }>();
    for (const c of cases) {
      const env = carriedByMqtt(c.topic) ? settingsFor(c) : undefined;
      if (!env) continue;
      const key = JSON.stringify(env);
      const group = groups.get(key) ?? { env, cases: [] };
      group.cases.push(c);
      groups.set(key, group);
    }
    // One group after the other: each ingestor sees only what was published while it ran. The
    // default settings go last, as that ingestor stays subscribed to `ems/#` for the valid cases.
    const isDefault = (env: NodeJS.ProcessEnv) =>
      env.TRACEBOX_TOPIC_PREFIX === PREFIX && Object.keys(env).length === 1;
    const ordered = [...groups.values()].sort(
      (a, b) => Number(isDefault(a.env)) - Number(isDefault(b.env)),
    );
    for (const { env, cases: share } of ordered) {
      const prefix = env.TRACEBOX_TOPIC_PREFIX as string;
      const { config } = await ingestTestConfig(
        { mqttUrl: broker.mqttUrl, influxUrl: testServices().influxUrl },
        { ...env, TRACEBOX_LOG_LEVEL: "silent" },
      );
      const ingestor = await startIngestor(config);
      const delivered = share.filter((c) => subscribed(c.topic, prefix));
      const outside = share.filter((c) => !subscribed(c.topic, prefix));
      const pub = await publisher(broker.mqttUrl);
      // Outside the subscription first (`$`-topics get PUBACK 135 from Mosquitto; either way they
      // must never show in the ledger), then the ingestor's share in order.
      await publishStream(pub, outside.length, (i) => {
        const c = outside[i] as InvalidCase;
        return [c.topic, bytesOf(c)];
      });
      const acked = await publishStream(pub, delivered.length, (i) => {
        const c = delivered[i] as InvalidCase;
        return [c.topic, bytesOf(c)];
      });
      expect(acked.size, "every delivered case is acknowledged by the broker").toBe(
        delivered.length,
      );
      await pub.endAsync();
      const counted = (s: Sample) =>
        (s("tracebox_ingest_messages_total", { outcome: "written" }) ?? 0) +
        (s("tracebox_ingest_messages_total", { outcome: "rejected" }) ?? 0);
      const sample = await eventually(
        () => scrape(ingestor.statusUrl),
        (s) => counted(s) >= delivered.length,
        60_000,
      );
      const healthStatus = (await fetch(`${ingestor.statusUrl}/healthz`)).status;
      runs.push({
        env,
        delivered,
        outside,
        letters: delivered.length > 0 ? readLetters(config.dataDir) : [],
        sample,
        measurements: (
          await influxRows(testServices().influxUrl, config.influxDb, "SHOW MEASUREMENTS")
        ).filter((row) => !isOwnLedger(row.name)),
        healthStatus,
      });
      if (isDefault(env)) survivor = { ingestor, db: config.influxDb, counted: delivered.length };
      else await ingestor.stop();
    }
  }, 180_000);

  afterAll(async () => {
    await survivor?.ingestor.stop();
    await broker?.dispose();
  });

  it("delivers the corpus except what MQTT or the ingestor's settings cannot express", () => {
    const delivered = runs.reduce((n, r) => n + r.delivered.length, 0);
    const outside = runs.flatMap((r) => r.outside);
    expect(delivered + outside.length + notCarried.length + noSetting.length).toBe(cases.length);
    // Outside `<prefix>/#` are only topic cases (another root, `$SYS`, `$share`, ...).
    for (const c of outside) expect(c.reason, c.name).toBe("bad_topic");
    // Wildcards, NUL and newlines in a topic level, and the empty topic.
    expect(notCarried.map((c) => c.name).sort()).toEqual(
      cases
        .filter((c) => /topic (empty|.* (plus wildcard|hash wildcard|nul|newline))$/.test(c.name))
        .map((c) => c.name)
        .sort(),
    );
    // maxItems is the codec's own bound (no ingestor setting); payload bounds under 64 bytes are
    // below what the configuration accepts. Both are covered by the codec's unit test.
    for (const c of noSetting)
      expect(c.options?.maxItems !== undefined || (c.options?.maxPayloadBytes ?? 64) < 64).toBe(
        true,
      );
    console.log(
      `corpus: ${cases.length} cases, ${delivered} delivered to an ingestor, ${outside.length} outside its subscription, ${notCarried.length} not carried by MQTT, ${noSetting.length} need a codec option the ingestor does not expose`,
    );
  });

  it("keeps every ingestor up and connected, and counts every delivered message exactly once", () => {
    for (const run of runs) {
      const label = JSON.stringify(run.env);
      expect(run.healthStatus, label).toBe(200);
      expect(run.sample("tracebox_ingest_broker_connected"), label).toBe(1);
      expect(run.sample("tracebox_ingest_broker_reconnects_total"), label).toBe(0);
      expect(run.sample("tracebox_ingest_messages_total", { outcome: "written" }), label).toBe(0);
      expect(run.sample("tracebox_ingest_messages_total", { outcome: "rejected" }), label).toBe(
        run.delivered.length,
      );
      expect(run.sample("tracebox_ingest_unacknowledged_messages"), label).toBe(0);
      const byReason = new Map<string, number>();
      for (const c of run.delivered) byReason.set(c.reason, (byReason.get(c.reason) ?? 0) + 1);
      for (const [reason, count] of byReason)
        expect(run.sample("tracebox_ingest_rejected_total", { reason }), `${label} ${reason}`).toBe(
          count,
        );
    }
  });

  it("writes one dead-letter record per delivered case, in order, with the expected reason and path", () => {
    for (const run of runs) {
      expect(run.letters).toHaveLength(run.delivered.length);
      const wrong: string[] = [];
      run.delivered.forEach((c, i) => {
        const letter = run.letters[i] as Letter;
        if (letter.topic !== c.topic)
          wrong.push(`${c.name}: topic ${JSON.stringify(letter.topic)}`);
        else if (letter.reason !== c.reason)
          wrong.push(`${c.name}: ${letter.reason} (${letter.detail}), expected ${c.reason}`);
        else if (c.path !== undefined && !letter.detail.startsWith(c.path))
          wrong.push(`${c.name}: detail "${letter.detail}" does not start with ${c.path}`);
        else if (/\p{Cc}/u.test(letter.detail))
          wrong.push(`${c.name}: detail carries a control character`);
        else if (Number.isNaN(Date.parse(letter.receivedAt)))
          wrong.push(`${c.name}: receivedAt ${letter.receivedAt}`);
      });
      expect(wrong).toEqual([]);
    }
  });

  const startsWithBom = (c: InvalidCase) =>
    bytesOf(c)
      .subarray(0, 3)
      .equals(Buffer.from([0xef, 0xbb, 0xbf]));

  function payloadMismatches(select: (c: InvalidCase) => boolean): string[] {
    const wrong: string[] = [];
    for (const run of runs) {
      run.delivered.forEach((c, i) => {
        if (!select(c)) return;
        const letter = run.letters[i] as Letter;
        const sent = bytesOf(c);
        const kept =
          letter.payloadBase64 !== undefined
            ? Buffer.from(letter.payloadBase64, "base64")
            : Buffer.from(letter.payload ?? "", "utf8");
        const cut = sent.length > DEAD_LETTER_PAYLOAD_LIMIT;
        if (!kept.equals(sent.subarray(0, DEAD_LETTER_PAYLOAD_LIMIT)))
          wrong.push(`${c.name}: payload ${kept.length} bytes, sent ${sent.length}`);
        else if (cut && (letter.payloadBytes !== sent.length || letter.truncated !== true))
          wrong.push(`${c.name}: cut without saying so`);
      });
    }
    return wrong;
  }

  it("keeps each payload byte for byte (UTF-8 as text, anything else as base64, cut at 16 KiB)", () => {
    expect(payloadMismatches((c) => !startsWithBom(c))).toEqual([]);
  });

  // A leading U+FEFF must survive: TextDecoder("utf-8", { fatal: true }) strips it unless told
  // ignoreBOM (an earlier DeadLetterFile lost it, and the record was not the payload received).
  it("keeps a payload that starts with a byte-order mark byte for byte", () => {
    expect(cases.some(startsWithBom)).toBe(true);
    expect(payloadMismatches(startsWithBom)).toEqual([]);
  });

  it("stores nothing from the corpus", () => {
    for (const run of runs) expect(run.measurements).toEqual([]);
  });

  describe("the contract's valid corpus (line-protocol syntax and injection in every field) afterwards", () => {
    const valid = validCorpus().map((c) => ({ ...c, points: c.expected.map(parseLine) }));
    const seriesOf = (p: ParsedLine) =>
      `${p.measurement}\u0000${JSON.stringify(Object.entries(p.tags).sort())}`;
    /**
     * Cases sharing an ingestor (and so a database) must not share a point's series and time:
     * InfluxDB would merge the two into one. The cases are grouped so that none do, by prefix.
     */
    function batches(): { prefix: string; cases: typeof valid }[] {
      const out: { prefix: string; cases: typeof valid; keys: Set<string> }[] = [];
      for (const c of valid) {
        const prefix = c.options.prefix ?? PREFIX;
        const keys = c.points.map((p) => `${seriesOf(p)}@${p.ts}`);
        const fit = out.find((b) => b.prefix === prefix && keys.every((k) => !b.keys.has(k)));
        const batch = fit ?? { prefix, cases: [], keys: new Set<string>() };
        if (!fit) out.push(batch);
        batch.cases.push(c);
        for (const k of keys) batch.keys.add(k);
      }
      return out;
    }

    it("stores each literally, exactly the expected points and series, first on the ingestor that took the corpus", async () => {
      expect(valid.length).toBeGreaterThan(0);
      expect(survivor).toBeDefined();
      const canonical = (row: Record<string, unknown>) =>
        JSON.stringify(
          Object.entries(row)
            .filter(([, v]) => v !== null)
            .sort(([a], [b]) => a.localeCompare(b)),
        );
      let survivorUsed = false;
      const all = batches();
      console.log(
        `valid corpus: ${valid.length} cases, ${valid.reduce((n, c) => n + c.points.length, 0)} points, in ${all.length} databases`,
      );
      for (const batch of all) {
        const onSurvivor: boolean = !survivorUsed && batch.prefix === PREFIX;
        survivorUsed ||= onSurvivor;
        let target = survivor as NonNullable<typeof survivor>;
        if (!onSurvivor) {
          const { config } = await ingestTestConfig(
            { mqttUrl: broker.mqttUrl, influxUrl: testServices().influxUrl },
            { TRACEBOX_TOPIC_PREFIX: batch.prefix, TRACEBOX_LOG_LEVEL: "silent" },
          );
          target = { ingestor: await startIngestor(config), db: config.influxDb, counted: 0 };
        }
        const { ingestor, db } = target;
        const label = `${batch.prefix}: ${batch.cases.map((c) => c.name).join(", ")}`;
        try {
          const pub = await publisher(broker.mqttUrl);
          for (const c of batch.cases)
            await pub.publishAsync(c.topic, Buffer.from(c.payload), { qos: 1 });
          await pub.endAsync();
          const sample = await eventually(
            () => scrape(ingestor.statusUrl),
            (s) =>
              (s("tracebox_ingest_messages_total", { outcome: "written" }) ?? 0) +
                (s("tracebox_ingest_messages_total", { outcome: "rejected" }) ?? 0) >=
              target.counted + batch.cases.length,
          );
          expect(sample("tracebox_ingest_messages_total", { outcome: "written" }), label).toBe(
            batch.cases.length,
          );

          const expected = batch.cases.flatMap((c) => c.points);
          const measurements = [...new Set(expected.map((p) => p.measurement))].sort();
          const shown = await influxRows(testServices().influxUrl, db, "SHOW MEASUREMENTS");
          expect(
            shown.map((r) => r.name).filter((name) => !isOwnLedger(name)),
            label,
          ).toEqual(measurements);
          const series = (await influxRows(testServices().influxUrl, db, "SHOW SERIES")).filter(
            (row) => !isOwnLedger(String(row.key).split(",")[0]),
          );
          expect(series, label).toHaveLength(new Set(expected.map(seriesOf)).size);
          for (const measurement of measurements) {
            const rows = await influxRows(
              testServices().influxUrl,
              db,
              `SELECT * FROM "${measurement}"`,
            );
            const want = expected
              .filter((p) => p.measurement === measurement)
              .map((p) => ({ time: p.ts, ...p.tags, ...p.fields }));
            // Every non-null column compared: an injected tag or field would be a column of its own.
            expect(rows.map(canonical).sort(), `${label} ${measurement}`).toEqual(
              want.map(canonical).sort(),
            );
          }
        } finally {
          if (!onSurvivor) await ingestor.stop();
        }
      }
    });
  });
});
