// The analytics: each part has its own public face; this one names them.
export * as predict from "./predict/index.ts";
export * as spc from "./spc/index.ts";
export * as spcJob from "./spc-job/index.ts";
export * as warehouse from "./warehouse/index.ts";
export * as yieldAnalytics from "./yield/index.ts";
