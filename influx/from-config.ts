import type { Config } from "../config/index.ts";
import type { InfluxOptions } from "./options.ts";

/** The InfluxDB connection tracebox's configuration describes (v2 writes when org and bucket are set). */
export function influxOptionsFrom(config: Config): InfluxOptions {
  return {
    url: config.influxUrl,
    database: config.influxDb,
    retentionPolicy: config.influxRetentionPolicy,
    retention: config.influxRetention,
    username: config.influxUsername,
    password: config.influxPassword,
    token: config.influxToken,
    org: config.influxOrg,
    bucket: config.influxBucket,
  };
}
