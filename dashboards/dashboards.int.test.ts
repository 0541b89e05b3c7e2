import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type Config, loadConfig } from "../config/index.ts";
import { createInfluxClient, type InfluxClient, type QueryResult, rows } from "../influx/index.ts";
import { type Ingestor, startIngestor } from "../ingest/index.ts";
import { startJobs } from "../jobs/index.ts";
import { publishMessages, simulateLine } from "../simulator/index.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig, publisher } from "../test/ingest-harness.ts";
import { rulesFile } from "./alerting.ts";
import { interpolateVariables } from "./interpolate.ts";
import { DEFAULT_DASHBOARD_OPTIONS } from "./options.ts";
import { renderPreview } from "./preview/index.ts";
import { buildDashboard, REPO_ROOT } from "./provisioning.ts";
import { type DashboardQuery, dashboardQueries, groupByTags, selectedColumns } from "./queries.ts";
import { DashboardRunner, dashboardRange, type Resolved } from "./runner.ts";
import { readSpecLimits } from "./spec-limits.ts";
import { VIEWS } from "./views/index.ts";

const options = DEFAULT_DASHBOARD_OPTIONS;
const limits = readSpecLimits(options.configPath, REPO_ROOT);

/** SPC characteristics for the simulated line: a drifting oven zone, paste volume, N₂ pressure. */
const SPC_SECTION = {
  settleMs: 0,
  characteristics: [
    {
      name: "reflow-z7-top",
      source: { measurement: "reflow", field: "z7_top_c", where: { station: "reflow" } },
      subgroup: { windowMs: 60_000 },
      chart: "xbar-s",
      lsl: 253,
      usl: 263,
      baseline: { minSubgroups: 8 },
    },
    {
      name: "spi-volume-mean",
      source: { measurement: "spi", field: "volume_pct_mean" },
      subgroup: { size: 1 },
      chart: "imr",
      lsl: 80,
      usl: 120,
      baseline: { minSubgroups: 20 },
    },
    {
      name: "n2-pressure-cusum",
      source: { measurement: "nitrogen", field: "pressure_bar", where: { station: "n2" } },
      subgroup: { windowMs: 60_000 },
      chart: "cusum",
      baseline: { minSubgroups: 8 },
    },
  ],
};

/** How a query's answer falls short of what its panel shows; empty when it does not. */
function shortfalls(q: DashboardQuery, result: QueryResult): string[] {
  const count = result.series.reduce((n, s) => n + s.values.length, 0);
  if (count === 0) return ["returned no rows"];
  const problems: string[] = [];
  const wanted = q.kind === "annotation" ? (q.columns ?? []) : selectedColumns(q.query);
  for (const column of wanted) {
    const filled = result.series.some((s) => {
      const at = s.columns.indexOf(column);
      return at >= 0 && s.values.some((row) => row[at] !== null && row[at] !== undefined);
    });
    if (!filled) problems.push(`column ${column} missing or always null`);
  }
  for (const tag of groupByTags(q.query)) {
    if (!result.series.every((s) => typeof s.tags?.[tag] === "string"))
      problems.push(`series without tag ${tag}`);
  }
  return problems;
}

/**
 * Runs a query with the dashboard's default choices; when those show nothing, tries other real
 * values of the variables it depends on (a serial that was profiled, a characteristic with a
 * dispersion chart), as a person would pick them. Returns what was wrong with the best try.
 */
async function check(
  runner: DashboardRunner,
  q: DashboardQuery,
  base: Resolved,
): Promise<string[]> {
  const attempt = async (resolved: Resolved) => {
    try {
      return shortfalls(q, await runner.run(q.query, resolved.values));
    } catch (error) {
      return [(error as Error).message];
    }
  };
  const first = await attempt(base);
  if (first.length === 0) return [];
  for (const name of runner.dependencies(q.query)) {
    for (const value of (base.options[name] ?? []).slice(0, 80)) {
      const chosen = Object.fromEntries(
        Object.entries(base.values).map(([k, v]) => [k, String(v.value)]),
      );
      let resolved: Resolved;
      try {
        resolved = await runner.resolve({ ...chosen, [name]: value });
      } catch {
        continue;
      }
      if ((await attempt(resolved)).length === 0) return [];
    }
  }
  return [
    `${q.kind} "${q.name}"${q.refId ? ` ${q.refId}` : ""}: ${first.join("; ")}\n  ${runner.expand(q.query, base.values)}`,
  ];
}

/** Debian's chromium, which the preview test drives headless. */
function chromium(): string {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error("no chromium on PATH: apt-get install -y chromium");
}

