import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { type AlertService, startAlerts } from "../alerts/index.ts";
import { type Config, createLogger, startStatusServer } from "../config/index.ts";
import { createInfluxClient, type InfluxClient, influxOptionsFrom } from "../influx/index.ts";
import { BrokerConnection, DEFAULT_BROKER_OPTIONS } from "./broker.ts";
import { createDecoder, type Decoded } from "./contract/index.ts";
import { DeadLetterFile } from "./dead-letter.ts";
import { IngestMetrics } from "./metrics.ts";
import { Pipeline } from "./pipeline.ts";
import { startSelfMetrics } from "./self-metrics.ts";
import { Spool } from "./spool.ts";

/** A running ingestor: MQTT in, InfluxDB out, metrics on HTTP. */
export interface Ingestor {
  metrics: IngestMetrics;
  influx: InfluxClient;
  /** Base URL of `/metrics` and `/healthz`. */
  statusUrl: string;
  /** Live spec-limit alerts and the visits they use; SPC alerts go through its sinks too. */
  alerts: AlertService;
  /**
   * Graceful stop: takes no new messages, commits and acknowledges what it holds, disconnects. A
   * batch still waiting for room in a full spool after 5 s stays unacknowledged: the broker keeps it.
   */
  stop(): Promise<void>;
}

export interface IngestorHooks {
  /** Sees each accepted message as it arrives (alerts); must not block. */
  observe?(decoded: Decoded, receivedAt: number): void;
  log?: Logger;
}

/** Only one ingestor may use a data dir: its spool would otherwise be replayed twice. */
function lockDataDir(dir: string): () => void {
  const path = join(dir, "ingest.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        alive = false;
      }
      if (alive)
        throw new Error(
          `another ingestor (pid ${pid}) uses ${dir}; give each ingestor its own TRACEBOX_DATA_DIR`,
        );
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot lock ${path}`);
}

export function subscriptionFilter(config: Pick<Config, "topicPrefix" | "ingestGroup">): string {
  const filter = `${config.topicPrefix}/#`;
  return config.ingestGroup ? `$share/${config.ingestGroup}/${filter}` : filter;
}

export async function startIngestor(config: Config, hooks: IngestorHooks = {}): Promise<Ingestor> {
  const log = hooks.log ?? createLogger("ingest", config.logLevel);
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  // Whatever fails while starting, what was already opened is closed again, the lock last.
  const undo: (() => unknown)[] = [unlock];
  try {
    return await assemble(config, log, dataDir, hooks, undo);
  } catch (error) {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => {});
    throw error;
  }
}

async function assemble(
  config: Config,
  log: Logger,
  dataDir: string,
  hooks: IngestorHooks,
  undo: (() => unknown)[],
): Promise<Ingestor> {
  const unlock = undo[0] as () => void;

  const influx = createInfluxClient(influxOptionsFrom(config));
  try {
    await influx.ensureDatabase();
  } catch (error) {
    // Not fatal: points are spooled until InfluxDB answers, and the database is created then.
    log.warn(
      { message: (error as Error).message },
      "InfluxDB not ready at start; spooling until it is",
    );
  }

  const metrics = new IngestMetrics();
  const alerts = await startAlerts({
    section: config.sections.alerts,
    mqtt: {
      url: config.mqttUrl,
      clientId: `${config.mqttClientId}-alerts`,
      username: config.mqttUsername,
      password: config.mqttPassword,
      ca: config.mqttCa,
      cert: config.mqttCert,
      key: config.mqttKey,
    },
    influx,
    registry: metrics.registry,
    log: log.child({ part: "alerts" }),
  });
  undo.push(() => alerts.stop());
  const spool = await Spool.open(join(dataDir, "spool"), config.spoolMaxBytes);
  const deadLetter = new DeadLetterFile(join(dataDir, "dead-letter"));
  const decode = createDecoder({
    prefix: config.topicPrefix,
    maxPayloadBytes: config.maxPayloadBytes,
    maxPastMs: config.maxPastMs,
    maxFutureMs: config.maxFutureMs,
  });

  let broker: BrokerConnection | undefined;
  const pipeline = new Pipeline(
    {
      batchSize: config.batchSize,
      batchMaxAgeMs: config.batchMaxAgeMs,
      // Two batches committing and one filling fit in the broker's in-flight window.
      batchMessages: Math.max(1, Math.floor(config.receiveMaximum / 3)),
    },
    {
      decode,
      influx,
      spool,
      deadLetter,
      metrics,
      release: (tokens) => broker?.release(tokens),
      redeliver: (epoch) => broker?.redeliver(epoch),
      observe: (decoded, receivedAt) => {
        for (const point of decoded.points) alerts.monitor.observe(point);
        hooks.observe?.(decoded, receivedAt);
      },
      log,
    },
  );

  broker = new BrokerConnection(
    {
      ...DEFAULT_BROKER_OPTIONS,
      url: config.mqttUrl,
      clientId: config.mqttClientId,
      username: config.mqttUsername,
      password: config.mqttPassword,
      ca: config.mqttCa,
      cert: config.mqttCert,
      key: config.mqttKey,
      filter: subscriptionFilter(config),
      receiveMaximum: config.receiveMaximum,
    },
    (message) => pipeline.accept(message),
    {
      connected: (reconnect) => {
        metrics.connected.set(1);
        if (reconnect) metrics.reconnects.inc();
        log.info(
          { url: config.mqttUrl, filter: subscriptionFilter(config), reconnect },
          "connected to broker",
        );
      },
      disconnected: () => {
        metrics.connected.set(0);
      },
      error: (error) => log.warn({ message: error.message }, "broker error"),
    },
  );

  const status = await startStatusServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: metrics.registry,
    health: () => ({
      healthy: broker?.isConnected ?? false,
      detail: {
        broker: broker?.isConnected ? "connected" : "disconnected",
        spoolBytes: spool.bytes,
        spoolBatches: spool.batches,
      },
    }),
  });
  undo.push(() => status.close());
  undo.push(
    () => pipeline.stopReplay(),
    () => deadLetter.close(),
  );

  undo.push(() => broker?.client.end(true));
  await broker.start();

  const stopSelfMetrics = startSelfMetrics(metrics, influx, config.mqttClientId);
  let stopped: Promise<void> | undefined;
  return {
    metrics,
    influx,
    alerts,
    statusUrl: status.url,
    stop() {
      stopped ??= (async () => {
        broker?.stopTaking();
        await pipeline.flush();
        await pipeline.stopReplay();
        await broker?.close();
        await stopSelfMetrics();
        await alerts.stop();
        await deadLetter.close();
        await status.close();
        unlock();
        log.info({ spoolBatches: spool.batches }, "ingestor stopped");
      })();
      return stopped;
    },
  };
}
