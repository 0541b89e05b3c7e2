import { type Logger, pino } from "pino";
import type { LogLevel } from "./types.ts";

const root = pino({
  level: process.env.TRACEBOX_LOG_LEVEL ?? "info",
  base: undefined,
  // Secrets never reach a log line, even when an options object is logged by mistake.
  redact: { paths: ["*.password", "*.token", "*.key", "password", "token"], censor: "****" },
});

/** One logger per module, structured JSON on stderr-compatible stdout. */
export function createLogger(module: string, level?: LogLevel): Logger {
  const child = root.child({ module });
  if (level) child.level = level;
  return child;
}
