import chisquareQuantile from "@stdlib/stats-base-dists-chisquare-quantile";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { SpcError } from "./errors.ts";
import { standardDeviation } from "./numeric.ts";
import { asVariables } from "./subgroups.ts";
import type { ChartType, ControlLimits, SigmaMethod, Subgroup } from "./types.ts";

/** Specification limits of the characteristic; at least one of lsl/usl. */
export interface SpecLimits {
  readonly lsl?: number;
  readonly usl?: number;
  /** Target for Cpm/Ppm; defaults to the middle of two-sided limits. */
  readonly target?: number;
}

export interface CapabilityOptions {
  /** Two-sided confidence level of the intervals, in (0, 1). Default 0.95. */
  confidenceLevel: number;
}

export const DEFAULT_CAPABILITY_OPTIONS: Readonly<CapabilityOptions> = Object.freeze({
  confidenceLevel: 0.95,
});

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

type IndexName = "cp" | "cpl" | "cpu" | "cpk" | "cpm" | "pp" | "ppl" | "ppu" | "ppk" | "ppm";

/** Capability of the phase-I process; an index is null when its spec limit (or target) is missing. */
export interface Capability extends Readonly<Record<IndexName, number | null>> {
  /** Number of individual observations. */
  readonly nobs: number;
  /** Process centre: the chart's centre line (grand mean). */
  readonly center: number;
  /** Within sigma used by Cp…Cpm: the chart's sigma. */
  readonly sigmaWithin: number;
  readonly sigmaWithinMethod: SigmaMethod;
  /** Overall sigma used by Pp…Ppm: sample sd of all observations (n − 1). */
  readonly sigmaOverall: number;
  readonly lsl: number | null;
  readonly usl: number | null;
  readonly target: number | null;
  readonly confidenceLevel: number;
  readonly intervals: Readonly<Record<IndexName, Interval | null>>;
  /** Fractions beyond the spec limits from a normal model with the within sigma (not truncated). */
  readonly expected: { readonly belowLsl: number | null; readonly aboveUsl: number | null };
  /** Fractions of the observations strictly beyond the spec limits. */
  readonly observed: { readonly belowLsl: number | null; readonly aboveUsl: number | null };
}

/** Charts whose centre and sigma describe the individual values of the process. */
const CAPABILITY_CHARTS: readonly ChartType[] = ["xbar", "i", "ewma", "cusum"];

function chiSquareInterval(index: number | null, df: number, alpha: number): Interval | null {
  if (index === null) return null;
  return {
    lower: index * Math.sqrt(chisquareQuantile(alpha / 2, df) / df),
    upper: index * Math.sqrt(chisquareQuantile(1 - alpha / 2, df) / df),
  };
}

