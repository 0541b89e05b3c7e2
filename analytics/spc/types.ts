/** Chart types. `i`/`mr` are the individuals and moving-range pair (qcc's "xbar.one"). */
export type ChartType = "xbar" | "r" | "s" | "i" | "mr" | "p" | "np" | "c" | "u" | "ewma" | "cusum";

/** Charts whose points are judged one by one against Shewhart limits (and the run rules). */
export type ShewhartChartType = Exclude<ChartType, "ewma" | "cusum">;

/**
 * How sigma is estimated from phase I, with qcc's names. Within-subgroup estimators:
 * `UWAVE-R` mean of R/d2, `UWAVE-SD` mean of S/c4, `MVLUE-R` and `MVLUE-SD` their minimum-variance
 * weighted forms, `RMSDF` pooled S over c4 of the pooled degrees of freedom. Individual values:
 * `MR` mean moving range (span 2) over d2(2), `SD` sample sd over c4(n). Attribute charts:
 * `binomial` (p, np) and `poisson` (c, u).
 */
export type SigmaMethod =
  | "UWAVE-R"
  | "UWAVE-SD"
  | "MVLUE-R"
  | "MVLUE-SD"
  | "RMSDF"
  | "MR"
  | "SD"
  | "binomial"
  | "poisson";

/** Measurements of one subgroup (one value for individuals). */
export interface VariablesSubgroup {
  /** Name shown on the chart (sample number, lot, hour...); defaults to the 1-based position. */
  readonly label?: string;
  readonly values: readonly number[];
}

/** Nonconforming units (p, np) or nonconformities (c, u) counted in one subgroup. */
export interface AttributesSubgroup {
  /** Name shown on the chart; defaults to the 1-based position. */
  readonly label?: string;
  readonly count: number;
  /** Units inspected (p, np) or inspection units (u); optional for c, where it is only checked for equality. */
  readonly size?: number;
}

export type Subgroup = VariablesSubgroup | AttributesSubgroup;

/** Subgroups to plot: phase I (the baseline the limits came from) followed by phase II. */
export interface PhasedSubgroups<S extends Subgroup = Subgroup> {
  readonly phase1?: readonly S[];
  readonly phase2?: readonly S[];
}

/**
 * Frozen control limits: everything needed to judge new subgroups without the phase-I data.
 * A plain JSON-safe value (no functions, no NaN), so a job can persist and version it and pass it
 * back to `evaluate` later.
 */
export interface ControlLimits {
  /** Shape version of this value; bumped if a field changes meaning. */
  readonly version: 1;
  readonly chart: ChartType;
  /**
   * Centre line: grand mean (xbar, i, ewma, cusum), mean range / sd / moving range (r, s, mr),
   * p̄ (p), n·p̄ at size `n` (np), c̄ (c), ū (u).
   */
  readonly center: number;
  /**
   * qcc's `std.dev`: the process sigma for variables charts; sqrt(p̄(1−p̄)) for p, sqrt(n·p̄(1−p̄))
   * for np, sqrt(c̄) for c, sqrt(ū) for u.
   */
  readonly sigma: number;
  readonly sigmaMethod: SigmaMethod;
  /** Limit width in standard errors of the plotted statistic. */
  readonly nsigmas: number;
  /** Phase-I subgroup size when all were equal, else null. */
  readonly n: number | null;
  /** Lower limit at subgroup size `n`, or null when it varies per point (sizes differ, EWMA). */
  readonly lcl: number | null;
  /** Upper limit at subgroup size `n`, or null when it varies per point. */
  readonly ucl: number | null;
  /** Phase-I rate per inspected unit: p̄ for p and np, ū for u; null for the other charts. */
  readonly rate: number | null;
  /** Number of phase-I subgroups the limits were computed from. */
  readonly phase1Subgroups: number;
  /** EWMA parameters (ewma only). */
  readonly ewma?: { readonly lambda: number };
  /** CUSUM parameters, in standard errors of the subgroup mean (cusum only). */
  readonly cusum?: {
    readonly decisionInterval: number;
    readonly seShift: number;
    readonly headStart: number;
  };
}

/** A point's position and provenance in the plotted sequence. */
export interface PointBase {
  /** 1-based position in phase I + phase II, as qcc numbers points. */
  readonly index: number;
  readonly subgroup: string;
  readonly phase: 1 | 2;
  /** Subgroup size (values measured, units inspected). */
  readonly size: number;
  readonly center: number;
  readonly lcl: number;
  readonly ucl: number;
}

/** A Shewhart chart point. */
export interface ShewhartPoint extends PointBase {
  readonly statistic: number;
  /** Standard error of the statistic at this point: the zone width for the WE/Nelson rules. */
  readonly sigma: number;
}

/** An EWMA point: `statistic` is the smoothed value that is judged against the limits. */
export interface EwmaPoint extends PointBase {
  readonly statistic: number;
  /** Subgroup mean (or individual value) fed into the smoother. */
  readonly mean: number;
  /** Standard error of the EWMA statistic at this point. */
  readonly sigma: number;
}

/** A tabular CUSUM point; `lcl`/`ucl` are the decision interval ∓h and `center` is 0. */
export interface CusumPoint extends PointBase {
  /** C⁺, the upper cumulative sum (≥ 0). */
  readonly upper: number;
  /** −C⁻, the lower cumulative sum shown below zero (≤ 0), as qcc reports it. */
  readonly lower: number;
  readonly mean: number;
  /** Standardised mean, (mean − centre)/(sigma/√n). */
  readonly z: number;
}

export type RuleSetName = "qcc" | "we" | "nelson";

export type RuleName =
  | "beyond-limits"
  | "run"
  | "we1"
  | "we2"
  | "we3"
  | "we4"
  | "nelson1"
  | "nelson2"
  | "nelson3"
  | "nelson4"
  | "nelson5"
  | "nelson6"
  | "nelson7"
  | "nelson8";

/** One point flagged by one rule. */
export interface Violation {
  readonly index: number;
  readonly subgroup: string;
  readonly rule: RuleName;
  /** Which side of the centre (or which CUSUM sum) the signal is on, where that is defined. */
  readonly side?: "upper" | "lower";
}

interface ChartBase<P extends PointBase> {
  readonly limits: ControlLimits;
  readonly center: number;
  readonly sigma: number;
  readonly sigmaMethod: SigmaMethod;
  readonly n: number | null;
  readonly points: readonly P[];
  readonly violations: readonly Violation[];
}

export interface ShewhartChart extends ChartBase<ShewhartPoint> {
  readonly chart: ShewhartChartType;
  readonly rules: RuleSetName;
}

export interface EwmaChart extends ChartBase<EwmaPoint> {
  readonly chart: "ewma";
}

export interface CusumChart extends ChartBase<CusumPoint> {
  readonly chart: "cusum";
}

export type ControlChart = ShewhartChart | EwmaChart | CusumChart;

/**
 * Where an EWMA or CUSUM sequence stood before the subgroups now given to `evaluate`: a monitor
 * that keeps only its recent subgroups continues the recurrence from here, as if the earlier ones
 * had been given too. `before` subgroups came first (EWMA's limits widen with t); CUSUM's sums
 * as its points report them (`upper` ≥ 0, `lower` ≤ 0); EWMA's smoothed value.
 */
export interface RecurrenceCarry {
  readonly before: number;
  readonly upper?: number;
  readonly lower?: number;
  readonly smoothed?: number;
}
