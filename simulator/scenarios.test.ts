import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type DriftEffect,
  type RateEffect,
  SCENARIOS,
  type ScenarioName,
  type SimulatorOptions,
  simulateLine,
} from "./index.ts";
import { type GroupRate, measureScenario, observe } from "./observe.ts";

// Each scenario is played on 3,000 boards with a seed other than those its effect size was
// measured on, and the observed rates must agree with the documented ones within sampling
// error: the documented rate inside a 99.9 % Wilson interval of the observed count.

const UNITS = 3000;

function run(scenarios: ScenarioName[], seed = 11): ReturnType<typeof observe> {
  return observe(simulateLine(options(scenarios, seed)));
}

function options(scenarios: ScenarioName[], seed = 11): Partial<SimulatorOptions> {
  return { seed, units: UNITS, signalRateHz: 1, profilerEvery: 100_000, scenarios };
}

/** Wilson score interval of a binomial proportion. */
function wilson({ boards, withOutcome }: GroupRate, z = 3.29): [number, number] {
  const p = withOutcome / boards;
  const denominator = 1 + (z * z) / boards;
  const centre = (p + (z * z) / (2 * boards)) / denominator;
  const half =
    (z * Math.sqrt((p * (1 - p)) / boards + (z * z) / (4 * boards * boards))) / denominator;
  return [centre - half, centre + half];
}

function effectOf(name: ScenarioName): RateEffect {
  return SCENARIOS.find((scenario) => scenario.name === name)?.effectSize as RateEffect;
}

const RATE_SCENARIOS = ["humidity", "stencil-clog", "o2-rise", "bad-lot"] as const;

describe("fault scenarios shift their outcome by the documented effect", () => {
  it.each(RATE_SCENARIOS)("%s", (name) => {
    const effect = effectOf(name);
    const measured = measureScenario(name, run([name]));
    // Enough boards on both sides to tell the effect from noise.
    expect(measured.exposed.boards).toBeGreaterThan(300);
    expect(measured.unexposed.boards).toBeGreaterThan(1000);
    const [exposedLow, exposedHigh] = wilson(measured.exposed);
    expect(effect.exposedRate).toBeGreaterThanOrEqual(exposedLow);
    expect(effect.exposedRate).toBeLessThanOrEqual(exposedHigh);
    const [unexposedLow, unexposedHigh] = wilson(measured.unexposed);
    expect(effect.unexposedRate).toBeGreaterThanOrEqual(unexposedLow);
    expect(effect.unexposedRate).toBeLessThanOrEqual(unexposedHigh);
    // The exposed boards are worse beyond doubt: the intervals do not touch.
    expect(exposedLow).toBeGreaterThan(unexposedHigh);
  });

  it("leaves a run without scenarios unexposed", () => {
    const baseline = run([]);
    for (const name of RATE_SCENARIOS) {
      expect(measureScenario(name, baseline).exposed.boards, name).toBe(0);
    }
  });

  it("baseline defect rates are low but not zero", () => {
    const { boards } = run([]);
    const rate = (kind: "aoi" | "ict" | "fct") => {
      const tested = [...boards.values()].filter((board) => board[kind] !== undefined);
      return tested.filter((board) => board[kind]?.result === "fail").length / tested.length;
    };
    expect(rate("aoi")).toBeGreaterThan(0.01);
    expect(rate("aoi")).toBeLessThan(0.03);
    expect(rate("ict")).toBeGreaterThan(0.002);
    expect(rate("ict")).toBeLessThan(0.02);
    expect(rate("fct")).toBeGreaterThan(0.002);
    expect(rate("fct")).toBeLessThan(0.02);
  });

  it("zone-drift trips the 7-in-a-row rule long before the spec limit", () => {
    const effect = SCENARIOS.find((scenario) => scenario.name === "zone-drift")
      ?.effectSize as DriftEffect;
    const opts = options(["zone-drift"]);
    const drift = measureScenario("zone-drift", observe(simulateLine(opts)), opts);
    expect(drift.ruleAfterMinutes).toBeDefined();
    expect(drift.specAfterMinutes).toBeDefined();
    const rule = drift.ruleAfterMinutes as number;
    const spec = drift.specAfterMinutes as number;
    expect(rule).toBeLessThan(spec);
    // 7 points need 7 minutes at least; the seeds measured gave 8-23.
    expect(rule).toBeGreaterThanOrEqual(7);
    expect(rule).toBeLessThanOrEqual(2 * effect.ruleAfterMinutes + 10);
    // The true drift crosses +5 °C at 100 min; subgroup noise moves that by minutes.
    expect(Math.abs(spec - effect.specAfterMinutes)).toBeLessThanOrEqual(20);
  });
});

describe("the README's scenario table", () => {
  it("states the effect sizes of SCENARIOS", () => {
    const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
    for (const name of RATE_SCENARIOS) {
      const effect = effectOf(name);
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      expect(row).toContain(`| ${(effect.exposedRate * 100).toFixed(1)} % (`);
      expect(row).toContain(`| ${(effect.unexposedRate * 100).toFixed(2)} % (`);
      expect(row).toContain(`| ${effect.rateRatio} | ${effect.oddsRatio} |`);
    }
    const drift = SCENARIOS.find((scenario) => scenario.name === "zone-drift")
      ?.effectSize as DriftEffect;
    expect(readme).toContain(`after ~${drift.ruleAfterMinutes} min`);
    expect(readme).toContain(`after ~${drift.specAfterMinutes} min`);
  });
});