function bissellInterval(index: number | null, z: number, n: number): Interval | null {
  if (index === null) return null;
  const halfWidth = z * Math.sqrt(1 / (9 * n * index ** 2) + 1 / (2 * (n - 1)));
  return { lower: index * (1 - halfWidth), upper: index * (1 + halfWidth) };
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/**
 * Process capability as qcc's `process.capability`, plus the overall (Pp) family:
 * Cp = (USL−LSL)/6σ, Cpu = (USL−μ)/3σ, Cpl = (μ−LSL)/3σ, Cpk = min(Cpu, Cpl),
 * Cpm = Cp/√(1 + ((μ−T)/σ)²) with σ the chart's (within) sigma and μ its centre; Pp… the same with
 * the overall sample sd. Intervals as qcc 2.7 codes them: Cp chi-square with n−1 df (Chou et al.);
 * Cpl/Cpu Bissell with the one-sided quantile qnorm(level); Cpk Bissell with qnorm(1−α/2); Cpm
 * chi-square with Boyles' df = n(1+δ²)/(1+2δ²), δ = (μ−T)/σ. qcc prints expected fractions below
 * 0.01 % as 0; these are the untruncated values.
 */
export function computeCapability(
  limits: ControlLimits,
  phase1: readonly Subgroup[],
  spec: SpecLimits,
  options: Partial<CapabilityOptions> = {},
): Capability {
  if (!CAPABILITY_CHARTS.includes(limits.chart)) {
    throw new SpcError(
      "wrong-chart",
      `capability needs the limits of a ${CAPABILITY_CHARTS.join(", ")} chart, not ${limits.chart}`,
    );
  }
  const confidenceLevel = options.confidenceLevel ?? DEFAULT_CAPABILITY_OPTIONS.confidenceLevel;
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new SpcError("bad-option", `confidenceLevel must be in (0, 1), got ${confidenceLevel}`);
  }
  const lsl = spec.lsl ?? null;
  const usl = spec.usl ?? null;
  for (const [name, value] of [
    ["lsl", lsl],
    ["usl", usl],
    ["target", spec.target ?? null],
  ] as const) {
    if (value !== null && !Number.isFinite(value)) {
      throw new SpcError("bad-option", `${name} must be a finite number, got ${value}`);
    }
  }
  if (lsl === null && usl === null) throw new SpcError("bad-option", "capability needs lsl or usl");
  if (lsl !== null && usl !== null && !(lsl < usl)) {
    throw new SpcError("bad-option", `lsl (${lsl}) must be below usl (${usl})`);
  }
  const target = spec.target ?? (lsl !== null && usl !== null ? (lsl + usl) / 2 : null);
  const values = asVariables(limits.chart, phase1).flatMap((subgroup) => subgroup.values);
  const n = values.length;
  if (n < 2) throw new SpcError("too-few-subgroups", "capability needs at least 2 observations");

  const center = limits.center;
  const alpha = 1 - confidenceLevel;
  const zOneSided = normalQuantile(confidenceLevel, 0, 1);
  const zTwoSided = normalQuantile(1 - alpha / 2, 0, 1);
  const family = (sigma: number) => {
    const p = lsl !== null && usl !== null ? (usl - lsl) / (6 * sigma) : null;
    const pu = usl !== null ? (usl - center) / (3 * sigma) : null;
    const pl = lsl !== null ? (center - lsl) / (3 * sigma) : null;
    const pk = minOf(pu, pl);
    const delta = target !== null ? (center - target) / sigma : null;
    const pm = p !== null && delta !== null ? p / Math.sqrt(1 + delta ** 2) : null;
    const pmDf = delta !== null ? (n * (1 + delta ** 2)) / (1 + 2 * delta ** 2) : Number.NaN;
    return {
      values: { p, pl, pu, pk, pm },
      intervals: {
        p: chiSquareInterval(p, n - 1, alpha),
        pl: bissellInterval(pl, zOneSided, n),
        pu: bissellInterval(pu, zOneSided, n),
        pk: bissellInterval(pk, zTwoSided, n),
        pm: chiSquareInterval(pm, pmDf, alpha),
      },
    };
  };
  const sigmaOverall = standardDeviation(values);
  const within = family(limits.sigma);
  const overall = family(sigmaOverall);
  return {
    nobs: n,
    center,
    sigmaWithin: limits.sigma,
    sigmaWithinMethod: limits.sigmaMethod,
    sigmaOverall,
    lsl,
    usl,
    target,
    confidenceLevel,
    cp: within.values.p,
    cpl: within.values.pl,
    cpu: within.values.pu,
    cpk: within.values.pk,
    cpm: within.values.pm,
    pp: overall.values.p,
    ppl: overall.values.pl,
    ppu: overall.values.pu,
    ppk: overall.values.pk,
    ppm: overall.values.pm,
    intervals: {
      cp: within.intervals.p,
      cpl: within.intervals.pl,
      cpu: within.intervals.pu,
      cpk: within.intervals.pk,
      cpm: within.intervals.pm,
      pp: overall.intervals.p,
      ppl: overall.intervals.pl,
      ppu: overall.intervals.pu,
      ppk: overall.intervals.pk,
      ppm: overall.intervals.pm,
    },
    expected: {
      belowLsl: lsl !== null ? normalCdf((lsl - center) / limits.sigma, 0, 1) : null,
      // The upper tail as Φ(−z), which keeps its digits where 1 − Φ(z) would cancel them.
      aboveUsl: usl !== null ? normalCdf((center - usl) / limits.sigma, 0, 1) : null,
    },
    observed: {
      belowLsl: lsl !== null ? values.filter((x) => x < lsl).length / n : null,
      aboveUsl: usl !== null ? values.filter((x) => x > usl).length / n : null,
    },
  };
}
