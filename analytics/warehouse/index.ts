export {
  type ArchiveMismatch,
  type ArchiveOptions,
  type ArchivePartition,
  type ArchiveResult,
  archiveGlob,
  archiveOlderThan,
  archiveRelationSql,
  DAY_MS,
  DEFAULT_ARCHIVE_OPTIONS,
  partitionPath,
  readArchive,
  sha256File,
  verifyArchive,
} from "./archive.ts";
export { badOption, WarehouseError, type WarehouseErrorReason } from "./errors.ts";
export {
  buildUnitFeatures,
  DEFAULT_FEATURE_OPTIONS,
  type FeatureBuild,
  type FeatureOptions,
} from "./features.ts";
export {
  type ColumnType,
  isResultMeasurement,
  RECORD_TABLES,
  RESULT_MEASUREMENT_PREFIXES,
  RESULT_MEASUREMENTS,
  type RecordTable,
  SCHEMA_DDL,
  UNIT_VISIT_VIEW,
} from "./schema.ts";
export {
  insertSignal,
  SIGNAL_COLUMNS,
  type SignalRow,
} from "./signal-store.ts";
export {
  DEFAULT_SYNC_OPTIONS,
  type MeasurementSync,
  type SyncInflux,
  type SyncOptions,
  type SyncResult,
  type SyncSlice,
  syncFromInflux,
  syncWatermarks,
} from "./sync.ts";
export { unitVisits, type Visit, type VisitFilter, type VisitStatus } from "./visits.ts";
export { plainRow, quoteIdentifier, type SqlValue, Warehouse } from "./warehouse.ts";
