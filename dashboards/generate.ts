// Writes Grafana's provisioning files from the dashboards-as-code: the dashboard JSON, the
// provider file and the alerting files. `--check` writes nothing and exits 1 when the committed
// files differ from what the code generates.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  DASHBOARD_JSON_DIR,
  PROVISIONING_DIR,
  REPO_ROOT,
  renderProvisioning,
} from "./provisioning.ts";
import { sameGeneratedFile } from "./same-file.ts";

const { values } = parseArgs({
  options: {
    check: { type: "boolean", default: false },
    config: { type: "string" },
  },
});

const files = renderProvisioning(values.config === undefined ? {} : { configPath: values.config });

if (values.check) {
  const stale = [...files].filter(([path, content]) => {
    try {
      return !sameGeneratedFile(path, readFileSync(join(PROVISIONING_DIR, path), "utf8"), content);
    } catch {
      return true;
    }
  });
  for (const [path] of stale) console.error(`out of date: dashboards/provisioning/${path}`);
  if (stale.length > 0) {
    console.error("run npm run dashboards:generate and commit the result");
    process.exit(1);
  }
  process.exit(0);
}

// Dashboards removed from the code must leave Grafana too: the JSON folder holds only ours.
const jsonDir = join(PROVISIONING_DIR, DASHBOARD_JSON_DIR);
mkdirSync(jsonDir, { recursive: true });
for (const name of readdirSync(jsonDir)) {
  if (!files.has(`${DASHBOARD_JSON_DIR}/${name}`)) rmSync(join(jsonDir, name));
}
const written: string[] = [];
for (const [path, content] of files) {
  const file = join(PROVISIONING_DIR, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  written.push(file);
}
// The JSON is committed and linted like every other file: let the formatter lay it out once, so
// that `biome check` and a regeneration agree.
const json = written.filter((f) => f.endsWith(".json"));
const biome = spawnSync(
  resolve(REPO_ROOT, "node_modules/.bin/biome"),
  ["format", "--write", ...json],
  {
    encoding: "utf8",
  },
);
if (biome.status !== 0) {
  console.error(biome.stderr || biome.stdout);
  process.exit(1);
}
for (const file of written) console.log(`wrote ${file.slice(REPO_ROOT.length + 1)}`);
