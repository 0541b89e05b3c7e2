import { escape as lineProtocol, Point } from "@influxdata/influxdb-client";

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

/**
 * Line protocol for many readings of one series (a signal channel's samples): the bytes Point
 * writes for each, at a fraction of the cost. Point sorts and escapes the measurement and every
 * tag and field key again for each point and allocates an object per field; at 200 samples a
 * message that was most of the ingestor's CPU and garbage. Here the series key is escaped once per
 * series and the field keys once per key set, with the library's own `escape` (imported as
 * `lineProtocol`: the functions Point calls), in Point's order (keys sorted by code unit, empty tag
 * values left out), and numbers printed as Point prints them (`String`), but for two shortcuts: a
 * field whose value repeats the series' previous one reuses its text (a conveyor speed or a set
 * point stays the same for hours), and a timestamp is printed as its millions (the same for
 * 16 minutes) then six digits, both small integers (`String` of a 13-digit number costs about as
 * much as the rest of the line). point.test.ts holds every line equal to Point's.
 */
export class SeriesLines {
  readonly measurement: string;
  /** The tags of every point of the series; one object shared by them all. */
  readonly tags: Readonly<Record<string, string>>;
  readonly #key: string;
  /** The field names of the last key set, in the order the payload gave them. */
  #names: string[] = [];
  /** The same names in Point's order, escaped, with their `=` and (but the first) a leading comma. */
  #sorted: { name: string; prefix: string; last: number; text: string }[] = [];
  /** The last timestamp's millions, and their text. */
  #millions = Number.NaN;
  #millionsText = "";

  constructor(measurement: string, tags: Record<string, string>) {
    this.measurement = measurement;
    this.tags = tags;
    let key = lineProtocol.measurement(measurement);
    for (const tag of Object.keys(tags).sort()) {
      const value = tags[tag];
      if (tag && value) key += `,${lineProtocol.tag(tag)}=${lineProtocol.tag(value)}`;
    }
    this.#key = `${key} `;
  }

  /**
   * The stored point of one reading; `fields` must hold finite numbers (the contract's schema
   * checked them) and is kept as the point's fields, not copied.
   */
  point(fields: Record<string, number>, ts: number): StoredPoint {
    if (!this.#sameNames(fields)) this.#learn(fields);
    const sorted = this.#sorted;
    let line = this.#key;
    let negativeZero = false;
    for (let i = 0; i < sorted.length; i++) {
      const field = sorted[i] as { name: string; prefix: string; last: number; text: string };
      const value = fields[field.name] as number;
      if (value !== field.last) {
        field.last = value;
        field.text = String(value);
      }
      if (value === 0 && 1 / value < 0) negativeZero = true;
      line += field.prefix + field.text;
    }
    line += this.#timestamp(ts);
    // The line says 0 for -0; the structured point says the same (a copy, only then).
    if (negativeZero)
      fields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === 0 ? 0 : v]));
    return { measurement: this.measurement, tags: this.tags, fields, ts, line };
  }

  /** ` ` and `String(ts)`, from two small integers when ts is a safe integer of 7 digits or more. */
  #timestamp(ts: number): string {
    if (!(ts >= 1_000_000 && ts <= Number.MAX_SAFE_INTEGER && Number.isInteger(ts)))
      return ` ${ts}`;
    const millions = Math.floor(ts / 1_000_000);
    if (millions !== this.#millions) {
      this.#millions = millions;
      this.#millionsText = ` ${millions}`;
    }
    // 1_000_000 + the rest is 7 digits, a small integer: its last six are the rest, zero-padded.
    return this.#millionsText + String(1_000_000 + (ts - millions * 1_000_000)).slice(1);
  }

  #sameNames(fields: Record<string, number>): boolean {
    const names = this.#names;
    let i = 0;
    for (const name in fields) if (names[i++] !== name) return false;
    return i === names.length;
  }

  #learn(fields: Record<string, number>): void {
    this.#names = Object.keys(fields);
    this.#sorted = this.#names
      .filter((name) => name !== "")
      .sort()
      .map((name, i) => ({
        name,
        prefix: `${i === 0 ? "" : ","}${lineProtocol.tag(name)}=`,
        last: Number.NaN,
        text: "",
      }));
  }
}
