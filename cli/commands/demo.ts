import mqtt from "mqtt";
import { ALERT_ROOT, type Alert } from "../../alerts/index.ts";
import { type Config, loadConfig } from "../../config/index.ts";
import { createInfluxClient, influxOptionsFrom, rows } from "../../influx/index.ts";
import { startIngestor } from "../../ingest/index.ts";
import { startJobs } from "../../jobs/index.ts";
import {
  brokerHealth,
  databaseHealth,
  isLoopbackUrl,
  localServicesFrom,
  ServicesError,
  servicesUp,
} from "../../services/index.ts";
import {
  connectPublisher,
  publishMessages,
  SCENARIO_NAMES,
  type ScenarioName,
  type SimulatedMessage,
  simulateLine,
} from "../../simulator/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

/** Alert rules, SPC characteristics and schedules of the demo when the configuration has none: tracebox.example.yaml's. */
function exampleSections(): Record<string, unknown> {
  const file = new URL("../../tracebox.example.yaml", import.meta.url).pathname;
  return loadConfig({ env: { TRACEBOX_CONFIG: file } }).config.sections;
}

/**
 * The jobs section with the sync's late-arrival window over the whole simulated span: the demo
 * replays past hours in seconds, so readings keep arriving with timestamps far behind the sync's
 * watermark, which a live line never does.
 */
function lookBackOver(jobs: unknown, spanMs: number): Record<string, unknown> {
  const section = (typeof jobs === "object" && jobs !== null ? jobs : {}) as Record<
    string,
    unknown
  >;
  const sync = (
    typeof section.sync === "object" && section.sync !== null ? section.sync : {}
  ) as Record<string, unknown>;
  const window = Math.max(Number(sync.lateWindowMs ?? 0), Math.ceil(spanMs + 10 * 60_000));
  return { ...section, sync: { ...sync, lateWindowMs: window } };
}

/** Four significant digits: 0.19399999999999995 reads 0.194. */
function num(value: number): string {
  return String(Number(value.toPrecision(4)));
}

interface DemoOptions {
  duration: string;
  speed: string;
  scenario: string[];
  seed: string;
}

function positive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliError(`--${name} ${raw}: expected a positive number`, 2);
  return value;
}

/** Stops yielding once `signal` is aborted (Ctrl-C), so the publisher ends cleanly. */
function* until<T>(items: Iterable<T>, signal: AbortSignal): Generator<T> {
  for (const item of items) {
    if (signal.aborted) return;
    yield item;
  }
}

async function startServices(config: Config, say: (line: string) => void): Promise<void> {
  if (isLoopbackUrl(config.mqttUrl) && isLoopbackUrl(config.influxUrl)) {
    try {
      await servicesUp(localServicesFrom(config), {
        install: config.manageServicesInstall,
        log: say,
      });
    } catch (error) {
      if (error instanceof ServicesError) throw new CliError(error.message);
      throw error;
    }
  }
  const health = [
    await brokerHealth(config.mqttUrl, {
      username: config.mqttUsername,
      password: config.mqttPassword,
    }),
    await databaseHealth(config.influxUrl),
  ];
  for (const h of health) say(`${h.ok ? "ok  " : "FAIL"} ${h.name.padEnd(10)} ${h.detail}`);
  if (health.some((h) => !h.ok)) throw new CliError("a service is not healthy; see above");
}

