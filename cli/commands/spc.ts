import { readFileSync } from "node:fs";
import {
  type Capability,
  type ChartType,
  type ControlChart,
  type ControlLimits,
  computeCapability,
  computeLimits,
  evaluate,
  type LimitsOptions,
  parseAttributesCsv,
  parseVariablesCsv,
  RULE_SETS,
  type RuleSetName,
  type SigmaMethod,
  SpcError,
  type Subgroup,
} from "../../analytics/spc/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

const USAGE = 2;

/** What each `--chart` draws: a location chart, maybe its dispersion chart, and from what CSV. */
const CLI_CHARTS = {
  "xbar-r": { location: "xbar", dispersion: "r", input: "variables" },
  "xbar-s": { location: "xbar", dispersion: "s", input: "variables", sigma: "UWAVE-SD" },
  imr: { location: "i", dispersion: "mr", input: "variables" },
  p: { location: "p", input: "attributes", sizeRequired: true },
  np: { location: "np", input: "attributes", sizeRequired: true },
  c: { location: "c", input: "attributes", sizeRequired: false },
  u: { location: "u", input: "attributes", sizeRequired: true },
  ewma: { location: "ewma", input: "variables" },
  cusum: { location: "cusum", input: "variables" },
} as const satisfies Record<
  string,
  {
    location: ChartType;
    dispersion?: ChartType;
    input: "variables" | "attributes";
    sizeRequired?: boolean;
    sigma?: SigmaMethod;
  }
>;
type CliChart = keyof typeof CLI_CHARTS;

const SIGMA_METHODS: Readonly<Record<string, SigmaMethod>> = {
  "uwave-r": "UWAVE-R",
  "uwave-sd": "UWAVE-SD",
  "mvlue-r": "MVLUE-R",
  "mvlue-sd": "MVLUE-SD",
  rmsdf: "RMSDF",
  mr: "MR",
  sd: "SD",
};

const FORMATS = ["json", "table"] as const;

interface SpcCliOptions {
  input?: string;
  chart?: string;
  phase1?: string;
  sigma?: string;
  lsl?: string;
  usl?: string;
  target?: string;
  confidence?: string;
  rules: string;
  runLength?: string;
  lambda?: string;
  nsigmas?: string;
  decisionInterval?: string;
  seShift?: string;
  headStart?: string;
  minSubgroups?: string;
  format: string;
}

function usage(message: string): CliError {
  return new CliError(`spc: ${message}`, USAGE);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usage(`unknown ${flag} '${value}' (expected one of: ${allowed.join(", ")})`);
}

function numberOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw usage(`${flag} '${text}' is not a number`);
  return value;
}

function countOption(flag: string, text: string | undefined): number | undefined {
  const value = numberOption(flag, text);
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw usage(`${flag} must be a whole number >= 1, got '${text}'`);
  }
  return value;
}

function readSubgroups(file: string, chart: CliChart): Subgroup[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  const spec = CLI_CHARTS[chart];
  return spec.input === "variables"
    ? parseVariablesCsv(text, file)
    : parseAttributesCsv(text, spec.sizeRequired, file);
}

/** The JSON shape of one chart: summary, frozen limits, points and violations. */
function chartJson(chart: ControlChart) {
  const { limits } = chart;
  const points = chart.points.map((point) => {
    const where = {
      subgroup: point.subgroup,
      index: point.index,
      phase: point.phase,
      size: point.size,
    };
    if ("upper" in point) {
      return {
        ...where,
        upper: point.upper,
        lower: point.lower,
        mean: point.mean,
        z: point.z,
        lcl: point.lcl,
        ucl: point.ucl,
      };
    }
    const base = {
      ...where,
      statistic: point.statistic,
      center: point.center,
      lcl: point.lcl,
      ucl: point.ucl,
    };
    return "mean" in point ? { ...base, mean: point.mean } : base;
  });
  return {
    chart: chart.chart,
    center: chart.center,
    sigma: chart.sigma,
    sigmaMethod: chart.sigmaMethod,
    nsigmas: limits.nsigmas,
    n: chart.n,
    lcl: limits.lcl,
    ucl: limits.ucl,
    ...(chart.chart !== "ewma" && chart.chart !== "cusum" ? { rules: chart.rules } : {}),
    limits,
    points,
    violations: chart.violations.map(({ subgroup, index, rule, side }) =>
      side ? { subgroup, index, rule, side } : { subgroup, index, rule },
    ),
  };
}

