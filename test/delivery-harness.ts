import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import {
  DEFAULT_LOCAL_SERVICES,
  freePort,
  type LocalServicesOptions,
  type ServiceName,
  servicesDown,
  servicesUp,
} from "../services/index.ts";
import { eventually } from "./ingest-harness.ts";

/**
 * A broker and/or database of one test, in its own temp dir on its own free ports, so an outage
 * test can stop and restart it without touching the run's shared services (other files use them).
 */
export interface PrivateServices {
  options: LocalServicesOptions;
  mqttUrl: string;
  influxUrl: string;
  /** Starts what it holds again, same dir and ports: data, sessions and queues persist. */
  up(): Promise<void>;
  /** Stops it as an operator would (SIGTERM, then waits for the process to exit). */
  down(): Promise<void>;
  /** Stops it and removes its dir. */
  dispose(): Promise<void>;
}

export async function privateServices(only: ServiceName[]): Promise<PrivateServices> {
  const options: LocalServicesOptions = {
    ...DEFAULT_LOCAL_SERVICES,
    dir: mkdtempSync(join(tmpdir(), "tracebox-private-")),
    mqttPort: await freePort(),
    influxPort: await freePort(),
    influxRpcPort: await freePort(),
  };
  const up = async () => {
    await servicesUp(options, { install: false, log: () => {}, only });
  };
  // Only the services named in `only` ever run in this dir, so stopping the dir stops just them.
  const down = () => servicesDown(options);
  await up();
  return {
    options,
    mqttUrl: `mqtt://127.0.0.1:${options.mqttPort}`,
    influxUrl: `http://127.0.0.1:${options.influxPort}`,
    up,
    down,
    async dispose() {
      await down();
      rmSync(options.dir, { recursive: true, force: true });
    },
  };
}

/** A sample of a Prometheus text exposition, found by name and (a subset of) its labels. */
export type Sample = (name: string, labels?: Record<string, string>) => number | undefined;

const SAMPLE_LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** One scrape of an ingestor's `GET <statusUrl>/metrics`. */
export async function scrape(statusUrl: string): Promise<Sample> {
  const text = await (await fetch(`${statusUrl}/metrics`)).text();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const match = SAMPLE_LINE.exec(line);
    if (!match || line.startsWith("#")) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL))
      labels[key as string] = value ?? "";
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return (name, labels = {}) =>
    samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.value;
}

/** Rows of an InfluxQL query (first statement), time as epoch ms. */
export async function influxRows(
  influxUrl: string,
  db: string,
  q: string,
): Promise<Record<string, unknown>[]> {
  const url = `${influxUrl}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`;
  const body = (await (await fetch(url)).json()) as {
    results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[];
  };
  const result = body.results[0];
  if (result?.error) throw new Error(`${q}: ${result.error}`);
  return (result?.series ?? []).flatMap((s) =>
    s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))),
  );
}

/** `node bin/tracebox.mjs ingest` as a child process, with the test's TRACEBOX_* environment. */
export function spawnIngestor(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["bin/tracebox.mjs", "ingest"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** Resolves with the exit code (or the signal) once the child has exited. */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Waits until `/healthz` answers 200 (connected to the broker). */
export async function healthy(statusUrl: string, timeoutMs = 30_000): Promise<boolean> {
  return eventually(
    () =>
      fetch(`${statusUrl}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      ),
    (ok) => ok,
    timeoutMs,
  );
}

/**
 * Publishes `count` QoS 1 messages with at most `window` awaiting their PUBACK at once (so several
 * are in flight when a service goes away); resolves with the indexes the broker acknowledged.
 */
export async function publishStream(
  client: MqttClient,
  count: number,
  message: (i: number) => [topic: string, payload: string | Buffer],
  options: { window?: number; from?: number; acked?: Set<number> } = {},
): Promise<Set<number>> {
  const acked = options.acked ?? new Set<number>();
  const window = options.window ?? 50;
  const pending = new Set<Promise<void>>();
  for (let i = options.from ?? 0; i < count; i++) {
    const [topic, payload] = message(i);
    const sent: Promise<void> = client.publishAsync(topic, payload, { qos: 1 }).then(
      () => {
        acked.add(i);
      },
      () => {},
    );
    const tracked = sent.finally(() => pending.delete(tracked));
    pending.add(tracked);
    if (pending.size >= window) await Promise.race(pending);
  }
  await Promise.all(pending);
  return acked;
}