/** What a quality manager and a process engineer would look at first, straight from InfluxDB. */
async function summary(config: Config, since: number, say: (line: string) => void): Promise<void> {
  const influx = createInfluxClient(influxOptionsFrom(config));
  // Day rows of the yield job are stamped at the start of their day.
  const from = new Date(Math.floor(since / 86_400_000) * 86_400_000);
  const fpy = await influx.query(
    `SELECT sum("tested") AS tested, sum("first_pass_passed") AS passed FROM "yield" WHERE "period" = 'day' AND time >= $from GROUP BY "station"`,
    { from },
  );
  say("\nfirst-pass yield by station (yield job):");
  for (const series of fpy.series) {
    const row = rows(series)[0] as { tested: number; passed: number } | undefined;
    if (row && row.tested > 0 && series.tags?.station)
      say(
        `  ${String(series.tags?.station).padEnd(8)} ${((100 * row.passed) / row.tested).toFixed(1).padStart(5)} %  of ${row.tested} boards`,
      );
  }
  const spc = await influx.query(
    `SELECT count("value") AS violations FROM "spc_violation" WHERE time >= $from GROUP BY "characteristic", "rule"`,
    { from },
  );
  say("SPC violations against the frozen baselines (spc job):");
  if (spc.series.length === 0) say("  none");
  for (const series of spc.series) {
    const row = rows(series)[0] as { violations: number } | undefined;
    say(
      `  ${String(series.tags?.characteristic).padEnd(16)} ${String(series.tags?.rule).padEnd(14)} ${row?.violations ?? 0}`,
    );
  }
  const capability = await influx.query(
    `SELECT last("cpk") AS cpk, last("ppk") AS ppk FROM "spc_capability" WHERE time >= $from GROUP BY "characteristic"`,
    { from },
  );
  for (const series of capability.series) {
    const row = rows(series)[0] as { cpk: number; ppk: number } | undefined;
    if (row)
      say(
        `  capability ${String(series.tags?.characteristic).padEnd(16)} Cpk ${row.cpk.toFixed(2)}  Ppk ${row.ppk.toFixed(2)}`,
      );
  }
}

