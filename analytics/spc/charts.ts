import { cChart } from "./c.ts";
import type { ChartDefinition } from "./chart.ts";
import { cusumChart } from "./cusum.ts";
import { ewmaChart } from "./ewma.ts";
import { individualsChart } from "./individuals.ts";
import { movingRangeChart } from "./moving-range.ts";
import { npChart } from "./np.ts";
import { pChart } from "./p.ts";
import { rangeChart } from "./r.ts";
import { stdDevChart } from "./s.ts";
import type { ChartType } from "./types.ts";
import { uChart } from "./u.ts";
import { xbarChart } from "./xbar.ts";

/** Every chart type; adding one is a file and a line here. */
export const CHARTS: Readonly<Record<ChartType, ChartDefinition>> = Object.freeze({
  xbar: xbarChart,
  r: rangeChart,
  s: stdDevChart,
  i: individualsChart,
  mr: movingRangeChart,
  p: pChart,
  np: npChart,
  c: cChart,
  u: uChart,
  ewma: ewmaChart,
  cusum: cusumChart,
});

export const CHART_TYPES = Object.freeze(Object.keys(CHARTS) as ChartType[]);
