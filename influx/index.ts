export {
  type ChunkedQueryOptions,
  createInfluxClient,
  DEFAULT_QUERY_OPTIONS,
  type InfluxClient,
  type QueryChunk,
  type QueryOptions,
  splitLines,
} from "./client.ts";
export { InfluxError, type InfluxErrorReason, isInfluxError } from "./errors.ts";
export { influxOptionsFrom } from "./from-config.ts";
export { type QueryParam, type QueryResult, quoteIdent, rows, type Series } from "./influxql.ts";
export { type IsolatedWrite, type RejectedLine, writeIsolating } from "./isolate.ts";
export { DEFAULT_INFLUX_OPTIONS, type InfluxOptions } from "./options.ts";
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  type RetryClock,
  type RetryPolicy,
  retrying,
  writeWithRetry,
} from "./retry.ts";
