import { Point } from "@influxdata/influxdb-client";

/** One point as it will be stored in InfluxDB. */
export interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  /** epoch milliseconds */
  ts: number;
  /** the same point as InfluxDB line protocol with ms precision, serialized by @influxdata/influxdb-client's Point */
  line: string;
}

/** Where a message came from: the tags every point carries. */
export interface Origin {
  site: string;
  line: string;
  station: string;
}

/**
 * Builds the structured point and its line protocol side by side, so the two cannot disagree.
 * Tag values reaching here passed the contract's tag formats (no control characters, no
 * backslash, never empty), which is what makes Point's escaping sufficient.
 */
export class PointBuilder {
  readonly #point: Point;
  readonly #tags: Record<string, string>;
  readonly #fields: Record<string, number | string | boolean> = {};

  constructor(
    readonly measurement: string,
    origin: Origin,
  ) {
    this.#point = new Point(measurement)
      .tag("site", origin.site)
      .tag("line", origin.line)
      .tag("station", origin.station);
    this.#tags = { site: origin.site, line: origin.line, station: origin.station };
  }

  tag(key: string, value: string | undefined): this {
    if (value !== undefined) {
      this.#point.tag(key, value);
      this.#tags[key] = value;
    }
    return this;
  }

  float(key: string, value: number | undefined): this {
    if (value !== undefined) {
      this.#point.floatField(key, value);
      // The line says 0 for -0; the structured point says the same.
      this.#fields[key] = value === 0 ? 0 : value;
    }
    return this;
  }

  int(key: string, value: number): this {
    this.#point.intField(key, value);
    this.#fields[key] = value;
    return this;
  }

  string(key: string, value: string | undefined): this {
    if (value !== undefined) {
      this.#point.stringField(key, value);
      this.#fields[key] = value;
    }
    return this;
  }

  boolean(key: string, value: boolean | undefined): this {
    if (value !== undefined) {
      this.#point.booleanField(key, value);
      this.#fields[key] = value;
    }
    return this;
  }

  build(ts: number): StoredPoint {
    const line = this.#point.timestamp(ts).toLineProtocol();
    // Unreachable for points built from validated payloads (every point has a field); a broken
    // invariant must surface, not write a point without fields.
    if (line === undefined) throw new Error(`point of ${this.measurement} has no field`);
    return { measurement: this.measurement, tags: this.#tags, fields: this.#fields, ts, line };
  }
}
