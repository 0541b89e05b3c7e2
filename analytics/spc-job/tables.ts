import type { Warehouse } from "../warehouse/index.ts";

/** What the SPC job needs of the warehouse: queries, a transaction, and the connection for bulk reads. */
export type SpcWarehouse = Pick<Warehouse, "all" | "run" | "transaction" | "connection">;

/**
 * The SPC job's own tables, created on first use. `spc_baseline` keeps every baseline ever
 * proposed (phase-I limits frozen as JSON, with who, when, why and the window they came from);
 * at most one per characteristic is `approved`, and monitoring uses that one until another is
 * approved. `spc_cursor` is where each characteristic's monitoring stands: the next reading to
 * judge, the subgroups judged so far, and the recent subgroups that run rules continue from.
 */
export const SPC_JOB_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS spc_baseline (
    characteristic VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    limits JSON NOT NULL,
    window_from BIGINT NOT NULL,
    window_to BIGINT NOT NULL,
    subgroups INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    created_by VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('proposed', 'approved', 'retired')),
    approved_at BIGINT,
    approved_by VARCHAR,
    PRIMARY KEY (characteristic, version)
  )`,
  `CREATE TABLE IF NOT EXISTS spc_cursor (
    characteristic VARCHAR PRIMARY KEY,
    cursor_ts BIGINT,
    cursor_offset BIGINT NOT NULL,
    subgroups BIGINT NOT NULL,
    baseline_version INTEGER,
    episode_from BIGINT,
    history JSON NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
  // EWMA's or CUSUM's state before the first subgroup of `history` (added after the table).
  "ALTER TABLE spc_cursor ADD COLUMN IF NOT EXISTS carry JSON",
];

const ready = new WeakSet<object>();

/** Creates the SPC tables once per warehouse connection; idempotent. */
export async function ensureSpcTables(warehouse: SpcWarehouse): Promise<void> {
  if (ready.has(warehouse.connection)) return;
  for (const ddl of SPC_JOB_DDL) await warehouse.run(ddl);
  ready.add(warehouse.connection);
}
