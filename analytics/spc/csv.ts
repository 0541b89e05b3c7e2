import { SpcError } from "./errors.ts";
import type { AttributesSubgroup, VariablesSubgroup } from "./types.ts";

// A strict reader for the analyst's subgroup CSV (no CSV library is installed): comma-separated,
// header row, RFC 4180 double quotes within a line, blank lines skipped. Anything it cannot read
// exactly is an error naming the line and column, never a silently skipped row.

interface CsvTable {
  readonly header: readonly string[];
  /** Rows with their 1-based line numbers in the file. */
  readonly rows: readonly { readonly line: number; readonly cells: readonly string[] }[];
}

function splitLine(text: string, line: number, source: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"' && cell.trim() === "") {
      quoted = true;
      cell = "";
    } else if (char === ",") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += char;
    }
  }
  if (quoted) throw new SpcError("bad-csv", `${source} line ${line}: unterminated quoted field`);
  cells.push(cell.trim());
  return cells;
}

function readTable(text: string, source: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let header: string[] | undefined;
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((content, i) => {
    if (content.trim() === "") return;
    const cells = splitLine(content, i + 1, source);
    if (header === undefined) {
      header = cells.map((name) => name.toLowerCase());
      return;
    }
    if (cells.length !== header.length) {
      throw new SpcError(
        "bad-csv",
        `${source} line ${i + 1}: ${cells.length} fields, the header has ${header.length}`,
      );
    }
    rows.push({ line: i + 1, cells });
  });
  if (header === undefined) throw new SpcError("bad-csv", `${source}: empty file, no header row`);
  return { header, rows };
}

function columnIndex(table: CsvTable, name: string, source: string, required: boolean): number {
  const index = table.header.indexOf(name);
  if (index < 0 && required) {
    throw new SpcError(
      "bad-csv",
      `${source}: missing column '${name}' (header: ${table.header.join(",")})`,
    );
  }
  return index;
}

function cellAt(row: CsvTable["rows"][number], index: number): string {
  return row.cells[index] ?? "";
}

function numberAt(
  row: CsvTable["rows"][number],
  index: number,
  name: string,
  source: string,
): number {
  const text = cellAt(row, index);
  const value = text === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new SpcError(
      "bad-csv",
      `${source} line ${row.line}, column '${name}': ${text === "" ? "empty" : `'${text}' is not a number`}`,
    );
  }
  return value;
}

function subgroupAt(row: CsvTable["rows"][number], index: number, source: string): string {
  const label = cellAt(row, index);
  if (label === "") {
    throw new SpcError("bad-csv", `${source} line ${row.line}, column 'subgroup': empty`);
  }
  return label;
}

/**
 * Measurements from a `subgroup,value` CSV: one row per measurement, subgroups in order of first
 * appearance (their rows need not be adjacent). Other columns are ignored.
 */
export function parseVariablesCsv(text: string, source = "input"): VariablesSubgroup[] {
  const table = readTable(text, source);
  const subgroupColumn = columnIndex(table, "subgroup", source, true);
  const valueColumn = columnIndex(table, "value", source, true);
  const bySubgroup = new Map<string, number[]>();
  for (const row of table.rows) {
    const label = subgroupAt(row, subgroupColumn, source);
    const value = numberAt(row, valueColumn, "value", source);
    const values = bySubgroup.get(label);
    if (values) values.push(value);
    else bySubgroup.set(label, [value]);
  }
  return [...bySubgroup].map(([label, values]) => ({ label, values }));
}

/**
 * Counts from a `subgroup,count,size` CSV, one row per subgroup in chart order. `size` may be
 * absent (column or cell) unless `sizeRequired` (p, np, u).
 */
export function parseAttributesCsv(
  text: string,
  sizeRequired: boolean,
  source = "input",
): AttributesSubgroup[] {
  const table = readTable(text, source);
  const subgroupColumn = columnIndex(table, "subgroup", source, true);
  const countColumn = columnIndex(table, "count", source, true);
  const sizeColumn = columnIndex(table, "size", source, sizeRequired);
  const seen = new Set<string>();
  return table.rows.map((row) => {
    const label = subgroupAt(row, subgroupColumn, source);
    if (seen.has(label)) {
      throw new SpcError(
        "bad-csv",
        `${source} line ${row.line}: subgroup '${label}' appears twice`,
      );
    }
    seen.add(label);
    const count = numberAt(row, countColumn, "count", source);
    if (sizeColumn < 0 || (!sizeRequired && cellAt(row, sizeColumn) === "")) {
      return { label, count };
    }
    return { label, count, size: numberAt(row, sizeColumn, "size", source) };
  });
}