function capabilityJson(capability: Capability) {
  const { cp, cpl, cpu, cpk, cpm, pp, ppl, ppu, ppk, ppm, ...rest } = capability;
  return { cp, cpl, cpu, cpk, cpm, pp, ppl, ppu, ppk, ppm, ...rest };
}

// ---- table -------------------------------------------------------------------------------------

const CHART_TITLES: Readonly<Record<ChartType, string>> = {
  xbar: "X̄ chart (subgroup means)",
  r: "R chart (subgroup ranges)",
  s: "S chart (subgroup standard deviations)",
  i: "Individuals chart",
  mr: "Moving-range chart",
  p: "p chart (fraction nonconforming)",
  np: "np chart (number nonconforming)",
  c: "c chart (nonconformities)",
  u: "u chart (nonconformities per unit)",
  ewma: "EWMA chart",
  cusum: "CUSUM chart (standardised, tabular)",
};

function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return "-";
  if (Object.is(value, -0)) return "0";
  return String(Number(value.toPrecision(7)));
}

const SPARKS = "▁▂▃▄▅▆▇█";

/** One character per point, its height between the lowest and highest of statistics and limits. */
function sparkline(values: readonly number[], low: number, high: number): string {
  return values
    .map((value) => {
      const level =
        high > low ? Math.round(((value - low) / (high - low)) * (SPARKS.length - 1)) : 3;
      return SPARKS[Math.min(SPARKS.length - 1, Math.max(0, level))];
    })
    .join("");
}

const GAUGE = 21;

/** Where a value sits between its limits: | at LCL and UCL, : at the centre, < and > beyond. */
function gaugeColumn(value: number, lcl: number, center: number, ucl: number): number {
  if (value < lcl) return 0;
  if (value > ucl) return GAUGE - 1;
  const mid = (GAUGE - 1) / 2;
  if (value <= center)
    return center > lcl ? Math.round(1 + ((value - lcl) / (center - lcl)) * (mid - 1)) : mid;
  return ucl > center ? Math.round(mid + ((value - center) / (ucl - center)) * (mid - 1)) : mid;
}

