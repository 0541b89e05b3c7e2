import { SpcError } from "./errors.ts";
import type { AttributesSubgroup, ChartType, Subgroup, VariablesSubgroup } from "./types.ts";

/** The label a subgroup is shown under: its own, or its 1-based position. */
export function labelOf(subgroup: Subgroup, position: number): string {
  return subgroup.label ?? String(position + 1);
}

function describe(subgroup: Subgroup, position: number): string {
  return `subgroup ${labelOf(subgroup, position)} (#${position + 1})`;
}

/** Checks that every subgroup carries finite measurements; the chart is named in errors. */
export function asVariables(
  chart: ChartType,
  subgroups: readonly Subgroup[],
  offset = 0,
): readonly VariablesSubgroup[] {
  subgroups.forEach((subgroup, i) => {
    const values = (subgroup as Partial<VariablesSubgroup>).values;
    if (!Array.isArray(values)) {
      throw new SpcError(
        "wrong-subgroup-kind",
        `${chart} chart needs measurements (values) but ${describe(subgroup, i + offset)} has none`,
      );
    }
    if (values.length === 0) {
      throw new SpcError("subgroup-size", `${describe(subgroup, i + offset)} has no values`);
    }
    if (!values.every((value) => Number.isFinite(value))) {
      throw new SpcError("non-finite", `${describe(subgroup, i + offset)} has a non-finite value`);
    }
  });
  return subgroups as readonly VariablesSubgroup[];
}

/** Checks counts and sizes; `sizeRequired` for p, np and u, where the size is part of the statistic. */
export function asAttributes(
  chart: ChartType,
  subgroups: readonly Subgroup[],
  sizeRequired: boolean,
  offset = 0,
): readonly AttributesSubgroup[] {
  subgroups.forEach((subgroup, i) => {
    const { count, size } = subgroup as Partial<AttributesSubgroup>;
    const where = describe(subgroup, i + offset);
    if (typeof count !== "number") {
      throw new SpcError(
        "wrong-subgroup-kind",
        `${chart} chart needs counts but ${where} has none`,
      );
    }
    if (!Number.isFinite(count) || count < 0) {
      throw new SpcError("bad-count", `${where}: count must be a finite number >= 0, got ${count}`);
    }
    if (size === undefined) {
      if (sizeRequired)
        throw new SpcError("subgroup-size", `${chart} chart needs a size for ${where}`);
      return;
    }
    if (!Number.isFinite(size) || size <= 0) {
      throw new SpcError("subgroup-size", `${where}: size must be a positive number, got ${size}`);
    }
    if ((chart === "p" || chart === "np") && count > size) {
      throw new SpcError(
        "bad-count",
        `${where}: ${count} nonconforming out of only ${size} inspected`,
      );
    }
  });
  return subgroups as readonly AttributesSubgroup[];
}

/** Refuses a phase I too short to estimate anything from. */
export function requireSubgroups(chart: ChartType, count: number, minimum: number): void {
  if (count < minimum) {
    throw new SpcError(
      "too-few-subgroups",
      `${chart} chart needs at least ${minimum} phase-I subgroups, got ${count}`,
    );
  }
}

/** The common size when all are equal, else null. */
export function commonSize(sizes: readonly number[]): number | null {
  const first = sizes[0];
  return first !== undefined && sizes.every((size) => size === first) ? first : null;
}

/** Size of an attributes subgroup that `asAttributes(..., true)` has already checked. */
export function sizeOf(subgroup: AttributesSubgroup): number {
  return subgroup.size ?? Number.NaN;
}
