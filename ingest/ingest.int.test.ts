import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseInfluxSchemaDoc } from "../dashboards/storage-schema.ts";
import { testServices } from "../test/index.ts";
import { countPoints, eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

const services = () => testServices();

async function query(db: string, q: string): Promise<Record<string, unknown>[]> {
  const url = `${services().influxUrl}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`;
  const body = (await (await fetch(url)).json()) as {
    results: { series?: { columns: string[]; values: unknown[][] }[] }[];
  };
  const series = body.results[0]?.series ?? [];
  return series.flatMap((s) =>
    s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))),
  );
}

describe("tracebox ingest, round trip through the real broker and database", () => {
  let ingestor: Ingestor | undefined;
  afterEach(async () => {
    await ingestor?.stop();
    ingestor = undefined;
  });

  it("stores every channel and both sample forms with the documented tags and fields", async () => {
    const { config } = await ingestTestConfig(services());
    ingestor = await startIngestor(config);
    const db = config.influxDb;
    const p = config.topicPrefix;
    const t = Date.now() - 60_000;
    const iso = new Date(t + 5).toISOString();
    const messages: [string, unknown][] = [
      [`${p}/plant1/smt1/reflow/reflow`, { ts: t, values: { z1_top_c: 245.1, o2_ppm: 480 } }],
      [
        `${p}/plant1/smt1/reflow/reflow`,
        {
          samples: [
            { ts: t + 1, values: { z1_top_c: 245.3 } },
            { ts: iso, values: { z1_top_c: 245.6 } },
          ],
        },
      ],
      [
        `${p}/plant1/smt1/reflow/profile`,
        {
          samples: [{ ts: t + 2, serial: "(01)04012345678901(21)A7", values: { board_c: 231.5 } }],
        },
      ],
      [
        `${p}/plant1/smt1/aoi/unit`,
        { ts: t, serial: "SN-1", event: "start", product: "ctrl-a", panel: "P1" },
      ],
      [
        `${p}/plant1/smt1/aoi/unit`,
        { ts: t + 900, serial: "SN-1", event: "complete", result: "pass" },
      ],
      [
        `${p}/plant1/smt1/spi/spi`,
        {
          ts: t,
          serial: "SN-1",
          product: "ctrl-a",
          result: "pass",
          pads: [
            {
              ref: "U1.1",
              volume_pct: 98.5,
              height_um: 120,
              area_pct: 101,
              offset_x_um: 3,
              offset_y_um: -2,
            },
            {
              ref: "R1.1",
              volume_pct: 91,
              height_um: 118,
              area_pct: 97,
              offset_x_um: 0,
              offset_y_um: 1,
            },
          ],
        },
      ],
      // A second board inspected in the same millisecond: both stored.
      [
        `${p}/plant1/smt1/spi/spi`,
        {
          ts: t,
          serial: "SN-2",
          result: "pass",
          pads: [
            {
              ref: "U1.1",
              volume_pct: 77,
              height_um: 100,
              area_pct: 90,
              offset_x_um: 1,
              offset_y_um: 1,
            },
          ],
        },
      ],
      [
        `${p}/plant1/smt1/fct/test`,
        {
          ts: t,
          serial: "SN-1",
          kind: "fct",
          result: "fail",
          program: "fct-7",
          defects: [
            { code: "void", ref: "U1" },
            { code: "void", ref: "U1" },
          ],
          measurements: [{ name: "i_supply_ma", value: 131.2, low: 100, high: 130, unit: "mA" }],
          firmware: { version: "1.4.2", checksum: "9f3a", mac: "00:1B:44:11:3A:B7" },
        },
      ],
      [
        `${p}/plant1/smt1/pnp/material`,
        {
          ts: t,
          serial: "SN-1",
          placements: [
            {
              ref: "C1",
              part: "GRM155",
              lot: "L-778",
              supplier: "Murata",
              date_code: "2544",
              reel: "R-9",
            },
          ],
        },
      ],
      [
        `${p}/plant1/smt1/reflow/event`,
        { ts: t, kind: "changeover", code: "CO-12", message: "product ctrl-b, recipe 7" },
      ],
      [
        `${p}/plant1/smt1/pack/pack`,
        {
          ts: t,
          container: "BOX-0001",
          kind: "box",
          serials: ["SN-1", "SN-2"],
          destination: "OEM-A",
        },
      ],
    ];
    const pub = await publisher(services().mqttUrl);
    for (const [topic, payload] of messages)
      await pub.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    await pub.endAsync();

    const written = await eventually(
      async () => ingestor?.metrics.messages.get(),
      (m) => (m?.values.find((v) => v.labels.outcome === "written")?.value ?? 0) >= messages.length,
    );
    expect(written?.values.find((v) => v.labels.outcome === "written")?.value).toBe(
      messages.length,
    );
    expect(written?.values.find((v) => v.labels.outcome === "rejected")?.value).toBe(0);

    const reflow = await eventually(
      () => query(db, `SELECT * FROM reflow`),
      (r) => r.length === 3,
    );
    expect(reflow.map((r) => [r.time, r.z1_top_c, r.site, r.line, r.station])).toEqual([
      [t, 245.1, "plant1", "smt1", "reflow"],
      [t + 1, 245.3, "plant1", "smt1", "reflow"],
      [t + 5, 245.6, "plant1", "smt1", "reflow"],
    ]);
    expect(reflow[0]?.o2_ppm).toBe(480);
    expect(await query(db, `SHOW TAG KEYS FROM reflow`)).toEqual([
      { tagKey: "line" },
      { tagKey: "site" },
      { tagKey: "station" },
    ]);

    const profile = await query(db, `SELECT board_c, serial FROM profile`);
    expect(profile).toEqual([{ time: t + 2, board_c: 231.5, serial: "(01)04012345678901(21)A7" }]);

    const visits = await query(db, `SELECT event, serial, product, result, panel FROM unit`);
    expect(visits).toEqual([
      { time: t, event: "start", serial: "SN-1", product: "ctrl-a", result: null, panel: "P1" },
      {
        time: t + 900,
        event: "complete",
        serial: "SN-1",
        product: null,
        result: "pass",
        panel: null,
      },
    ]);

    const pads = await query(db, `SELECT serial, ref, volume_pct FROM spi_pad`);
    expect(pads).toHaveLength(3);
    expect(pads.filter((r) => r.ref === "U1.1").map((r) => [r.serial, r.volume_pct])).toEqual(
      expect.arrayContaining([
        ["SN-1", 98.5],
        ["SN-2", 77],
      ]),
    );
    const boards = await query(db, `SELECT serial, pad_count, volume_pct_mean FROM spi`);
    expect(boards.map((b) => [b.serial, b.pad_count, b.volume_pct_mean])).toEqual(
      expect.arrayContaining([
        ["SN-1", 2, 94.75],
        ["SN-2", 1, 77],
      ]),
    );

    const tests = await query(
      db,
      `SELECT serial, kind, result, program, firmware_version, firmware_checksum, firmware_mac FROM test`,
    );
    expect(tests).toEqual([
      {
        time: t,
        serial: "SN-1",
        kind: "fct",
        result: "fail",
        program: "fct-7",
        firmware_version: "1.4.2",
        firmware_checksum: "9f3a",
        firmware_mac: "00:1B:44:11:3A:B7",
      },
    ]);
    const defects = await query(db, `SELECT code, ref, "count" FROM test_defect`);
    expect(defects).toEqual([{ time: t, code: "void", ref: "U1", count: 2 }]);
    const measurements = await query(
      db,
      `SELECT "name", value, low, high, unit FROM test_measurement`,
    );
    expect(measurements).toEqual([
      { time: t, name: "i_supply_ma", value: 131.2, low: 100, high: 130, unit: "mA" },
    ]);

    const placements = await query(
      db,
      `SELECT serial, ref, part, lot, supplier, date_code, reel FROM placement`,
    );
    expect(placements).toEqual([
      {
        time: t,
        serial: "SN-1",
        ref: "C1",
        part: "GRM155",
        lot: "L-778",
        supplier: "Murata",
        date_code: "2544",
        reel: "R-9",
      },
    ]);
    const events = await query(db, `SELECT kind, code, message FROM event`);
    expect(events).toEqual([
      { time: t, kind: "changeover", code: "CO-12", message: "product ctrl-b, recipe 7" },
    ]);
    const packs = await query(db, `SELECT kind, container, serials, destination FROM pack`);
    expect(packs).toEqual([
      {
        time: t,
        kind: "box",
        container: "BOX-0001",
        serials: '["SN-1","SN-2"]',
        destination: "OEM-A",
      },
    ]);

    // What is stored is what docs/influx-schema.md says: each record measurement it documents was
    // written by the messages above, with no tag or field the document does not name.
    const documented = parseInfluxSchemaDoc(
      readFileSync(resolve(import.meta.dirname, "../docs/influx-schema.md"), "utf8"),
      "docs/influx-schema.md",
    );
    expect([...documented.keys()].sort()).toEqual([
      "event",
      "pack",
      "placement",
      "spi",
      "spi_pad",
      "test",
      "test_defect",
      "test_measurement",
      "unit",
    ]);
    const stored = (await query(db, "SHOW MEASUREMENTS")).map((r) => r.name as string);
    for (const [measurement, doc] of documented) {
      expect(stored, measurement).toContain(measurement);
      const tags = (await query(db, `SHOW TAG KEYS FROM "${measurement}"`)).map((r) => r.tagKey);
      const fields = (await query(db, `SHOW FIELD KEYS FROM "${measurement}"`)).map(
        (r) => r.fieldKey,
      );
      expect(
        tags.filter((tag) => !doc.tags.has(tag as string)),
        `${measurement} tags`,
      ).toEqual([]);
      expect(
        fields.filter((f) => !doc.fields.has(f as string)),
        `${measurement} fields`,
      ).toEqual([]);
    }
  });
});