/** Runs headless Chromium on a page with the flags that keep it off the network and the profile. */
function headless(page: string, ...args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), "tracebox-chromium-"));
  return execFileSync(
    chromium(),
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      ...args,
      `file://${page}`,
    ],
    {
      encoding: "utf8",
      timeout: 60_000,
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const head = readFileSync(file).subarray(0, 24);
  expect(head.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

async function count(influx: InfluxClient, query: string): Promise<number> {
  const [row] = rows(await influx.query(query));
  return Number(row?.count ?? 0);
}

describe("dashboards against a simulated line", () => {
  let config: Config;
  let influx: InfluxClient;
  let ingestor: Ingestor | undefined;

  beforeAll(async () => {
    const services = testServices();
    const base = await ingestTestConfig(services);
    const example = parse(readFileSync(resolve(REPO_ROOT, options.configPath), "utf8"));
    const file = join(base.config.dataDir, "tracebox.yaml");
    writeFileSync(file, stringify({ alerts: example.alerts, spc: SPC_SECTION }));
    config = loadConfig({ env: { ...base.env, TRACEBOX_CONFIG: file } }).config;
    influx = createInfluxClient({ url: config.influxUrl, database: config.influxDb });

    ingestor = await startIngestor(config);
    const started = Date.now();
    const messages = [
      ...simulateLine({
        seed: 11,
        units: 100,
        start: started - 3 * 3600_000,
        signalRateHz: 1,
        profilerEvery: 3,
        scenarios: ["humidity", "stencil-clog", "bad-lot", "o2-rise", "zone-drift"],
        prefix: config.topicPrefix,
      }),
    ];
    const pub = await publisher(services.mqttUrl);
    await publishMessages(messages, pub, { speed: 0, maxInFlight: 200 });
    // A message the contract refuses, so that rejections have a reason to show.
    await pub.publishAsync(`${config.topicPrefix}/plant1/line1/aoi/test`, "{not json", { qos: 1 });
    await pub.endAsync();
    await eventually(
      async () =>
        (await ingestor?.metrics.messages.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0,
      (n) => n >= messages.length + 1,
      90_000,
    );
    // The ingestor reports its counters every 10 s: rates need a few reports.
    await eventually(
      () => count(influx, 'SELECT count("messages_written") FROM "tracebox_ingest"'),
      (n) => n >= 4,
      60_000,
    );
    await ingestor.stop();
    ingestor = undefined;

    // The jobs process computes what the quality dashboards show: every job but the archive.
    const jobs = await startJobs(config, { serve: false });
    try {
      for (const name of ["sync", "features", "yield", "spc", "predict"] as const) {
        const run = await jobs.scheduler.runNow(name);
        expect(run.status, `job ${name}: ${run.error ?? ""}`).toBe("ok");
      }
    } finally {
      await jobs.stop();
    }
  }, 300_000);

  afterAll(async () => {
    await ingestor?.stop();
  });

  for (const view of VIEWS) {
    it(`${view.uid}: every variable has values, every panel and annotation query returns the fields it shows`, async () => {
      const board = buildDashboard(view, options, limits);
      const runner = new DashboardRunner(influx, board, dashboardRange(board, Date.now()));
      const base = await runner.resolve();
      for (const variable of runner.variables) {
        expect(base.options[variable.name]?.length, variable.name).toBeGreaterThan(0);
      }
      const failures: string[] = [];
      for (const q of dashboardQueries(board)) {
        if (q.kind !== "variable") failures.push(...(await check(runner, q, base)));
      }
      expect(failures).toEqual([]);
    });
  }

  it("the preview page of Live SPC and Board history renders in headless Chromium, every chart drawn", async () => {
    const html = await renderPreview(influx, { characteristic: "reflow-z7-top" });
    const dir = mkdtempSync(join(tmpdir(), "tracebox-preview-"));
    const page = join(dir, "preview.html");
    writeFileSync(page, html);
    const dom = headless(page, "--dump-dom");
    // Chromium parsed the whole page: every panel is in its DOM, no query failed, nothing empty
    // where the simulated line has data.
    const panels = (html.match(/<section class="panel/g) ?? []).length;
    expect((dom.match(/<section class="panel/g) ?? []).length).toBe(panels);
    expect(panels).toBeGreaterThan(20);
    expect(dom).not.toContain("Query failed");
    expect(dom).toContain("tracebox · Live SPC — reflow-z7-top");
    expect(dom).toMatch(/tracebox · Board history — TBX\w+/);
    for (const title of [
      "reflow-z7-top: location chart",
      "Visits",
      "Reflow profile",
      "SPI verdict",
      "Test results",
    ]) {
      const at = dom.indexOf(`<h3>${title}</h3>`);
      expect(at, title).toBeGreaterThan(0);
      expect(dom.slice(at, dom.indexOf("</section>", at)), title).not.toContain("No data");
    }
    expect(dom).toContain('class="marker"');
    const shot = join(dir, "preview.png");
    headless(page, `--screenshot=${shot}`, "--window-size=1600,4000", "--hide-scrollbars");
    expect(pngSize(shot)).toEqual({ width: 1600, height: 4000 });
    expect(statSync(shot).size).toBeGreaterThan(100_000);
    console.info(`dashboards preview: ${page}, screenshot ${shot}`);
  });

  it("every alert rule's query returns one series per station where its data is", async () => {
    const file = rulesFile(limits, options, { environment: "e", spc: "s" });
    for (const rule of file.groups.flatMap((g) => g.rules)) {
      const model = rule.data[0]?.model as unknown as { query: string };
      const lookbackS = rule.data[0]?.relativeTimeRange?.from ?? 0;
      const measurement = /FROM "([^"]+)"/.exec(model.query)?.[1] as string;
      const field = /\w+\(("[^"]+")\)/.exec(model.query)?.[1] as string;
      // The rule looks at the last seconds; the simulated line ran hours ago, so look where it ran.
      const [last] = rows(
        await influx.query(`SELECT last(${field}) FROM "${measurement}"`, {}, { epoch: "ms" }),
      );
      const to = Number(last?.time);
      expect(Number.isFinite(to), `${rule.title}: no ${measurement} data`).toBe(true);
      const text = model.query.replace(
        "$timeFilter",
        `time >= ${to - lookbackS * 1000}ms and time <= ${to}ms`,
      );
      expect(interpolateVariables(text, {})).not.toMatch(/\$\w/);
      const result = await influx.query(text);
      expect(result.series.length, `${rule.title}: ${text}`).toBeGreaterThan(0);
      for (const s of result.series) {
        expect(s.values.length).toBe(1);
        for (const tag of groupByTags(model.query)) expect(s.tags?.[tag], tag).toBeTypeOf("string");
      }
    }
  });
});
