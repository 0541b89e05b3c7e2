import type { ChartType, SigmaMethod } from "../spc/index.ts";

/** What a configured `chart` draws: a location chart, maybe a dispersion chart, from what data. */
export interface JobChartSpec {
  readonly location: ChartType;
  readonly dispersion?: ChartType;
  /** Measurements per subgroup, or counts made from the readings. */
  readonly input: "variables" | "attributes";
  /** Sigma estimator both charts use unless the characteristic names one. */
  readonly sigma?: SigmaMethod;
}

/** Every chart a characteristic can ask for, the names `tracebox spc --chart` uses too. */
export const JOB_CHARTS = {
  "xbar-r": { location: "xbar", dispersion: "r", input: "variables" },
  "xbar-s": { location: "xbar", dispersion: "s", input: "variables", sigma: "UWAVE-SD" },
  imr: { location: "i", dispersion: "mr", input: "variables" },
  p: { location: "p", input: "attributes" },
  np: { location: "np", input: "attributes" },
  c: { location: "c", input: "attributes" },
  u: { location: "u", input: "attributes" },
  ewma: { location: "ewma", input: "variables" },
  cusum: { location: "cusum", input: "variables" },
} as const satisfies Record<string, JobChartSpec>;

export type JobChart = keyof typeof JOB_CHARTS;

export const JOB_CHART_NAMES = Object.freeze(Object.keys(JOB_CHARTS) as JobChart[]);

/** The spec of a chart name, widened so optional parts read as optional. */
export function chartSpec(chart: JobChart): JobChartSpec {
  return JOB_CHARTS[chart];
}
