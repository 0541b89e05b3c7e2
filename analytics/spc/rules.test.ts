import { describe, expect, it } from "vitest";
import { applyRules, type JudgedPoint, RULE_SETS } from "./rules.ts";
import type { RuleName, RuleSetName } from "./types.ts";

/** Points on a chart with centre 0, standard error 1 and limits ±3. */
function points(values: readonly number[]): JudgedPoint[] {
  return values.map((statistic) => ({ statistic, center: 0, lcl: -3, ucl: 3, sigma: 1 }));
}

/** 1-based positions that `rule` flags in `values`. */
function flaggedBy(rule: RuleName, values: readonly number[], runLength?: number): number[] {
  const set = (Object.keys(RULE_SETS) as RuleSetName[]).find((name) =>
    RULE_SETS[name].includes(rule),
  );
  if (!set) throw new Error(`no set has ${rule}`);
  return applyRules(points(values), { rules: set, runLength })
    .filter((hit) => hit.rule === rule)
    .map((hit) => hit.position + 1);
}

const repeat = (value: number, times: number) => Array.from({ length: times }, () => value);
const alternating = (times: number) =>
  Array.from({ length: times }, (_, i) => (i % 2 ? 0.5 : -0.5));

describe("beyond the limits", () => {
  it("a point exactly on a limit is not beyond it; just past it is", () => {
    expect(flaggedBy("beyond-limits", [0, 3, -3, 0])).toEqual([]);
    expect(flaggedBy("beyond-limits", [0, 3.0000001, -3.0000001])).toEqual([2, 3]);
  });

  it("reports the side", () => {
    const hits = applyRules(points([4, -4]), { rules: "qcc" });
    expect(hits).toEqual([
      { position: 0, rule: "beyond-limits", side: "upper" },
      { position: 1, rule: "beyond-limits", side: "lower" },
    ]);
  });
});

describe("qcc run rule (7 in a row strictly on one side)", () => {
  it("flags the 7th, 8th, … point of a run", () => {
    expect(flaggedBy("run", repeat(0.5, 9))).toEqual([7, 8, 9]);
    expect(flaggedBy("run", repeat(-0.5, 7))).toEqual([7]);
  });

  it("six in a row is not a run", () => {
    expect(flaggedBy("run", [...repeat(0.5, 6), -0.5, ...repeat(0.5, 6)])).toEqual([]);
  });

  it("a point exactly on the centre ends the run", () => {
    expect(flaggedBy("run", [...repeat(0.5, 6), 0, ...repeat(0.5, 6)])).toEqual([]);
    expect(flaggedBy("run", [...repeat(0.5, 3), 0, ...repeat(0.5, 7)])).toEqual([11]);
  });

  it("takes another run length", () => {
    expect(flaggedBy("run", repeat(0.5, 9), 8)).toEqual([8, 9]);
  });
});

describe("Western Electric and Nelson rules: each triggered, and just missed", () => {
  const cases: {
    rules: RuleName[];
    what: string;
    hits: number[];
    triggers: number[];
    misses: number[];
  }[] = [
    {
      rules: ["we1", "nelson1"],
      what: "one point beyond the limits",
      triggers: [0, 3.2, 0],
      hits: [2],
      misses: [0, 3, -3, 2.99],
    },
    {
      rules: ["we2", "nelson5"],
      what: "2 of 3 beyond 2σ on one side",
      triggers: [2.5, 0, 2.1],
      hits: [3],
      // the pair is 4 apart; a pair on opposite sides; a point exactly on 2σ
      misses: [2.5, 0, 0, 2.1, 0, 0, 2.2, -2.2, 0, 0, 2.5, 2],
    },
    {
      rules: ["we3", "nelson6"],
      what: "4 of 5 beyond 1σ on one side",
      triggers: [1.5, 1.2, 0, 1.1, 1.3],
      hits: [5],
      misses: [1.5, 1.2, 0, 0, 1.1, 1.3, -1.5, 1, 1.2, 1.1],
    },
    {
      rules: ["we4"],
      what: "8 in a row on one side",
      triggers: repeat(0.2, 9),
      hits: [8, 9],
      misses: [...repeat(0.2, 7), 0, ...repeat(-0.2, 7)],
    },
    {
      rules: ["nelson2"],
      what: "9 in a row on one side",
      triggers: repeat(-0.2, 9),
      hits: [9],
      misses: [...repeat(-0.2, 8), 0.2, ...repeat(-0.2, 8)],
    },
    {
      rules: ["nelson3"],
      what: "6 in a row steadily increasing or decreasing",
      triggers: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0],
      hits: [6, 12],
      // five points rising, a tie, five points falling
      misses: [0, 0.1, 0.2, 0.3, 0.4, 0.4, 0.3, 0.2, 0.1, 0],
    },
    {
      rules: ["nelson4"],
      what: "14 in a row alternating up and down",
      triggers: alternating(15),
      hits: [14, 15],
      // thirteen alternating, a tie, thirteen more
      misses: [...alternating(13), -0.5, ...alternating(13)],
    },
    {
      rules: ["nelson7"],
      what: "15 in a row within 1σ",
      triggers: [...alternating(14), 1],
      hits: [15],
      misses: [...alternating(14), 1.01, ...alternating(14)],
    },
    {
      rules: ["nelson8"],
      what: "8 in a row beyond 1σ, both sides",
      triggers: [1.5, -1.5, 1.5, 1.5, -2, 1.2, -1.2, 1.5],
      hits: [8],
      // all on one side; one of eight within 1σ
      misses: [...repeat(1.5, 8), 0, 1.5, -1.5, 1.5, 1.5, -2, 1.2, -1, 1.5],
    },
  ];

  for (const { rules, what, triggers, hits, misses } of cases) {
    for (const rule of rules) {
      it(`${rule}: ${what}`, () => {
        expect(flaggedBy(rule, triggers)).toEqual(hits);
        expect(flaggedBy(rule, misses)).toEqual([]);
      });
    }
  }
});

describe("zones follow each point's own standard error", () => {
  it("a point 2.5 from the centre is beyond 2σ only where its σ is below 1.25", () => {
    const at = (statistic: number, sigma: number): JudgedPoint => ({
      statistic,
      center: 0,
      lcl: -3 * sigma,
      ucl: 3 * sigma,
      sigma,
    });
    const narrow = applyRules([at(2.5, 1), at(0, 1), at(2.5, 1)], { rules: "we" });
    const wide = applyRules([at(2.5, 2), at(0, 2), at(2.5, 2)], { rules: "we" });
    expect(narrow.filter((hit) => hit.rule === "we2").map((hit) => hit.position)).toEqual([2]);
    expect(wide.filter((hit) => hit.rule === "we2")).toEqual([]);
  });
});

describe("rule sets", () => {
  it("name their rules", () => {
    expect(RULE_SETS.qcc).toEqual(["beyond-limits", "run"]);
    expect(RULE_SETS.we).toEqual(["we1", "we2", "we3", "we4"]);
    expect(RULE_SETS.nelson).toHaveLength(8);
  });

  it("sort hits by position, then by the set's rule order", () => {
    const hits = applyRules(points([...repeat(0.5, 6), 3.5]), { rules: "qcc" });
    expect(hits.map((hit) => [hit.position, hit.rule])).toEqual([
      [6, "beyond-limits"],
      [6, "run"],
    ]);
  });

  it("refuse an unknown set", () => {
    expect(() => applyRules(points([0]), { rules: "iso" as RuleSetName })).toThrow(
      /rules must be one of/,
    );
  });
});
