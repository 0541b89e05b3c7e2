import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, referenceMarkdown } from "./index.ts";

function dir(yaml?: string): string {
  const d = mkdtempSync(join(tmpdir(), "tracebox-config-"));
  if (yaml !== undefined) writeFileSync(join(d, "tracebox.yaml"), yaml);
  return d;
}

function problems(env: NodeJS.ProcessEnv, yaml?: string): string[] {
  try {
    loadConfig({ env, cwd: dir(yaml) });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split("\n");
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("uses the defaults with no file and no environment", () => {
    const { config, sources } = loadConfig({ env: {}, cwd: dir() });
    expect(config.mqttUrl).toBe("mqtt://127.0.0.1:1883");
    expect(config.topicPrefix).toBe("ems");
    expect(config.influxDb).toBe("tracebox");
    expect(config.dataDir).toBe("./data");
    expect(config.httpPort).toBe(9464);
    expect(config.httpHost).toBe("127.0.0.1");
    expect(config.mqttPassword).toBeUndefined();
    expect(sources.httpPort).toBe("default");
    expect(config.file).toBeUndefined();
  });

  it("reads the YAML file, and the environment overrides it, with the source of each value", () => {
    const yaml =
      "mqtt:\n  url: mqtt://broker.local:1884\n  topicPrefix: plant\nhttp:\n  port: 9000\ninflux:\n  database: lineA\n";
    const { config, sources } = loadConfig({ env: { TRACEBOX_HTTP_PORT: "9100" }, cwd: dir(yaml) });
    expect(config.mqttUrl).toBe("mqtt://broker.local:1884");
    expect(sources.mqttUrl).toBe("file");
    expect(config.topicPrefix).toBe("plant");
    expect(config.httpPort).toBe(9100);
    expect(sources.httpPort).toBe("env");
    expect(config.influxDb).toBe("lineA");
    expect(config.file).toMatch(/tracebox\.yaml$/);
  });

  it("reads TRACEBOX_CONFIG when set, and keeps structured sections for their owners", () => {
    const d = dir();
    const file = join(d, "other.yaml");
    writeFileSync(file, "alerts:\n  rules: []\nlog:\n  level: debug\n");
    const { config } = loadConfig({ env: { TRACEBOX_CONFIG: file }, cwd: d });
    expect(config.logLevel).toBe("debug");
    expect(config.sections.alerts).toEqual({ rules: [] });
  });

  // Every error path: one line per problem naming the key, the value and what was expected.
  const cases: { name: string; env: NodeJS.ProcessEnv; yaml?: string; lines: string[] }[] = [
    {
      name: "bad URL scheme",
      env: { TRACEBOX_MQTT_URL: "http://x" },
      lines: [
        "TRACEBOX_MQTT_URL=http://x: expected a URL with scheme mqtt:// or mqtts:// or tcp:// or ssl://",
      ],
    },
    {
      name: "not a URL",
      env: { TRACEBOX_INFLUX_URL: "localhost:8086" },
      lines: ["TRACEBOX_INFLUX_URL=localhost:8086: expected a URL with scheme http:// or https://"],
    },
    {
      name: "port out of range",
      env: { TRACEBOX_HTTP_PORT: "70000" },
      lines: ["TRACEBOX_HTTP_PORT=70000: expected an integer from 1 to 65535"],
    },
    {
      name: "port not a number",
      env: { TRACEBOX_HTTP_PORT: "nine" },
      lines: ["TRACEBOX_HTTP_PORT=nine: expected an integer from 1 to 65535"],
    },
    {
      name: "unknown log level",
      env: { TRACEBOX_LOG_LEVEL: "loud" },
      lines: [
        "TRACEBOX_LOG_LEVEL=loud: expected one of fatal, error, warn, info, debug, trace, silent",
      ],
    },
    {
      name: "wildcard in prefix",
      env: { TRACEBOX_TOPIC_PREFIX: "ems/#" },
      lines: [
        "TRACEBOX_TOPIC_PREFIX=ems/#: expected topic segments of [A-Za-z0-9_.-]{1,64} joined by /, no wildcards",
      ],
    },
    {
      name: "bad group",
      env: { TRACEBOX_INGEST_GROUP: "a b" },
      lines: [
        "TRACEBOX_INGEST_GROUP=a b: expected topic segments of [A-Za-z0-9_.-]{1,64} joined by /, no wildcards",
      ],
    },
    {
      name: "bad retention",
      env: { TRACEBOX_INFLUX_RETENTION: "forever" },
      lines: [
        "TRACEBOX_INFLUX_RETENTION=forever: expected an InfluxQL duration such as 30d, 26w or INF",
      ],
    },
    {
      name: "bad boolean",
      env: { TRACEBOX_SERVICES_INSTALL: "maybe" },
      lines: ["TRACEBOX_SERVICES_INSTALL=maybe: expected true or false"],
    },
    {
      name: "bad bind host",
      env: { TRACEBOX_HTTP_HOST: "0.0.0.0; rm" },
      lines: ["TRACEBOX_HTTP_HOST=0.0.0.0; rm: expected an IP address or host name to bind to"],
    },
    {
      name: "org without bucket",
      env: { TRACEBOX_INFLUX_ORG: "acme" },
      lines: [
        "TRACEBOX_INFLUX_ORG/TRACEBOX_INFLUX_BUCKET=acme/(unset): expected both set (v2 API) or neither (v1 API)",
      ],
    },
    {
      name: "bad value in the file names the YAML key",
      env: {},
      yaml: "http:\n  port: -1\n",
      lines: ["http.port=-1: expected an integer from 1 to 65535"],
    },
    {
      name: "unknown key in the file",
      env: {},
      yaml: "mqtt:\n  urll: x\n",
      lines: ['mqtt.urll="x": expected a known setting (see `tracebox config`)'],
    },
    { name: "file is not a mapping", env: {}, yaml: "- a\n- b\n", lines: [] },
    {
      name: "several problems at once, one line each",
      env: { TRACEBOX_HTTP_PORT: "0", TRACEBOX_LOG_LEVEL: "x" },
      lines: [
        "TRACEBOX_HTTP_PORT=0: expected an integer from 1 to 65535",
        "TRACEBOX_LOG_LEVEL=x: expected one of fatal, error, warn, info, debug, trace, silent",
      ],
    },
  ];
  for (const c of cases) {
    it(`rejects: ${c.name}`, () => {
      const got = problems(c.env, c.yaml);
      if (c.lines.length === 0) {
        expect(got).toHaveLength(1);
        expect(got[0]).toMatch(
          /^TRACEBOX_CONFIG=.*tracebox\.yaml: expected a YAML mapping at the top level$/,
        );
      } else {
        expect(got).toEqual(c.lines);
      }
    });
  }

  it("rejects a file that is not YAML, naming the file", () => {
    const got = problems({}, "mqtt: [unclosed\n");
    expect(got[0]).toMatch(/^TRACEBOX_CONFIG=.*tracebox\.yaml: expected valid YAML \(/);
  });

  it("rejects an explicit TRACEBOX_CONFIG that does not exist", () => {
    expect(problems({ TRACEBOX_CONFIG: "/nonexistent/t.yaml" })).toEqual([
      "TRACEBOX_CONFIG=/nonexistent/t.yaml: expected a readable YAML file",
    ]);
  });

  it("never prints a secret in an error", () => {
    const got = problems(
      { TRACEBOX_MQTT_PASSWORD: "", TRACEBOX_MQTT_URL: "bad" },
      "mqtt:\n  password: [hunter2]\n",
    );
    expect(got.join("\n")).not.toContain("hunter2");
    expect(got).toContain("mqtt.password=****: expected a non-empty string");
  });
});

describe("configuration reference", () => {
  it("in the README is the one generated from the option table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const start = readme.indexOf("<!-- config:start -->");
    const end = readme.indexOf("<!-- config:end -->");
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + "<!-- config:start -->".length, end).trim()).toBe(
      referenceMarkdown(),
    );
  });
});

describe("tracebox.example.yaml", () => {
  it("is a valid configuration", () => {
    const file = new URL("../tracebox.example.yaml", import.meta.url).pathname;
    expect(() => loadConfig({ env: { TRACEBOX_CONFIG: file } })).not.toThrow();
  });
});