/** `tracebox demo`: the whole pipeline on this machine, narrated for a first-time user. */
export const demoCommand: CommandModule = (program) => {
  program
    .command("demo")
    .description(
      "start the services, the ingestor and a simulated SMT line with a fault, and narrate what happens",
    )
    .option(
      "--duration <seconds>",
      "how long to run, wall-clock seconds (Ctrl-C ends it earlier)",
      "90",
    )
    .option("--speed <factor>", "simulated time per wall-clock time", "120")
    .option(
      "--scenario <name>",
      `fault scenario (${SCENARIO_NAMES.join(", ")}); repeatable`,
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option("--seed <n>", "simulator seed (same seed, same line)", "7")
    .action(async (opts: DemoOptions) => {
      const durationS = positive("duration", opts.duration);
      const speed = positive("speed", opts.speed);
      // Simulated time runs `speed` times faster than the clock, so it starts in the past and ends now:
      // every reading lies inside the ingestor's accepted time window.
      const simulatedMs = durationS * 1000 * speed;
      // The line drains after the last board is loaded: start early enough that it also ends in the past.
      const leadMs = 45 * 60_000;
      const loaded = loadConfig();
      const sections = { ...exampleSections(), ...loaded.config.sections };
      const config: Config = {
        ...loaded.config,
        // The narration is the demo's output: routine logs only when asked for.
        logLevel: loaded.sources.logLevel === "default" ? "warn" : loaded.config.logLevel,
        sections: { ...sections, jobs: lookBackOver(sections.jobs, simulatedMs + leadMs) },
      };
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const scenarios = (
        opts.scenario.length > 0 ? opts.scenario : ["humidity", "o2-rise"]
      ) as ScenarioName[];
      for (const s of scenarios)
        if (!SCENARIO_NAMES.includes(s))
          throw new CliError(`--scenario ${s}: expected one of ${SCENARIO_NAMES.join(", ")}`, 2);

      say("tracebox demo: services, ingest and a simulated SMT line\n");
      await startServices(config, say);

      const ingestor = await startIngestor(config);
      say(
        `ok   ingest     ${config.topicPrefix}/# → ${config.influxUrl}/${config.influxDb}; metrics ${ingestor.statusUrl}/metrics`,
      );

      const jobs = await startJobs(config, { serve: true });
      say(
        `ok   jobs       ${jobs.jobs.map((j) => j.name).join(", ")} on their schedules; warehouse ${config.dataDir}/warehouse.duckdb; metrics ${jobs.statusUrl}/metrics`,
      );

      // A line controller's view: the retained alert topics.
      const watcher = await mqtt.connectAsync(config.mqttUrl, {
        username: config.mqttUsername,
        password: config.mqttPassword,
        protocolVersion: 5,
      });
      const alerts: Alert[] = [];
      watcher.on("message", (_topic, payload, packet) => {
        if (packet.retain) return; // state from an earlier run
        const alert = JSON.parse(payload.toString()) as Alert;
        alerts.push(alert);
        const serials =
          alert.serials.length > 8
            ? `${alert.serials.slice(0, 8).join(" ")} … (${alert.serials.length} boards)`
            : alert.serials.join(" ") || "(none)";
        say(
          alert.source === "spc"
            ? `  SPC   ${alert.rule.padEnd(7)} ${alert.characteristic} at ${alert.site}/${alert.line}/${alert.station}: ${num(alert.value)} vs ${num(alert.limit)} — recall scope: ${serials}`
            : `  ALERT ${alert.state.toUpperCase().padEnd(7)} ${alert.rule} at ${alert.site}/${alert.line}/${alert.station}: ${alert.characteristic} = ${num(alert.value)} (limit ${num(alert.limit)}) — hold: ${serials}`,
        );
      });
      await watcher.subscribeAsync(`${ALERT_ROOT}/#`, { qos: 1 });

      const start = Date.now() - simulatedMs - leadMs;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const timer = setTimeout(() => stop.abort(), durationS * 1000 + 30_000);

      say(
        `ok   simulate   seed ${opts.seed}, ${speed}× speed, ${(simulatedMs / 3_600_000).toFixed(1)} h of production in ${durationS} s, scenarios: ${scenarios.join(", ")}\n`,
      );
      const unitsAt = new Map<string, number>();
      let published = 0;
      const onPublished = (message: SimulatedMessage) => {
        published += 1;
        if (message.topic.endsWith("/unit") && message.payload.event === "complete") {
          const station = message.topic.split("/").at(-2) ?? "";
          unitsAt.set(station, (unitsAt.get(station) ?? 0) + 1);
        }
      };
      const counter = (name: string, label?: string) => async () => {
        const metric = await ingestor.metrics.registry.getSingleMetric(name)?.get();
        return (
          metric?.values
            .filter((v) => !label || v.labels.outcome === label)
            .reduce((n, v) => n + v.value, 0) ?? 0
        );
      };
      const pointsWritten = counter("tracebox_ingest_points_written_total");
      const rejected = counter("tracebox_ingest_messages_total", "rejected");
      let lastPoints = 0;
      let lastAt = performance.now();
      const status = setInterval(async () => {
        const points = await pointsWritten();
        const now = performance.now();
        const rate = ((points - lastPoints) / (now - lastAt)) * 1000;
        lastPoints = points;
        lastAt = now;
        const stations = ["printer", "spi", "pnp", "reflow", "aoi", "ict", "fct", "pack"]
          .map((s) => `${s} ${unitsAt.get(s) ?? 0}`)
          .join(" · ");
        say(
          `  units done: ${stations} | ${Math.round(rate).toLocaleString("en")} points/s | dead-letter ${await rejected()}`,
        );
      }, 5000);

      const publisher = await connectPublisher(config.mqttUrl, `tracebox-demo-${process.pid}`);
      try {
        const messages = simulateLine({
          seed: Number(opts.seed),
          durationMs: simulatedMs,
          start,
          scenarios,
          prefix: config.topicPrefix,
        });
        await publishMessages(until(messages, stop.signal), publisher, { speed }, onPublished);
      } finally {
        clearInterval(status);
        clearTimeout(timer);
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await publisher.endAsync();
        await ingestor.stop();
      }

      // Everything published is stored: one last pass of the jobs over it, then the summary.
      say("\nfinal pass of the jobs over the whole run: sync, spc, yield …");
      // Stopping the schedules waits for a run in progress, so the final pass sees everything.
      await jobs.scheduler.stop();
      for (const name of ["sync", "spc", "yield"]) {
        const run = await jobs.scheduler.runNow(name);
        say(
          `  ${name.padEnd(6)} ${run.status}: ${run.rowsIn.toLocaleString("en")} rows in, ${run.rowsOut.toLocaleString("en")} rows out${run.error ? ` (${run.error})` : ""}`,
        );
      }
      await jobs.stop();
      await watcher.endAsync();
      await summary(config, start, say);

      const raised = alerts.filter((a) => a.state === "raised").length;
      say(
        `\ndone: ${published.toLocaleString("en")} messages published, ${(await pointsWritten()).toLocaleString("en")} points stored, ${raised} alerts raised, ${alerts.length - raised} cleared, ${await rejected()} messages in the dead-letter (${config.dataDir}/dead-letter).`,
      );
      say(
        `look at it: curl -G '${config.influxUrl}/query' --data-urlencode 'db=${config.influxDb}' --data-urlencode 'q=SHOW MEASUREMENTS'`,
      );
      say(
        "           or run the full stack with Grafana: GRAFANA_ADMIN_PASSWORD=… docker compose up -d",
      );
    });
};
