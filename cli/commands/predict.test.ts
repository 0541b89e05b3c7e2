import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it, vi } from "vitest";
import { syntheticUnits } from "../../analytics/predict/synthetic.ts";
import { Warehouse } from "../../analytics/warehouse/index.ts";
import { main } from "../main.ts";

const dir = mkdtempSync(join(tmpdir(), "tracebox-predict-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const units = syntheticUnits({
  units: 1200,
  continuous: 4,
  categorical: { lot: ["L1", "L2", "L3", "L4"], shift: ["A", "B", "C"] },
  logOdds: (u) => -3 + (u.lot === "L2" ? 1.6 : 0),
  seed: 5,
});

function writeCsv(name: string, rows: Record<string, unknown>[]): string {
  const file = join(dir, name);
  const header = Object.keys(rows[0] as object);
  const body = rows.map((r) => header.map((h) => (r[h] === null ? "" : String(r[h]))).join(","));
  writeFileSync(file, `${header.join(",")}\n${body.join("\n")}\n`);
  return file;
}

const csv = writeCsv(
  "units.csv",
  units.map((u, i) => ({ ...u, failed: i >= 1150 ? null : u.failed })),
);

async function predict(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(["node", "tracebox", "predict", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const QUICK = ["--repeats", "1", "--folds", "3"];

describe("tracebox predict --input", () => {
  it("writes the report as JSON: quality, drivers by strength, model, notes", async () => {
    const { code, stdout, stderr } = await predict(
      "--input",
      csv,
      "--label",
      "failed",
      "--time",
      "ts",
      "--target",
      "ict",
      ...QUICK,
      "--format",
      "json",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.target).toBe("ict");
    expect(report.n).toBe(1150);
    expect(report.untested).toBe(50);
    expect(report.positives).toBe(units.slice(0, 1150).filter((u) => u.failed === 1).length);
    expect(report.cv.folds).toHaveLength(3);
    expect(report.cv.auc).toBeGreaterThan(0.6);
    expect(report.timeSplit.auc).toBeGreaterThan(0.5);
    expect(typeof report.timeSplit.prAuc).toBe("number");
    const [first] = report.drivers;
    expect(Object.keys(first).slice(0, 8)).toEqual([
      "feature",
      "kind",
      "effect",
      "ciLow",
      "ciHigh",
      "p",
      "q",
      "summary",
    ]);
    expect(first).toMatchObject({
      feature: "lot",
      kind: "categorical",
      group: "L2",
      test: "chi-square",
    });
    expect(first.summary).toMatch(
      /^boards with lot = L2 failed ICT \d+(\.\d)?× as often as the other boards/,
    );
    const ps = report.drivers.map((d: { p: number }) => d.p);
    expect(ps).toEqual([...ps].sort((a, b) => a - b));
    expect(report.model.kind).toBe("l2-logistic");
    expect(report.model.coefficients[0].column).toBe("lot = L2");
    // The serial is carried through, never a feature.
    expect(report.drivers.map((d: { feature: string }) => d.feature)).not.toContain("serial");
  });

  it("prints the top drivers as sentences in a table", async () => {
    const { code, stdout } = await predict(
      "--input",
      csv,
      "--label",
      "failed",
      "--drivers-only",
      "--top",
      "3",
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^predict any test · .*units\.csv · 1,150 units with an outcome/);
    expect(stdout).toMatch(/ {2}1\.\* boards with lot = L2 failed \(failed\) \d/);
    expect(stdout).toContain("not cross-validated");
    expect(stdout).toMatch(/at risk {2}\d+ of 50 untested units score 0\.1 or more/);
  });

  it("reads Parquet as well", async () => {
    const parquet = join(dir, "units.parquet");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM read_csv_auto('${csv}')) TO '${parquet}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const { code, stdout } = await predict(
      "--input",
      parquet,
      "--label",
      "failed",
      "--drivers-only",
      "--format",
      "json",
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout).drivers[0].feature).toBe("lot");
  });

  it("fits the model variants asked for, and says which in the report", async () => {
    const { code, stdout } = await predict(
      "--input",
      csv,
      "--label",
      "failed",
      ...QUICK,
      "--scaling",
      "rank",
      "--extremes",
      "--l1-ratio",
      "0.5",
      "--class-weight",
      "balanced",
      "--format",
      "json",
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.model).toMatchObject({
      kind: "elastic-net-logistic",
      scaling: "rank",
      extremes: true,
      l1Ratio: 0.5,
      classWeight: "balanced",
    });
    // The planted lot still drives the model that was asked for.
    expect(report.cv.auc).toBeGreaterThan(0.6);
    const plain = JSON.parse(
      (await predict("--input", csv, "--label", "failed", ...QUICK, "--format", "json")).stdout,
    );
    expect(plain.model).toMatchObject({
      kind: "l2-logistic",
      scaling: "standard",
      extremes: false,
      l1Ratio: 0,
    });
    const bad = await predict("--input", csv, "--label", "failed", "--scaling", "log");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--scaling must be one of standard, rank, got 'log'");
    const ratio = await predict("--input", csv, "--label", "failed", "--l1-ratio", "2");
    expect(ratio.stderr).toContain("--l1-ratio must be a number from 0 to 1, got '2'");
  });

  it("refuses a single-class outcome and bad flags with a clear message", async () => {
    const allPass = writeCsv(
      "pass.csv",
      units.slice(0, 50).map((u) => ({ ...u, failed: 0 })),
    );
    const single = await predict("--input", allPass, "--label", "failed");
    expect(single.code).toBe(1);
    expect(single.stderr).toMatch(/every one of the 50 units with an outcome in failed passed/);
    const noLabel = await predict("--input", csv);
    expect(noLabel.code).toBe(2);
    expect(noLabel.stderr).toContain("--input needs --label COL");
    const badTarget = await predict("--input", csv, "--label", "failed", "--target", "spi");
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain("unknown --target 'spi'");
    const missing = await predict("--input", csv, "--label", "verdict");
    expect(missing.stderr).toContain("outcome column 'verdict' not found");
    const text = await predict("--input", join(dir, "units.xlsx"), "--label", "failed");
    expect(text.stderr).toContain("expected a .csv or .parquet file");
  });
});

