// `npm run bench:alerts`: how long from an out-of-spec reading's publish to its alert on the MQTT
// alert topic, through a real broker and a `tracebox ingest` child process, with and without a
// background load; the plain broker round trip in the same run is the floor it is compared with.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { stringify } from "yaml";
import {
  DEFAULT_LOCAL_SERVICES,
  freePort,
  type LocalServicesOptions,
  servicesDown,
  servicesUp,
} from "../services/index.ts";
import { describeMachine } from "./machine.ts";
import { summarize } from "./stats.ts";

const ROUNDS = Number(process.argv.find((a) => a.startsWith("--rounds="))?.split("=")[1] ?? 40);

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("ingestor did not become healthy");
}

/** Publishes `payload` and resolves with the ms until `subscriber` sees a message matching `match`. */
function timeUntil(
  subscriber: MqttClient,
  publish: () => void,
  match: (topic: string, payload: Buffer) => boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const timeout = setTimeout(() => reject(new Error("no message within 10 s")), 10_000);
    const onMessage = (topic: string, payload: Buffer) => {
      if (!match(topic, payload)) return;
      clearTimeout(timeout);
      subscriber.off("message", onMessage);
      resolve(performance.now() - started);
    };
    subscriber.on("message", onMessage);
    publish();
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tracebox-bench-alerts-"));
  const local: LocalServicesOptions = {
    ...DEFAULT_LOCAL_SERVICES,
    dir,
    mqttPort: await freePort(),
    influxPort: await freePort(),
    influxRpcPort: await freePort(),
  };
  let child: ChildProcess | undefined;
  try {
    await servicesUp(local, { install: true, log: () => {} });
    const mqttUrl = `mqtt://127.0.0.1:${local.mqttPort}`;
    const configFile = join(dir, "tracebox.yaml");
    writeFileSync(
      configFile,
      stringify({
        alerts: { rules: [{ name: "bench-level", characteristic: "probe.level", high: 100 }] },
      }),
    );
    const httpPort = await freePort();
    child = spawn(
      process.execPath,
      [join(import.meta.dirname, "..", "bin", "tracebox.mjs"), "ingest"],
      {
        env: {
          ...process.env,
          TRACEBOX_CONFIG: configFile,
          TRACEBOX_MQTT_URL: mqttUrl,
          TRACEBOX_INFLUX_URL: `http://127.0.0.1:${local.influxPort}`,
          TRACEBOX_INFLUX_DB: "bench_alerts",
          TRACEBOX_DATA_DIR: join(dir, "ingest"),
          TRACEBOX_HTTP_PORT: String(httpPort),
          TRACEBOX_LOG_LEVEL: "warn",
          TRACEBOX_MQTT_CLIENT_ID: "bench-alerts",
        },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    await waitHealthy(`http://127.0.0.1:${httpPort}`);

    const subscriber = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5 });
    await subscriber.subscribeAsync(["tracebox/alert/#", "bench/echo"], { qos: 1 });
    const publisher = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5 });
    const loader = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5 });

    // The floor: a plain publish → subscribe round trip through the same broker.
    const floor: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      floor.push(
        await timeUntil(
          subscriber,
          () => publisher.publish("bench/echo", String(i), { qos: 1 }),
          (t) => t === "bench/echo",
        ),
      );
    }

    let ts = Date.now() - 60 * 60_000;
    const measure = async (): Promise<{ raised: number[]; cleared: number[] }> => {
      const raised: number[] = [];
      const cleared: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        for (const [value, state, into] of [
          [150, "raised", raised],
          [50, "cleared", cleared],
        ] as const) {
          ts += 1000;
          const payload = JSON.stringify({ ts, values: { level: value } });
          into.push(
            await timeUntil(
              subscriber,
              () => publisher.publish("ems/site1/line1/tank/probe", payload, { qos: 1 }),
              (t, p) =>
                t === "tracebox/alert/site1/line1/tank" &&
                (JSON.parse(p.toString()) as { state: string; value: number }).state === state,
            ),
          );
        }
      }
      return { raised, cleared };
    };
    const idle = await measure();

    // Under load: batched reflow messages (200 samples each) at ~20 000 points/s in the background.
    let loading = true;
    let sent = 0;
    const load = (async () => {
      let t = Date.now() - 50 * 60_000;
      while (loading) {
        const samples = Array.from({ length: 200 }, () => ({
          ts: ++t,
          values: { z1_top_c: 240, o2_ppm: 500 },
        }));
        await loader.publishAsync("ems/site1/line1/oven/reflow", JSON.stringify({ samples }), {
          qos: 1,
        });
        sent += 1;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const loadStarted = performance.now();
    const busy = await measure();
    loading = false;
    await load;
    const loadRate = (sent * 200) / ((performance.now() - loadStarted) / 1000);

    const machine = describeMachine();
    const fmt = (label: string, values: number[]) => {
      const s = summarize(values);
      return `${label.padEnd(34)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p90 ${s.p90.toFixed(1).padStart(6)} ms   p99 ${s.p99.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`;
    };
    console.log(
      `alert latency: publish of the offending reading → alert on tracebox/alert/… (${ROUNDS} rounds each)`,
    );
    console.log(`machine: ${JSON.stringify(machine)}`);
    console.log(fmt("broker round trip (floor)", floor));
    console.log(fmt("raise, idle", idle.raised));
    console.log(fmt("clear, idle", idle.cleared));
    console.log(fmt(`raise, under ${Math.round(loadRate)} points/s`, busy.raised));
    console.log(fmt(`clear, under ${Math.round(loadRate)} points/s`, busy.cleared));
    const worst = Math.max(...idle.raised, ...busy.raised);
    console.log(
      `worst raise latency ${worst.toFixed(1)} ms: ${worst < 1000 ? "under" : "NOT under"} the 1 s goal; p50 raise ÷ broker floor = ${(summarize(idle.raised).p50 / summarize(floor).p50).toFixed(1)}`,
    );
    await Promise.all([subscriber.endAsync(), publisher.endAsync(), loader.endAsync()]);
  } finally {
    child?.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    await servicesDown(local);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
