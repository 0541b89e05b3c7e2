import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ProvisionedRule, rulesFile } from "./alerting.ts";
import { DATASOURCE } from "./index.ts";
import { InfluxQLQueryBuilder } from "./influxql.ts";
import {
  DashboardOptionsError,
  DEFAULT_DASHBOARD_OPTIONS,
  resolveDashboardOptions,
} from "./options.ts";
import {
  buildDashboard,
  DASHBOARD_JSON_DIR,
  GRAFANA_DASHBOARDS_PATH,
  PROVISIONING_DIR,
  REPO_ROOT,
  renderProvisioning,
} from "./provisioning.ts";
import { dashboardQueries, groupByTags, influxQLNames, selectedColumns } from "./queries.ts";
import { resultSchema } from "./result-schema.ts";
import { sameGeneratedFile } from "./same-file.ts";
import { readSpecLimits } from "./spec-limits.ts";
import {
  documentedSchema,
  mergeSchemas,
  parseInfluxSchemaDoc,
  parseSimulatorSignals,
  type StorageSchema,
} from "./storage-schema.ts";
import { VIEWS } from "./views/index.ts";

const limits = readSpecLimits(DEFAULT_DASHBOARD_OPTIONS.configPath, REPO_ROOT);
const boards = VIEWS.map((view) => buildDashboard(view, DEFAULT_DASHBOARD_OPTIONS, limits));
const rules = rulesFile(limits, DEFAULT_DASHBOARD_OPTIONS, {
  environment: "tracebox-environment",
  spc: "tracebox-live-spc",
}).groups.flatMap((g) => g.rules);

type AnyPanel = dashboard.Panel & { panels?: dashboard.Panel[] };

function panelsOf(board: dashboard.Dashboard): AnyPanel[] {
  return (board.panels ?? []) as AnyPanel[];
}

describe("generated provisioning files", () => {
  const files = renderProvisioning();

  it("the committed files are exactly what the code generates (npm run dashboards:generate)", () => {
    const stale = [...files]
      .filter(([path, content]) => {
        let committed: string;
        try {
          committed = readFileSync(join(PROVISIONING_DIR, path), "utf8");
        } catch {
          return true;
        }
        return !sameGeneratedFile(path, committed, content);
      })
      .map(([path]) => path);
    expect(stale).toEqual([]);
    const committedJson = readdirSync(join(PROVISIONING_DIR, DASHBOARD_JSON_DIR)).map(
      (name) => `${DASHBOARD_JSON_DIR}/${name}`,
    );
    expect(committedJson.sort()).toEqual(
      [...files.keys()].filter((p) => p.endsWith(".json")).sort(),
    );
  });

  it("a JSON file differs when one value does, not when only its layout does", () => {
    const text = JSON.stringify({ a: [1, 2], b: "x" }, null, 2);
    expect(sameGeneratedFile("x.json", '{"a":[1,2],"b":"x"}', text)).toBe(true);
    expect(sameGeneratedFile("x.json", '{"a":[1,3],"b":"x"}', text)).toBe(false);
    expect(sameGeneratedFile("x.yaml", "a: 1\n", "a:  1\n")).toBe(false);
  });

  it("the provider points Grafana at the folder docker compose mounts, with the folder of the alert rules", () => {
    const provider = parse(files.get("dashboards/tracebox.yaml") as string);
    expect(provider.providers[0].options.path).toBe(GRAFANA_DASHBOARDS_PATH);
    const compose = readFileSync(resolve(REPO_ROOT, "docker-compose.yml"), "utf8");
    expect(compose).toContain("./dashboards/provisioning:/etc/grafana/provisioning");
    expect(GRAFANA_DASHBOARDS_PATH).toBe(`/etc/grafana/provisioning/${DASHBOARD_JSON_DIR}`);
    const ruleFile = parse(files.get("alerting/rules.yaml") as string);
    for (const group of ruleFile.groups) expect(group.folder).toBe(provider.providers[0].folder);
  });

  it("queries the datasource that is provisioned, by its uid", () => {
    const datasources = parse(
      readFileSync(join(PROVISIONING_DIR, "datasources/tracebox.yaml"), "utf8"),
    ).datasources;
    expect(datasources[0].uid).toBe(DATASOURCE.uid);
    expect(datasources[0].type).toBe(DATASOURCE.type);
    for (const board of boards) {
      for (const panel of panelsOf(board)) {
        for (const target of panel.targets ?? []) {
          expect((target as { datasource?: unknown }).datasource).toEqual(DATASOURCE);
        }
      }
    }
    for (const rule of rules) {
      expect(rule.data[0]?.datasourceUid).toBe(DATASOURCE.uid);
    }
  });
});