function gauge(
  marks: readonly { value: number; char: string }[],
  lcl: number,
  center: number,
  ucl: number,
): string {
  const cells = Array.from({ length: GAUGE }, () => " ");
  cells[1] = "|";
  cells[GAUGE - 2] = "|";
  cells[(GAUGE - 1) / 2] = ":";
  for (const { value, char } of marks) {
    const column = gaugeColumn(value, lcl, center, ucl);
    cells[column] = column === 0 ? "<" : column === GAUGE - 1 ? ">" : char;
  }
  return cells.join("");
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function chartTable(chart: ControlChart, file: string): string {
  const { limits } = chart;
  const phase1 = chart.points.filter((p) => p.phase === 1).length;
  const phase2 = chart.points.length - phase1;
  const lines = [
    `${CHART_TITLES[chart.chart]} · ${file} · ${chart.points.length} points (${phase1} phase I, ${phase2} phase II)`,
    [
      `centre ${num(chart.center)}`,
      `sigma ${num(chart.sigma)} (${chart.sigmaMethod})`,
      chart.n !== null ? `n ${chart.n}` : "n varies",
      limits.lcl !== null && limits.ucl !== null
        ? `limits ${num(limits.lcl)} .. ${num(limits.ucl)}`
        : "limits per point",
      limits.ewma ? `lambda ${limits.ewma.lambda}` : "",
      limits.cusum ? `h ${limits.cusum.decisionInterval}, shift ${limits.cusum.seShift}` : "",
      "rules" in chart ? `rules ${chart.rules}` : "",
    ]
      .filter(Boolean)
      .join("   "),
  ];
  const rulesAt = new Map<number, string[]>();
  for (const v of chart.violations) {
    rulesAt.set(v.index, [
      ...(rulesAt.get(v.index) ?? []),
      v.side ? `${v.rule} (${v.side})` : v.rule,
    ]);
  }
  const labelWidth = Math.max(8, ...chart.points.map((p) => p.subgroup.length));
  const statistics = chart.points.map((p) => ("upper" in p ? p.upper + p.lower : p.statistic));
  const bounds = chart.points.flatMap((p) => ("upper" in p ? [p.upper, p.lower] : [p.statistic]));
  const low = Math.min(...bounds, ...chart.points.map((p) => p.lcl));
  const high = Math.max(...bounds, ...chart.points.map((p) => p.ucl));
  const phase1Spark = sparkline(statistics.slice(0, phase1), low, high);
  const phase2Spark = sparkline(statistics.slice(phase1), low, high);
  lines.push(`trend  ${phase1Spark}${phase2 > 0 ? `│${phase2Spark}` : ""}`);
  lines.push("");
  const head =
    "upper" in (chart.points[0] ?? {})
      ? `${pad("#", 4, true)}  ${pad("subgroup", labelWidth)}  ph  ${pad("C+", 11, true)} ${pad("-C-", 11, true)} ${pad("h", 11, true)}  ${pad("", GAUGE)}  rules`
      : `${pad("#", 4, true)}  ${pad("subgroup", labelWidth)}  ph  ${pad("statistic", 11, true)} ${pad("LCL", 11, true)} ${pad("UCL", 11, true)}  ${pad("", GAUGE)}  rules`;
  lines.push(head);
  for (const point of chart.points) {
    const flags = (rulesAt.get(point.index) ?? []).join(", ");
    const phase = point.phase === 1 ? "I " : "II";
    if ("upper" in point) {
      const marks = [
        { value: point.lower, char: "-" },
        { value: point.upper, char: "+" },
      ].filter((mark) => mark.value !== 0);
      lines.push(
        `${pad(String(point.index), 4, true)}  ${pad(point.subgroup, labelWidth)}  ${phase}  ${pad(num(point.upper), 11, true)} ${pad(num(point.lower), 11, true)} ${pad(num(point.ucl), 11, true)}  ${gauge(marks, point.lcl, 0, point.ucl)}  ${flags}`.trimEnd(),
      );
    } else {
      lines.push(
        `${pad(String(point.index), 4, true)}  ${pad(point.subgroup, labelWidth)}  ${phase}  ${pad(num(point.statistic), 11, true)} ${pad(num(point.lcl), 11, true)} ${pad(num(point.ucl), 11, true)}  ${gauge([{ value: point.statistic, char: "*" }], point.lcl, point.center, point.ucl)}  ${flags}`.trimEnd(),
      );
    }
  }
  lines.push("");
  lines.push(
    chart.violations.length === 0
      ? "no violations"
      : `${chart.violations.length} violation${chart.violations.length === 1 ? "" : "s"} at ${[...rulesAt.keys()].map((i) => chart.points.find((p) => p.index === i)?.subgroup).join(", ")}`,
  );
  return lines.join("\n");
}

function capabilityTable(capability: Capability): string {
  const level = `${Math.round(capability.confidenceLevel * 1000) / 10}%`;
  const index = (
    name: string,
    value: number | null,
    interval: { lower: number; upper: number } | null,
  ) =>
    value === null
      ? ""
      : `  ${pad(name, 4)} ${pad(num(value), 10, true)}${interval ? `   ${level} CI ${num(interval.lower)} .. ${num(interval.upper)}` : ""}`;
  const fraction = (value: number | null) => (value === null ? "-" : `${num(value * 100)} %`);
  return [
    `Capability (phase I, ${capability.nobs} values): LSL ${num(capability.lsl)}  USL ${num(capability.usl)}  target ${num(capability.target)}`,
    `  within sigma ${num(capability.sigmaWithin)} (${capability.sigmaWithinMethod}) for Cp..Cpm; overall sigma ${num(capability.sigmaOverall)} (sample sd) for Pp..Ppm`,
    index("Cp", capability.cp, capability.intervals.cp),
    index("Cpl", capability.cpl, capability.intervals.cpl),
    index("Cpu", capability.cpu, capability.intervals.cpu),
    index("Cpk", capability.cpk, capability.intervals.cpk),
    index("Cpm", capability.cpm, capability.intervals.cpm),
    index("Pp", capability.pp, capability.intervals.pp),
    index("Ppk", capability.ppk, capability.intervals.ppk),
    `  expected out of spec: ${fraction(capability.expected.belowLsl)} below LSL, ${fraction(capability.expected.aboveUsl)} above USL`,
    `  observed out of spec: ${fraction(capability.observed.belowLsl)} below LSL, ${fraction(capability.observed.aboveUsl)} above USL`,
  ]
    .filter(Boolean)
    .join("\n");
}

// ---- command -----------------------------------------------------------------------------------

function runSpc(options: SpcCliOptions): string {
  if (options.input === undefined) throw usage("--input FILE.csv is required");
  if (options.chart === undefined) throw usage("--chart is required");
  const chartName = oneOf("--chart", options.chart, Object.keys(CLI_CHARTS) as CliChart[]);
  const format = oneOf("--format", options.format, FORMATS);
  const rules = oneOf("--rules", options.rules, Object.keys(RULE_SETS) as RuleSetName[]);
  if ((chartName === "ewma" || chartName === "cusum") && rules !== undefined && rules !== "qcc") {
    throw usage(
      `--rules ${rules} does not apply to a ${chartName} chart: its successive points are correlated, and it signals only beyond its own limits (leave --rules out)`,
    );
  }
  const spec: {
    location: ChartType;
    dispersion?: ChartType;
    input: "variables" | "attributes";
    sigma?: SigmaMethod;
  } = CLI_CHARTS[chartName];
  let sigmaMethod = spec.sigma;
  if (options.sigma !== undefined) {
    if (spec.input === "attributes") {
      throw usage(
        `--sigma does not apply to a ${chartName} chart (its sigma is binomial or Poisson)`,
      );
    }
    sigmaMethod = SIGMA_METHODS[oneOf("--sigma", options.sigma, Object.keys(SIGMA_METHODS))];
  }
  const specLimits = {
    lsl: numberOption("--lsl", options.lsl),
    usl: numberOption("--usl", options.usl),
    target: numberOption("--target", options.target),
  };
  const wantsCapability = specLimits.lsl !== undefined || specLimits.usl !== undefined;
  if (!wantsCapability && specLimits.target !== undefined)
    throw usage("--target needs --lsl or --usl");
  if (wantsCapability && spec.input === "attributes") {
    throw usage(`capability (--lsl/--usl) needs measurements, not a ${chartName} chart`);
  }
  const limitsOptions: Partial<LimitsOptions> = {
    sigmaMethod,
    nsigmas: numberOption("--nsigmas", options.nsigmas),
    lambda: numberOption("--lambda", options.lambda),
    decisionInterval: numberOption("--decision-interval", options.decisionInterval),
    seShift: numberOption("--se-shift", options.seShift),
    headStart: numberOption("--head-start", options.headStart),
    minSubgroups: countOption("--min-subgroups", options.minSubgroups),
  };
  const runLength = countOption("--run-length", options.runLength);
  const phase1Count = countOption("--phase1", options.phase1);
  const confidenceLevel = numberOption("--confidence", options.confidence);

  try {
    const subgroups = readSubgroups(options.input, chartName);
    if (phase1Count !== undefined && phase1Count > subgroups.length) {
      throw usage(
        `--phase1 ${phase1Count} but ${options.input} has only ${subgroups.length} subgroups`,
      );
    }
    const phases = {
      phase1: subgroups.slice(0, phase1Count ?? subgroups.length),
      phase2: subgroups.slice(phase1Count ?? subgroups.length),
    };
    const chartOf = (type: ChartType, limitOptions = limitsOptions): ControlChart => {
      const limits: ControlLimits = computeLimits(type, phases.phase1, limitOptions);
      return evaluate(limits, phases, { rules, runLength });
    };
    const location = chartOf(spec.location);
    // --sigma names the location chart's estimator (qcc's std.dev). The R chart estimates from
    // ranges and the S chart from standard deviations: one that cannot use it keeps the pair's own
    // (UWAVE-R, UWAVE-SD), and says so in its sigma method.
    const dispersionOf = (type: ChartType): ControlChart => {
      try {
        return chartOf(type);
      } catch (error) {
        if (!(error instanceof SpcError) || error.reason !== "sigma-method") throw error;
        return chartOf(type, { ...limitsOptions, sigmaMethod: spec.sigma });
      }
    };
    const dispersion = spec.dispersion ? dispersionOf(spec.dispersion) : undefined;
    const capability = wantsCapability
      ? computeCapability(location.limits, phases.phase1, specLimits, { confidenceLevel })
      : undefined;

    if (format === "json") {
      const output = {
        ...chartJson(location),
        ...(dispersion ? { dispersion: chartJson(dispersion) } : {}),
        ...(capability ? { capability: capabilityJson(capability) } : {}),
      };
      return `${JSON.stringify(output, null, 2)}\n`;
    }
    const sections = [chartTable(location, options.input)];
    if (dispersion) sections.push(chartTable(dispersion, options.input));
    if (capability) sections.push(capabilityTable(capability));
    return `${sections.join("\n\n")}\n`;
  } catch (error) {
    if (error instanceof SpcError) throw usage(error.message);
    throw error;
  }
}

/** `tracebox spc`: control chart of a CSV of subgroups, phase-I limits and phase-II monitoring. */
export const spcCommand: CommandModule = (program) => {
  program
    .command("spc")
    .description(
      "control chart of a CSV of subgroups (qcc 2.7 numbers): limits from phase I, the rest judged against them",
    )
    .option(
      "--input <file>",
      "CSV with subgroup,value (measurements) or subgroup,count,size (counts)",
    )
    .option("--chart <type>", `one of ${Object.keys(CLI_CHARTS).join(", ")}`)
    .option(
      "--phase1 <n>",
      "the first N subgroups set the limits, the rest are monitored (default: all)",
    )
    .option("--sigma <method>", `sigma estimator: ${Object.keys(SIGMA_METHODS).join(", ")}`)
    .option("--lsl <x>", "lower specification limit (capability on phase I)")
    .option("--usl <y>", "upper specification limit (capability on phase I)")
    .option("--target <t>", "target for Cpm (default: middle of the specification)")
    .option("--confidence <level>", "confidence level of the capability intervals (default 0.95)")
    .option(
      "--rules <set>",
      "qcc (beyond limits + run of 7), we (Western Electric) or nelson",
      "qcc",
    )
    .option("--run-length <n>", "points on one side that make a qcc run (default 7)")
    .option("--lambda <l>", "EWMA weight of the newest mean (default 0.2)")
    .option("--nsigmas <k>", "limit width in standard errors (default 3)")
    .option("--decision-interval <h>", "CUSUM decision interval, standard errors (default 5)")
    .option("--se-shift <s>", "CUSUM shift to detect, standard errors (default 1)")
    .option("--head-start <h0>", "CUSUM head start, standard errors (default 0)")
    .option("--min-subgroups <n>", "fewest phase-I subgroups accepted (default 2)")
    .option("--format <format>", "json or table", "table")
    .action((options: SpcCliOptions) => {
      process.stdout.write(runSpc(options));
    });
};
