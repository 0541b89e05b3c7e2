import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SCENARIO_NAMES } from "../../simulator/index.ts";
import { main } from "../main.ts";
import { parseDuration, parseStart, publishingStart } from "./simulate.ts";

const dir = mkdtempSync(join(tmpdir(), "tracebox-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function simulate(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(["node", "tracebox", "simulate", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const SMALL = ["--dry-run", "--units", "8", "--signal-rate", "1"];

describe("tracebox simulate", () => {
  it("writes NDJSON of {topic, payload}, the same for the same seed", async () => {
    const first = await simulate(...SMALL, "--seed", "5");
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    const lines = first.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines) {
      const message = JSON.parse(line);
      expect(Object.keys(message)).toEqual(["topic", "payload"]);
      expect(message.topic).toMatch(/^ems\/plant1\/(line1|hall)\//);
    }
    expect((await simulate(...SMALL, "--seed", "5")).stdout).toBe(first.stdout);
    expect((await simulate(...SMALL, "--seed", "6")).stdout).not.toBe(first.stdout);
  });

  it("writes the same NDJSON to --out", async () => {
    const file = join(dir, "run.ndjson");
    const toFile = await simulate("--units", "8", "--signal-rate", "1", "--out", file);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe("");
    expect(readFileSync(file, "utf8")).toBe((await simulate(...SMALL)).stdout);
  });

  it("plays scenarios, sites and lines given on the command line", async () => {
    const { code, stdout } = await simulate(
      ...SMALL,
      "--scenario",
      "bad-lot",
      "--scenario",
      "o2-rise",
      "--sites",
      "2",
      "--lines",
      "2",
      "--prefix",
      "plant/ems",
    );
    expect(code).toBe(0);
    expect(stdout).toContain('"topic":"plant/ems/plant2/line2/pnp/material"');
    expect(stdout).toContain('"code":"O2_HIGH"');
    expect(stdout).toContain("N2544-9117");
  });

  it("refuses bad flags with exit code 2 and says why", async () => {
    const cases: [string[], RegExp][] = [
      [["--scenario", "flood"], /unknown --scenario 'flood'/],
      [["--duration", "8"], /--duration '8': expected a number with a unit/],
      [["--units", "5", "--duration", "1h"], /--units or --duration, not both/],
      [["--speed", "-1"], /--speed must be >= 0/],
      [["--units", "0"], /option units must be an integer/],
      [["--signal-rate", "fast"], /--signal-rate 'fast' is not a number/],
      [["--start", "yesterday"], /--start 'yesterday'/],
      [["--serial-format", "qr"], /serialFormat/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = await simulate("--dry-run", ...args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe("");
    }
  });

  it("fails with exit code 1 when the broker cannot be reached", async () => {
    const { code, stderr } = await simulate(
      "--units",
      "2",
      "--mqtt-url",
      "mqtt://user:secret@127.0.0.1:1",
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /cannot connect to the MQTT broker at mqtt:\/\/user:\*\*\*\*@127\.0\.0\.1:1/,
    );
    expect(stderr).not.toContain("secret");
  });

  it("lists the scenarios with their effect sizes", async () => {
    const { code, stdout } = await simulate("--list-scenarios");
    expect(code).toBe(0);
    for (const name of SCENARIO_NAMES) expect(stdout).toContain(`${name}\n`);
    expect(stdout).toContain("odds ratio");
  });
});

describe("simulate flag parsing", () => {
  it("reads durations with units", () => {
    expect(parseDuration("8h")).toBe(8 * 3_600_000);
    expect(parseDuration("45m")).toBe(45 * 60_000);
    expect(parseDuration("1.5min")).toBe(90_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2d")).toBe(2 * 86_400_000);
  });

  it("reads start times", () => {
    expect(parseStart("now", 42)).toBe(42);
    expect(parseStart("1795759200000", 0)).toBe(1795759200000);
    expect(parseStart("2026-11-27T06:00:00Z", 0)).toBe(Date.UTC(2026, 10, 27, 6));
  });

  it("starts a published run so that it ends about now", () => {
    const now = Date.UTC(2026, 10, 27, 12);
    const run = 8 * 3_600_000;
    expect(publishingStart(now, run, 1)).toBe(now);
    const drain = 20 * 60_000;
    expect(publishingStart(now, run, 0)).toBe(now - run - drain);
    // At 60x the run's simulated clock catches up with the wall clock at its end.
    const start = publishingStart(now, run, 60);
    const wallEnd = now + (run + drain) / 60;
    expect(start + run + drain).toBeLessThanOrEqual(wallEnd + 1000);
    expect(start + run + drain).toBeGreaterThan(wallEnd - 1000);
  });
});
