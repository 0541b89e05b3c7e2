export {
  type ColumnType,
  RECORD_TABLES,
  RESULT_MEASUREMENTS,
  type RecordTable,
  SCHEMA_DDL,
} from "./schema.ts";
export { quoteIdentifier, type SqlValue, Warehouse } from "./warehouse.ts";
