export {
  type Config,
  ConfigError,
  type ConfigProblem,
  type Loaded,
  type LoadOptions,
  loadConfig,
  mask,
  type Source,
} from "./load.ts";
export { createLogger } from "./logger.ts";
export { OPTIONS, type OptionName, type OptionSpec } from "./options.ts";
export { referenceMarkdown } from "./reference.ts";
export { type HealthCheck, startStatusServer } from "./status-server.ts";
export type { LogLevel } from "./types.ts";