describe("tracebox ingest, killed with SIGKILL mid-stream", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  function spawnIngestor(env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(process.execPath, ["bin/tracebox.mjs", "ingest"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    children.push(child);
    return child;
  }

  async function ready(url: string): Promise<void> {
    await eventually(
      () =>
        fetch(`${url}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        ),
      (ok) => ok,
    );
  }

  it("stores every point exactly once after a restart", async () => {
    const { config, env } = await ingestTestConfig(services());
    const statusUrl = `http://127.0.0.1:${config.httpPort}`;
    let child = spawnIngestor(env);
    await ready(statusUrl);

    const messages = 3000;
    const samplesPer = 20;
    const t0 = Date.now() - 3_600_000;
    const pub = await publisher(services().mqttUrl);
    let killed = false;
    const publishing = (async () => {
      for (let i = 0; i < messages; i++) {
        const samples = Array.from({ length: samplesPer }, (_, j) => ({
          ts: t0 + i * samplesPer + j,
          values: { z1_top_c: 200 + j, seq: i },
        }));
        await pub.publishAsync(
          `${config.topicPrefix}/plant1/smt1/reflow/reflow`,
          JSON.stringify({ samples }),
          { qos: 1 },
        );
        if (i === 1000) {
          // Mid-stream, with a batch certainly in flight: no chance to flush or acknowledge.
          child.kill("SIGKILL");
          killed = true;
        }
      }
    })();
    await publishing;
    expect(killed).toBe(true);
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null
        ? resolve(null)
        : child.once("exit", resolve),
    );
    await pub.endAsync();

    child = spawnIngestor(env);
    await ready(statusUrl);
    const expected = messages * samplesPer;
    const stored = await eventually(
      () => countPoints(services().influxUrl, config.influxDb, "reflow", "z1_top_c"),
      (n) => n >= expected,
      60_000,
    );
    expect(stored).toBe(expected);
    const distinctSeq = await query(
      config.influxDb,
      `SELECT count(seq) FROM reflow WHERE z1_top_c = 200`,
    );
    expect(distinctSeq[0]?.count).toBe(messages);
    // The kill really caught messages received but not yet acknowledged: the broker sent them again.
    const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
    const redelivered = Number(/^tracebox_ingest_redelivered_total (\d+)/m.exec(metrics)?.[1]);
    expect(redelivered).toBeGreaterThan(0);
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
  });
});
