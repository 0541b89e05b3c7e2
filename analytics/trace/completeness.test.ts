import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredPoint } from "../../ingest/contract/index.ts";
import { simulate, warehouseWith } from "./fixtures.ts";
import { type Completeness, productLevels, serialRecord, TraceStore } from "./index.ts";

const PRODUCT = "TBX-CTRL-C";

describe("IPC-1782 levels and their gaps", { timeout: 60_000 }, () => {
  let dir: string;
  let store: TraceStore;
  let serials: string[];
  let outageSerial: string;
  const judged = new Map<string, Completeness>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-levels-"));
    const run = simulate({ seed: 21, units: 16, signalRateHz: 2 });
    serials = [
      ...new Set(
        run.points.filter((p) => p.measurement === "unit").map((p) => p.tags.serial as string),
      ),
    ];
    // Units far apart in time, so that a stream stopping for one does not touch the clean one.
    const [clean, lots, skipped, open] = serials as [string, string, string, string];
    const gap = serials[12] as string;
    const tested = serials.filter((serial) =>
      run.points.some(
        (p) =>
          p.measurement === "unit" &&
          p.tags.serial === serial &&
          p.tags.station === "fct" &&
          p.tags.event === "complete",
      ),
    );
    const outage = tested.at(-1) as string;
    outageSerial = outage;
    const visit = (serial: string, station: string) => {
      const start = run.points.find(
        (p) =>
          p.measurement === "unit" &&
          p.tags.serial === serial &&
          p.tags.station === station &&
          p.tags.event === "start",
      );
      const complete = run.points.find(
        (p) =>
          p.measurement === "unit" &&
          p.tags.serial === serial &&
          p.tags.station === station &&
          p.tags.event === "complete",
      );
      return { start: start?.ts as number, complete: complete?.ts as number };
    };
    const reflow = visit(gap, "reflow");
    const fct = visit(outage, "fct");
    const points: StoredPoint[] = [];
    for (const p of run.points) {
      // An unknown lot at U1 and no date code at R1.
      if (p.measurement === "placement" && p.tags.serial === lots && p.tags.ref === "U1") {
        points.push({ ...p, fields: { ...p.fields, lot: "UNKNOWN" } });
        continue;
      }
      if (p.measurement === "placement" && p.tags.serial === lots && p.tags.ref === "R1") {
        const { date_code: _, ...fields } = p.fields;
        points.push({ ...p, fields });
        continue;
      }
      // AOI never saw this unit; this one never left FCT.
      if (p.measurement === "unit" && p.tags.serial === skipped && p.tags.station === "aoi")
        continue;
      if (
        p.measurement === "unit" &&
        p.tags.serial === open &&
        p.tags.station === "fct" &&
        p.tags.event === "complete"
      )
        continue;
      // The oven's stream stops for a minute while this unit is in it.
      if (
        p.measurement === "reflow" &&
        p.ts > reflow.start + 60_000 &&
        p.ts < reflow.start + 120_000
      )
        continue;
      points.push(p);
    }
    // The ingestor's self-metrics every 10 s, with a two-minute hole around one FCT visit.
    const first = run.points[0]?.ts as number;
    const last = run.points.at(-1)?.ts as number;
    for (let ts = first; ts <= last; ts += 10_000) {
      if (ts > fct.start - 60_000 && ts < fct.complete + 60_000) continue;
      points.push({
        measurement: "tracebox_ingest",
        tags: { instance: "a" },
        fields: { messages_written: ts },
        ts,
        line: "",
      });
    }
    const path = join(dir, "warehouse.duckdb");
    await warehouseWith(path, points);
    store = await TraceStore.open({ warehousePath: path });
    for (const serial of [clean, lots, skipped, open, gap, outage])
      judged.set(serial, (await store.withSession((s) => serialRecord(s, serial))).completeness);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const kinds = (serial: string) =>
    (judged.get(serial)?.gaps ?? []).map((g) => `${g.level} ${g.kind}`);

  it("a unit with every step, signal, environment reading and lot supports P4 and M3, not M4", () => {
    const c = judged.get(serials[0] as string) as Completeness;
    expect(kinds(serials[0] as string)).toEqual(["M4 no-raw-material-genealogy"]);
    expect(c.processLevel).toBe(4);
    expect(c.materialLevel).toBe(3);
    expect(c.levels).toEqual({
      P1: true,
      P2: true,
      P3: true,
      P4: true,
      M1: true,
      M2: true,
      M3: true,
      M4: false,
    });
  });

  it("an unknown lot or a missing date code at a placement holds M3 back", () => {
    const c = judged.get(serials[1] as string) as Completeness;
    expect(kinds(serials[1] as string)).toEqual(
      expect.arrayContaining(["M3 unknown-lot", "M3 missing-date-code"]),
    );
    expect(c.materialLevel).toBe(2);
    expect(c.gaps.find((g) => g.kind === "unknown-lot")?.detail).toContain("U1");
  });

  it("a station of the route without a visit, or a visit without its complete, holds P3 back", () => {
    expect(kinds(serials[2] as string)).toContain("P3 missing-station");
    expect(
      judged.get(serials[2] as string)?.gaps.find((g) => g.kind === "missing-station")?.station,
    ).toBe("aoi");
    expect(judged.get(serials[2] as string)?.processLevel).toBe(2);
    expect(kinds(serials[3] as string)).toContain("P3 open-visit");
    expect(judged.get(serials[3] as string)?.processLevel).toBe(2);
  });

  it("a stream that stops during a visit, or an ingest outage, holds P4 back", () => {
    const gap = judged.get(serials[12] as string)?.gaps.find((g) => g.kind === "signal-gap");
    expect(gap?.station).toBe("reflow");
    expect((gap?.to as number) - (gap?.from as number)).toBeGreaterThanOrEqual(60_000);
    expect(judged.get(serials[12] as string)?.processLevel).toBe(3);
    expect(kinds(outageSerial)).toContain("P4 ingest-outage");
    expect(judged.get(outageSerial)?.processLevel).toBe(3);
  });

  it("a product's level is what all its judged units support, with the gaps that hold it back", async () => {
    const levels = await store.withSession((s) => productLevels(s, PRODUCT));
    expect(levels.units).toBe(serials.length);
    expect(levels.judged).toBe(serials.length);
    expect(levels.processLevel).toBeLessThanOrEqual(2);
    expect(levels.materialLevel).toBe(2);
    const gapKinds = levels.gaps.map((g) => g.kind);
    expect(gapKinds).toEqual(
      expect.arrayContaining([
        "no-raw-material-genealogy",
        "unknown-lot",
        "missing-station",
        "open-visit",
        "signal-gap",
        "ingest-outage",
      ]),
    );
    expect(levels.gaps[0]).toMatchObject({
      kind: "no-raw-material-genealogy",
      units: serials.length,
    });
    expect(levels.supporting.M4).toBe(0);
    expect(levels.distribution.process.reduce((a, b) => a + b, 0)).toBe(serials.length);
    const sampled = await store.withSession((s) => productLevels(s, PRODUCT, { maxUnits: 4 }));
    expect(sampled.judged).toBe(4);
    const missing = await store
      .withSession((s) => productLevels(s, "NO-SUCH-PRODUCT"))
      .catch((e: unknown) => e);
    expect((missing as Error).message).toContain("NO-SUCH-PRODUCT");
  });
});