describe("dashboard JSON that Grafana 11.6 reads", () => {
  const sdkSchemaVersion = new dashboard.DashboardBuilder("x").build().schemaVersion;
  const enumValues = (e: object) => new Set(Object.values(e));

  it("has the schema version of the SDK's 11.6 line, which Grafana 11.6 reads without migrating", () => {
    expect(sdkSchemaVersion).toBe(41);
    for (const board of boards) expect(board.schemaVersion).toBe(sdkSchemaVersion);
  });

  it("has unique, valid uids and titles, and a refresh the time picker offers", () => {
    const uids = boards.map((b) => b.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const board of boards) {
      expect(board.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(board.title).toMatch(/^tracebox · /);
      const offered = board.timepicker?.refresh_intervals ?? [];
      if (board.refresh !== "") expect(offered, board.uid).toContain(board.refresh);
    }
  });

  it("lays panels out on the 24-column grid without overlaps, ids unique", () => {
    for (const board of boards) {
      const panels = panelsOf(board);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, board.uid).toBe(ids.length);
      for (const p of panels) {
        const g = p.gridPos as dashboard.GridPos;
        expect(g.x + g.w, `${board.uid} ${p.title}`).toBeLessThanOrEqual(24);
        expect(g.h).toBeGreaterThan(0);
        for (const q of panels) {
          if (q === p) continue;
          const h = q.gridPos as dashboard.GridPos;
          const overlap = g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h;
          expect(overlap, `${board.uid}: ${p.title} overlaps ${q.title}`).toBe(false);
        }
      }
    }
  });

  it("uses core panel types, value mappings, variable kinds and transformations that exist", () => {
    const panelTypes = new Set([
      "row",
      "timeseries",
      "stat",
      "table",
      "barchart",
      "state-timeline",
      "text",
    ]);
    const transformations = new Set([
      "organize",
      "sortBy",
      "filterFieldsByName",
      "convertFieldType",
    ]);
    const mappingTypes = enumValues(dashboard.MappingType);
    for (const board of boards) {
      for (const panel of panelsOf(board)) {
        expect(panelTypes, `${board.uid} ${panel.title}`).toContain(panel.type);
        for (const t of panel.transformations ?? []) expect(transformations).toContain(t.id);
        const mappings = [
          ...(panel.fieldConfig?.defaults.mappings ?? []),
          ...(panel.fieldConfig?.overrides ?? []).flatMap((o) =>
            o.properties.filter((p) => p.id === "mappings").flatMap((p) => p.value),
          ),
        ] as dashboard.ValueMapping[];
        for (const m of mappings) expect(mappingTypes).toContain(m.type);
        const steps = panel.fieldConfig?.defaults.thresholds?.steps ?? [];
        if (steps.length > 0) {
          expect(steps[0]?.value).toBeNull();
          const values = steps.slice(1).map((s) => s.value as number);
          expect(values).toEqual([...values].sort((a, b) => a - b));
        }
        const refIds = (panel.targets ?? []).map((t) => (t as unknown as { refId: string }).refId);
        expect(new Set(refIds).size).toBe(refIds.length);
      }
      for (const v of board.templating.list ?? []) {
        expect(enumValues(dashboard.VariableType)).toContain(v.type);
        if (v.refresh !== undefined)
          expect(enumValues(dashboard.VariableRefresh)).toContain(v.refresh);
        if (v.sort !== undefined) expect(enumValues(dashboard.VariableSort)).toContain(v.sort);
      }
    }
  });

  it("defines every template variable that a query, title, link or text refers to", () => {
    const builtIn = new Set(["timeFilter", "__interval", "__interval_ms", "interval", "col"]);
    for (const board of boards) {
      const defined = new Set((board.templating.list ?? []).map((v) => v.name));
      const texts = [
        ...dashboardQueries(board).map((q) => q.query),
        ...panelsOf(board).map(
          (p) => `${p.title ?? ""} ${(p.options as { content?: string })?.content ?? ""}`,
        ),
        ...(board.links ?? []).map((l) => `${l.title} ${l.url ?? ""}`),
      ];
      for (const text of texts) {
        for (const m of text.matchAll(/\$\{?(\w+)/g)) {
          const name = m[1] as string;
          if (builtIn.has(name) || name.startsWith("tag_") || name.startsWith("__")) continue;
          expect(defined, `${board.uid}: $${name} in ${text}`).toContain(name);
        }
      }
    }
  });

  it("styles only fields its queries return (override names are columns or grouping tags)", () => {
    for (const board of boards) {
      for (const panel of panelsOf(board)) {
        const queries = dashboardQueries({ ...board, panels: [panel] }).filter(
          (q) => q.kind === "panel",
        );
        const names = new Set(
          queries.flatMap((q) => [...selectedColumns(q.query), ...groupByTags(q.query)]),
        );
        for (const name of queries[0]?.overrideNames ?? []) {
          expect(names, `${board.uid} ${panel.title}`).toContain(name);
        }
      }
    }
  });
});

describe("names the storage writes", () => {
  let schema: StorageSchema;
  beforeAll(async () => {
    schema = mergeSchemas(documentedSchema(REPO_ROOT), await resultSchema());
  });

  function problems(query: string): string[] {
    const names = influxQLNames(query);
    const found = names.measurements.map((m) => schema.get(m));
    const out = names.measurements.filter((_, i) => !found[i]).map((m) => `measurement ${m}`);
    const tags = new Set(found.flatMap((m) => (m ? [...m.tags] : [])));
    const fields = new Set(found.flatMap((m) => (m ? [...m.fields] : [])));
    for (const c of names.columns)
      if (!tags.has(c) && !fields.has(c) && !names.aliases.includes(c))
        out.push(`field or tag ${c}`);
    for (const t of names.tags) if (!tags.has(t)) out.push(`tag ${t}`);
    for (const t of groupByTags(query)) if (!tags.has(t)) out.push(`group by ${t}`);
    for (const w of names.unquoted) out.push(`unquoted ${w}`);
    return out;
  }

  it("every dashboard query names only measurements, tags and fields that are written", () => {
    const bad = boards.flatMap((board) =>
      dashboardQueries(board).flatMap((q) =>
        problems(q.query).map((p) => `${board.uid} ${q.kind} ${q.name}: ${p}`),
      ),
    );
    expect(bad).toEqual([]);
  });

  it("every alert rule's query names only what is written", () => {
    const bad = rules.flatMap((rule: ProvisionedRule) => {
      const model = rule.data[0]?.model as unknown as { query: string };
      return problems(model.query).map((p) => `${rule.title}: ${p}`);
    });
    expect(bad).toEqual([]);
  });

  it("catches a field, a tag or a measurement that nobody writes", () => {
    expect(problems('SELECT "humidity_pct" FROM "env" WHERE $timeFilter')).toEqual([
      "field or tag humidity_pct",
    ]);
    expect(problems('SELECT "value" FROM "spc_point" GROUP BY "zone"')).toEqual([
      "field or tag zone",
      "group by zone",
    ]);
    expect(problems('SELECT "x" FROM "spc_points"')).toContain("measurement spc_points");
    expect(problems('SELECT value FROM "spc_point"')).toEqual(["unquoted value"]);
  });

  it("reads the record tables of docs/influx-schema.md and the simulated signals", () => {
    const doc = parseInfluxSchemaDoc(
      "### `unit` — a unit\n\n| tags | fields | timestamp |\n| --- | --- | --- |\n| S, `serial`, `event` (`start`\\|`complete`) | `result`? (string `pass`\\|`fail`), `seen` | `ts` |\n",
      "doc",
    );
    expect([...(doc.get("unit")?.tags ?? [])].sort()).toEqual([
      "event",
      "line",
      "serial",
      "site",
      "station",
    ]);
    expect([...(doc.get("unit")?.fields ?? [])].sort()).toEqual(["result", "seen"]);
    const sim = parseSimulatorSignals(
      "## What a line publishes\n\n| topic | payload |\n| --- | --- |\n| `.../reflow/reflow` | `{samples}` at `signalRateHz`: `z1_top_c`…`z2_bot_c`, `o2_ppm` |\n",
      "sim",
    );
    expect([...(sim.get("reflow")?.fields ?? [])]).toEqual([
      "z1_top_c",
      "z1_bot_c",
      "z2_top_c",
      "z2_bot_c",
      "o2_ppm",
    ]);
  });
});

describe("spec limits from the configuration", () => {
  function thresholdValues(board: dashboard.Dashboard, title: string): number[] {
    const panel = panelsOf(board).find((p) => p.title === title);
    return (panel?.fieldConfig?.defaults.thresholds?.steps ?? [])
      .slice(1)
      .map((s) => s.value as number);
  }
  const environment = boards.find((b) => b.uid === "tracebox-environment") as dashboard.Dashboard;

  it("draws the example configuration's limits on the environment charts", () => {
    const raw = parse(readFileSync(resolve(REPO_ROOT, "tracebox.example.yaml"), "utf8")).alerts
      .rules;
    const limit = (name: string) => raw.find((r: { name: string }) => r.name === name);
    expect(thresholdValues(environment, "Humidity")).toEqual([
      limit("hall-humidity").low,
      limit("hall-humidity").high,
    ]);
    expect(thresholdValues(environment, "N₂ supply pressure")).toEqual([limit("n2-pressure").low]);
    expect(thresholdValues(environment, "Reflow O₂")).toEqual([limit("reflow-o2").high]);
    expect(thresholdValues(environment, "Temperature")).toEqual([]);
  });

  it("mirrors each limit as a Grafana rule that fires beyond it and recovers inside the hysteresis", () => {
    const byUid = new Map(rules.map((r) => [r.uid, r]));
    const evaluator = (uid: string) => {
      const model = byUid.get(uid)?.data[2]?.model as unknown as
        | { conditions: unknown[] }
        | undefined;
      return model?.conditions[0];
    };
    expect(evaluator("tb-spec-hall-humidity-low")).toEqual({
      evaluator: { type: "lt", params: [30] },
      unloadEvaluator: { type: "gt", params: [32] },
    });
    expect(evaluator("tb-spec-hall-humidity-high")).toEqual({
      evaluator: { type: "gt", params: [60] },
      unloadEvaluator: { type: "lt", params: [58] },
    });
    expect(evaluator("tb-spec-n2-pressure-low")).toEqual({
      evaluator: { type: "lt", params: [5.5] },
      unloadEvaluator: { type: "gt", params: [5.6] },
    });
    expect(byUid.has("tb-spec-n2-pressure-high")).toBe(false);
    const o2 = byUid.get("tb-spec-reflow-o2-high")?.data[0]?.model as unknown as { query: string };
    expect(o2.query).toContain(`"site" = 'plant1'`);
    expect(o2.query).toContain('min("o2_ppm")');
    expect(byUid.get("tb-spc-violations")?.labels.source).toBe("spc");
  });

  it("follows the configuration: a new rule gets its chart and its alert rule", () => {
    const dir = mkdtempSync(join(tmpdir(), "tracebox-dashboards-"));
    const file = join(dir, "tracebox.yaml");
    writeFileSync(
      file,
      "alerts:\n  rules:\n    - name: oven-conveyor\n      characteristic: reflow.conveyor_cm_min\n      low: 70\n      high: 90\n",
    );
    const files = renderProvisioning({ configPath: file });
    const env = JSON.parse(files.get(`${DASHBOARD_JSON_DIR}/environment.json`) as string);
    expect(thresholdValues(env, "reflow.conveyor_cm_min")).toEqual([70, 90]);
    expect(thresholdValues(env, "Humidity")).toEqual([]);
    const uids = parse(files.get("alerting/rules.yaml") as string).groups[0].rules.map(
      (r: { uid: string }) => r.uid,
    );
    expect(uids).toEqual(["tb-spec-oven-conveyor-low", "tb-spec-oven-conveyor-high"]);
  });
});

describe("InfluxQLQueryBuilder and options", () => {
  it("builds the raw InfluxQL target of Grafana's InfluxDB datasource", () => {
    const target = new InfluxQLQueryBuilder('SELECT "x" FROM "m" WHERE $timeFilter')
      .refId("B")
      .alias("$col")
      .resultFormat("table")
      .build();
    expect(JSON.parse(JSON.stringify(target))).toEqual({
      refId: "B",
      datasource: DATASOURCE,
      rawQuery: true,
      query: 'SELECT "x" FROM "m" WHERE $timeFilter',
      resultFormat: "table",
      alias: "$col",
    });
  });

  it("refuses bad options, naming the field", () => {
    expect(() => resolveDashboardOptions({ apiUrl: "localhost:9470" })).toThrow(/apiUrl/);
    expect(() => resolveDashboardOptions({ spiVolumePct: { low: 150, high: 50 } })).toThrow(
      DashboardOptionsError,
    );
    expect(() => resolveDashboardOptions({ yieldAlarm: 0.99 })).toThrow(/yieldAlarm=0.99/);
  });
});
