// Traceability records: the per-serial P3/P4 record from the archive, the warehouse and InfluxDB's
// tail; its export with tamper evidence; genealogy and recall scope; IPC-1782 levels; the device
// history report; the HTTP API.

export { type ArchiveCatalog, type ArchiveDataset, dayOf, listArchive } from "./catalog.ts";
export { assessBatch, completeness, isUnknownLot } from "./completeness.ts";
export { badOption, isTraceError, TraceError, type TraceErrorReason } from "./errors.ts";
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
  type ExportProgress,
  type ExportScope,
  type ExportSummary,
  exportRecords,
  resolveScope,
  streamRecords,
} from "./export.ts";
export { openTraceStore, TraceSectionSchema, traceOptionsFrom } from "./from-config.ts";
export {
  type AffectedUnit,
  type Backward,
  type Forward,
  type ForwardScope,
  type LotUse,
  traceBackward,
  traceForward,
} from "./genealogy.ts";
export {
  evenSample,
  type ProductLevelOptions,
  type ProductLevels,
  productLevels,
} from "./levels.ts";
export {
  type Canonical,
  type FileChain,
  MANIFEST,
  type Manifest,
  type ManifestFile,
  type Verification,
  verifyExport,
} from "./manifest.ts";
export {
  DEFAULT_TRACE_OPTIONS,
  resolveTraceOptions,
  type TraceOptions,
  type WarehouseAccess,
} from "./options.ts";
export { isoTime, recordJson, serialRecord } from "./record.ts";
export {
  DEFAULT_REPORT_OPTIONS,
  deviceHistoryReport,
  type ProfileKpis,
  profileKpis,
  type ReportOptions,
} from "./report.ts";
export {
  DEFAULT_SERVE_OPTIONS,
  isLoopback,
  parseTime,
  type ServeOptions,
  startTraceServer,
} from "./server.ts";
export type { TraceSession } from "./session.ts";
export { EXPORT_TABLE_NAMES, EXPORT_TABLES, type ExportTableName } from "./stage.ts";
export { type SourcePlan, type TailInflux, TraceStore } from "./store.ts";
export type { TailState } from "./tail.ts";
export type * from "./types.ts";
