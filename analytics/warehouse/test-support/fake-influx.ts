// An in-memory InfluxDB that answers exactly the InfluxQL the sync sends (SHOW MEASUREMENTS,
// SHOW FIELD KEYS, `SELECT * ... LIMIT 1` for the first point of a range, and chunked
// `SELECT <fields> ... GROUP BY *`), the way InfluxDB 1.x shapes its answers: one series per tag
// set, tags the series lacks reported as "", fields a point lacks as null, a series split over
// chunks. For unit tests of the sync; the integration tests run the real server.
import {
  InfluxError,
  type QueryChunk,
  type QueryParam,
  type QueryResult,
  type Series,
} from "../../../influx/index.ts";
import type { SyncInflux } from "../sync.ts";

export interface FakePoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  /** Epoch ms. */
  time: number;
}

export class FakeInflux implements SyncInflux {
  readonly points: FakePoint[] = [];
  /** Every statement received, in order. */
  readonly statements: string[] = [];
  /** Integer fields, `measurement.field`; other numbers are floats. */
  readonly integers = new Set<string>();
  /** Throws this error instead of the n-th chunk of the next chunked queries (1-based), once. */
  failChunk: { at: number; error: Error } | undefined;
  private chunksServed = 0;

  write(...points: FakePoint[]): void {
    for (const p of points) {
      // Same series and time overwrite, as in InfluxDB.
      const key = seriesKey(p.measurement, p.tags);
      const same = this.points.find(
        (q) => q.time === p.time && seriesKey(q.measurement, q.tags) === key,
      );
      if (same) Object.assign(same.fields, p.fields);
      else this.points.push({ ...p, fields: { ...p.fields } });
    }
  }

  async query(influxql: string, params: Record<string, QueryParam> = {}): Promise<QueryResult> {
    this.statements.push(influxql);
    let series: Series[];
    if (influxql === "SHOW MEASUREMENTS") {
      series = [
        {
          name: "measurements",
          columns: ["name"],
          values: this.measurements().map((m) => [m]),
        },
      ];
    } else if (influxql === "SHOW FIELD KEYS") {
      series = this.measurements().map((m) => ({
        name: m,
        columns: ["fieldKey", "fieldType"],
        values: this.fieldKeys(m).map((f) => [f, this.fieldType(m, f)]),
      }));
    } else {
      const select = parseSelect(influxql);
      if (!select.limit1) throw new Error(`fake InfluxDB: unexpected query ${influxql}`);
      const first = this.inRange(select.measurement, params).sort((a, b) => a.time - b.time)[0];
      const fields = this.fieldKeys(select.measurement);
      series = first
        ? [
            {
              name: select.measurement,
              columns: ["time", ...this.tagKeys(select.measurement), ...fields],
              values: [
                [
                  first.time,
                  ...this.tagKeys(select.measurement).map((t) => first.tags[t] ?? null),
                  ...fields.map((f) => first.fields[f] ?? null),
                ],
              ],
            },
          ]
        : [];
    }
    return { series, statements: [series] };
  }

  async *queryChunks(
    influxql: string,
    params: Record<string, QueryParam> = {},
    opts: { chunkSize?: number } = {},
  ): AsyncGenerator<QueryChunk> {
    this.statements.push(influxql);
    const select = parseSelect(influxql);
    if (!select.groupByAll) throw new Error(`fake InfluxDB: unexpected query ${influxql}`);
    const fields = select.fields ?? this.fieldKeys(select.measurement);
    const tagKeys = this.tagKeys(select.measurement);
    const bySeries = new Map<string, FakePoint[]>();
    for (const p of this.inRange(select.measurement, params)) {
      if (!fields.some((f) => p.fields[f] !== undefined)) continue;
      const key = seriesKey(p.measurement, p.tags);
      bySeries.set(key, [...(bySeries.get(key) ?? []), p]);
    }
    const size = opts.chunkSize ?? 10_000;
    const keys = [...bySeries.keys()].sort();
    for (const key of keys) {
      const points = (bySeries.get(key) as FakePoint[]).sort((a, b) => a.time - b.time);
      const tags = Object.fromEntries(
        tagKeys.map((t) => [t, (points[0] as FakePoint).tags[t] ?? ""]),
      );
      for (let i = 0; i < points.length; i += size) {
        this.chunksServed++;
        if (this.failChunk && this.chunksServed >= this.failChunk.at) {
          const { error } = this.failChunk;
          this.failChunk = undefined;
          throw error;
        }
        yield {
          statementId: 0,
          partial: i + size < points.length || key !== keys[keys.length - 1],
          series: [
            {
              name: select.measurement,
              tags,
              columns: ["time", ...fields],
              values: points
                .slice(i, i + size)
                .map((p) => [p.time, ...fields.map((f) => p.fields[f] ?? null)]),
            },
          ],
        };
      }
    }
  }

  private measurements(): string[] {
    return [...new Set(this.points.map((p) => p.measurement))].sort();
  }

  private fieldKeys(measurement: string): string[] {
    const keys = new Set<string>();
    for (const p of this.points) {
      if (p.measurement === measurement) for (const f of Object.keys(p.fields)) keys.add(f);
    }
    return [...keys].sort();
  }

  private tagKeys(measurement: string): string[] {
    const keys = new Set<string>();
    for (const p of this.points) {
      if (p.measurement === measurement) for (const t of Object.keys(p.tags)) keys.add(t);
    }
    return [...keys].sort();
  }

  private fieldType(measurement: string, field: string): string {
    if (this.integers.has(`${measurement}.${field}`)) return "integer";
    const value = this.points.find((p) => p.measurement === measurement && field in p.fields)
      ?.fields[field];
    return typeof value === "number" ? "float" : typeof value === "boolean" ? "boolean" : "string";
  }

  private inRange(measurement: string, params: Record<string, QueryParam>): FakePoint[] {
    const from = params.from instanceof Date ? params.from.getTime() : Number.NEGATIVE_INFINITY;
    const to = params.to instanceof Date ? params.to.getTime() : Number.POSITIVE_INFINITY;
    return this.points.filter(
      (p) => p.measurement === measurement && p.time >= from && p.time < to,
    );
  }
}

/** An error as the client throws it for a connection that broke mid-answer. */
export function networkError(): InfluxError {
  return new InfluxError("network", "InfluxDB chunked query failed: socket hang up");
}

function seriesKey(measurement: string, tags: Record<string, string>): string {
  return JSON.stringify([measurement, Object.entries(tags).sort()]);
}

function parseSelect(influxql: string): {
  measurement: string;
  fields: string[] | undefined;
  limit1: boolean;
  groupByAll: boolean;
} {
  const match = /^SELECT (.+) FROM "((?:[^"\\]|\\.)*)" WHERE (.+)$/.exec(influxql);
  if (!match) throw new Error(`fake InfluxDB: cannot read ${influxql}`);
  const [, select, measurement, rest] = match as unknown as [string, string, string, string];
  return {
    measurement: measurement.replace(/\\(.)/g, "$1"),
    fields:
      select === "*"
        ? undefined
        : [...select.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string),
    limit1: / LIMIT 1$/.test(rest),
    groupByAll: / GROUP BY \*$/.test(rest),
  };
}
