import { boardHistory } from "./board-history.ts";
import type { View } from "./common.ts";
import { defectDrivers } from "./defect-drivers.ts";
import { environment } from "./environment.ts";
import { lineOverview } from "./line-overview.ts";
import { liveSpc } from "./live-spc.ts";
import { pipelineHealth } from "./pipeline-health.ts";
import { yieldAndPareto } from "./yield.ts";

export type { View, ViewContext } from "./common.ts";

/** Every provisioned dashboard; adding one is one file and one line here. */
export const VIEWS: readonly View[] = [
  lineOverview,
  liveSpc,
  environment,
  boardHistory,
  yieldAndPareto,
  defectDrivers,
  pipelineHealth,
];
