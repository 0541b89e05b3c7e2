import { join, resolve } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Config } from "../../config/index.ts";
import { createInfluxClient, influxOptionsFrom } from "../../influx/index.ts";
import { TraceError } from "./errors.ts";
import type { TraceOptions } from "./options.ts";
import { TraceStore } from "./store.ts";

const Name = Type.String({
  pattern: "^[A-Za-z0-9_.-]{1,64}$",
  description: "a name of [A-Za-z0-9_.-]{1,64}",
});
const Measurement = Type.String({
  pattern: "^[a-z][a-z0-9_]{0,63}$",
  description: "a measurement of [a-z][a-z0-9_]*",
});

/** The `trace:` section of the YAML configuration. */
export const TraceSectionSchema = Type.Object(
  {
    warehouse: Type.Optional(
      Type.Union([Type.Literal("when-free"), Type.Literal("never")], {
        description: '"when-free" or "never"',
      }),
    ),
    environmentMeasurements: Type.Optional(Type.Array(Measurement)),
    siteLines: Type.Optional(Type.Array(Name)),
    gapFactor: Type.Optional(Type.Number({ exclusiveMinimum: 1, description: "a factor above 1" })),
    minGapMs: Type.Optional(Type.Integer({ minimum: 0, description: "ms, 0 or more" })),
    ingestMeasurement: Type.Optional(Measurement),
    unknownLots: Type.Optional(Type.Array(Type.String({ maxLength: 64 }))),
    routeShare: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1, description: "a share in (0, 1]" }),
    ),
    exportBatchSerials: Type.Optional(
      Type.Integer({ minimum: 1, description: "a positive integer" }),
    ),
    threads: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 256, description: "a number of threads, 1 to 256" }),
    ),
    memoryLimit: Type.Optional(
      Type.String({
        pattern: "^\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description: "a size such as 2GB",
      }),
    ),
  },
  { additionalProperties: false },
);

export type TraceSection = Static<typeof TraceSectionSchema>;

/**
 * Trace options from the configuration: the warehouse and archive under `dataDir` (where the jobs
 * process keeps them) and the `trace:` section; a bad value names its key.
 */
export function traceOptionsFrom(
  config: Config,
  overrides: Partial<TraceOptions> = {},
): Partial<TraceOptions> {
  const section = config.sections.trace ?? {};
  if (!Value.Check(TraceSectionSchema, section)) {
    const [first] = [...Value.Errors(TraceSectionSchema, section)];
    const where = first?.path ? `trace${first.path.replaceAll("/", ".")}` : "trace";
    throw new TraceError(
      "bad-option",
      `${where}=${JSON.stringify(first?.value)}: expected ${first?.schema.description ?? first?.message ?? "a valid value"}`,
    );
  }
  const dataDir = resolve(config.dataDir);
  return {
    warehousePath: join(dataDir, "warehouse.duckdb"),
    archiveDir: join(dataDir, "archive"),
    ...(section as TraceSection),
    ...overrides,
  };
}

/** A trace store reading `dataDir`'s archive and warehouse and the configured InfluxDB. */
export async function openTraceStore(
  config: Config,
  overrides: Partial<TraceOptions> = {},
): Promise<TraceStore> {
  const influx = createInfluxClient(influxOptionsFrom(config));
  return TraceStore.open(traceOptionsFrom(config, overrides), influx);
}