describe("tracebox predict from the warehouse", () => {
  it("says clearly when there is no warehouse or no feature table yet", async () => {
    const none = await predict("--warehouse", join(dir, "absent.duckdb"));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no warehouse at");
    const path = join(dir, "empty.duckdb");
    (await Warehouse.open(path)).close();
    const empty = await predict("--warehouse", path);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("the warehouse has no unit_features table yet");
  });

  it("reads unit_features read-only, leaving the other tests' columns out", async () => {
    const path = join(dir, "features.duckdb");
    const warehouse = await Warehouse.open(path);
    await warehouse.run(
      "CREATE TABLE unit_features AS SELECT serial, ts::BIGINT AS first_seen, lot, shift, x1, x2, CASE WHEN failed = 1 THEN 'fail' WHEN failed = 0 THEN 'pass' END AS ict_first_result, failed = 1 AS test_first_fail, 3 AS ict_defect_count FROM read_csv_auto($csv)",
      { csv },
    );
    // Lineage by designator: every failure called at C3, whose lot is the board's lot.
    await warehouse.run(
      "CREATE TABLE unit_designator AS SELECT serial, 'C3' AS ref, lot, 'Kemet' AS supplier, NULL::DOUBLE AS spi_volume_mean_pct, NULL::DOUBLE AS spi_outside_share, CASE WHEN failed IS NOT NULL THEN failed = 1 END AS ict_defect FROM read_csv_auto($csv)",
      { csv },
    );
    warehouse.close();
    const { code, stdout, stderr } = await predict(
      "--warehouse",
      path,
      "--target",
      "ict",
      "--drivers-only",
      "--format",
      "json",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.label).toBe("ict_first_result");
    expect(report.untested).toBe(50);
    expect(report.drivers[0].feature).toBe("lot");
    expect(report.designatorDrivers[0]).toMatchObject({
      ref: "C3",
      feature: "C3.lot",
      group: "L2",
    });
    expect(report.designatorDrivers[0].summary).toMatch(
      /^boards whose C3 came from lot L2 failed ICT at C3 [\d.]+× as often/,
    );
    const table = await predict("--warehouse", path, "--target", "ict", "--drivers-only");
    expect(table.stdout).toContain("at designators  1 of 1 at q < 0.05");
    expect(report.notes).toEqual(
      expect.arrayContaining([
        "left out test_first_fail: excluded as asked",
        "left out ict_defect_count: excluded as asked",
      ]),
    );
  });
});
