import type { SignalKey } from "./signal-stage.ts";
import { SERIES_KEYS } from "./signal-store.ts";
import type { SqlValue, Warehouse } from "./warehouse.ts";

type SeriesRow = SignalKey & { id: number };

function keyText(key: SignalKey): string {
  // JSON tells a NULL tag from the text "null" and needs no separator no tag can hold.
  return JSON.stringify([key.measurement, key.site, key.line, key.station, key.serial, key.field]);
}

/**
 * The ids of `signal_series`, read once per sync run and kept in step with what the run adds, so
 * that a slice finds its series without a statement and adds only the ones it is the first to see.
 * Why: the per-slice statements that matched the slice's keys against the series table (a temp key
 * table, a NOT EXISTS insert, an id table) cost about as much as the values' insert of a small
 * slice. Series a slice adds are pending until its commit (`committed`); a rollback forgets them
 * (`rolledBack`). A writer that adds series past this cache (the JSON path's `SignalStage`) marks it
 * `stale`, and it is read again before its next use. One writer process: nothing else adds series
 * while the run holds the warehouse.
 */
export class SeriesIds {
  private known = new Map<string, number>();
  private measurements = new Set<string>();
  private pending: { key: string; id: number; measurement: string }[] = [];
  private loaded = false;

  private constructor(private readonly warehouse: Warehouse) {}

  static create(warehouse: Warehouse): SeriesIds {
    return new SeriesIds(warehouse);
  }

  /** Forget everything: the next use reads `signal_series` again. */
  stale(): void {
    this.loaded = false;
  }

  /** Whether the warehouse holds any series of `measurement` (in this transaction). */
  async hasMeasurement(measurement: string): Promise<boolean> {
    await this.load();
    return (
      this.measurements.has(measurement) || this.pending.some((p) => p.measurement === measurement)
    );
  }

  /**
   * The id of every key, in order; the series not held yet are added in the caller's transaction
   * (one INSERT for all of them). Returns the ids and how many series were added.
   */
  async ids(keys: readonly SignalKey[]): Promise<{ ids: number[]; added: number }> {
    await this.load();
    const texts = keys.map(keyText);
    const local = new Map(this.pending.map((p) => [p.key, p.id]));
    const missing = new Map<string, SignalKey>();
    texts.forEach((text, i) => {
      if (!this.known.has(text) && !local.has(text)) missing.set(text, keys[i] as SignalKey);
    });
    if (missing.size > 0) {
      const params: Record<string, SqlValue> = {};
      const rows = [...missing.values()].map((key, r) =>
        SERIES_KEYS.map((column) => {
          params[`${column}${r}`] = key[column];
          return `CAST($${column}${r} AS VARCHAR)`;
        }).join(", "),
      );
      const added = await this.warehouse.all<SeriesRow>(
        `INSERT INTO signal_series (${SERIES_KEYS.join(", ")}) VALUES (${rows.join("), (")})
         RETURNING id, ${SERIES_KEYS.join(", ")}`,
        params,
      );
      for (const row of added) {
        const text = keyText(row);
        this.pending.push({ key: text, id: Number(row.id), measurement: row.measurement });
        local.set(text, Number(row.id));
      }
    }
    const ids = texts.map((text) => {
      const id = this.known.get(text) ?? local.get(text);
      if (id === undefined) throw new Error(`series ${text} was not added`);
      return id;
    });
    return { ids, added: missing.size };
  }

  /** The transaction that added the pending series committed. */
  committed(): void {
    for (const { key, id, measurement } of this.pending) {
      this.known.set(key, id);
      this.measurements.add(measurement);
    }
    this.pending = [];
  }

  /** The transaction of the pending series rolled back (a read inside it may have seen them too). */
  rolledBack(): void {
    this.pending = [];
    this.loaded = false;
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    const rows = await this.warehouse.all<SeriesRow>(
      `SELECT id, ${SERIES_KEYS.join(", ")} FROM signal_series ORDER BY id`,
    );
    this.known = new Map();
    this.measurements = new Set();
    for (const row of rows) {
      const text = keyText(row);
      // Of duplicates (none are written), the first added.
      if (!this.known.has(text)) this.known.set(text, Number(row.id));
      this.measurements.add(row.measurement);
    }
    this.loaded = true;
  }
}
