import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildProgram } from "../cli/index.ts";
import { OPTIONS } from "../config/index.ts";
import { DATASOURCE } from "../dashboards/index.ts";

// No Docker engine runs here, so the compose file is checked statically against the repo.
const root = resolve(import.meta.dirname, "..");
const compose = parse(readFileSync(resolve(root, "docker-compose.yml"), "utf8")) as {
  services: Record<
    string,
    {
      volumes?: string[];
      environment?: Record<string, string>;
      command?: string[];
      build?: string;
      ports?: string[];
    }
  >;
};

describe("docker-compose.yml", () => {
  it("has the full stack", () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(["mosquitto", "influxdb", "grafana", "ingest", "jobs"]),
    );
  });

  it("mounts only paths that exist in the repo", () => {
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []);
    const binds = mounts
      .map((m) => m.split(":")[0] as string)
      .filter((source) => source.startsWith("."));
    expect(binds.length).toBeGreaterThan(0);
    for (const source of binds) expect(existsSync(resolve(root, source)), source).toBe(true);
  });

  it("sets only TRACEBOX_* variables that the config accepts", () => {
    const accepted = new Set(Object.values(OPTIONS).map((o) => o.env));
    const used = Object.values(compose.services).flatMap((s) => Object.keys(s.environment ?? {}));
    const ours = used.filter((k) => k.startsWith("TRACEBOX_"));
    expect(ours.length).toBeGreaterThan(0);
    for (const key of ours) expect(accepted.has(key), key).toBe(true);
  });

  it("publishes ports on loopback only", () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it("runs tracebox commands that exist", () => {
    const built = Object.values(compose.services).filter((s) => s.build);
    expect(built.length).toBeGreaterThan(0);
    expect(existsSync(resolve(root, "Dockerfile"))).toBe(true);
    const registered = buildProgram().commands.map((c) => c.name());
    for (const service of built) expect(registered).toContain(service.command?.[0]);
  });

  it("provisions Grafana's datasource with the uid the dashboards use and the configured database", () => {
    const ds = parse(
      readFileSync(resolve(root, "dashboards/provisioning/datasources/tracebox.yaml"), "utf8"),
    );
    expect(ds.datasources[0].uid).toBe(DATASOURCE.uid);
    expect(ds.datasources[0].jsonData.dbName).toBe("$TRACEBOX_INFLUX_DB");
    expect(compose.services.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(
      /GRAFANA_ADMIN_PASSWORD:\?/,
    );
    expect(compose.services.grafana?.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
  });
});
