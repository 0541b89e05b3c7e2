import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulate, warehouseWith } from "./fixtures.ts";
import { type SerialRecord, serialRecord, TraceStore } from "./index.ts";
import { DEFAULT_REPORT_OPTIONS, deviceHistoryReport, profileKpis, ticks } from "./report.ts";

const run = promisify(execFile);
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

describe("the device history report", { timeout: 90_000 }, () => {
  let dir: string;
  let profiled: SerialRecord;
  let plain: SerialRecord;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-report-"));
    const sim = simulate({ seed: 9, units: 4, signalRateHz: 2, profilerEvery: 2 });
    const path = join(dir, "warehouse.duckdb");
    await warehouseWith(path, sim.points);
    const serials = [
      ...new Set(
        sim.points.filter((p) => p.measurement === "unit").map((p) => p.tags.serial as string),
      ),
    ];
    const withProfile = sim.points.find((p) => p.measurement === "profile")?.tags.serial as string;
    const store = await TraceStore.open({ warehousePath: path });
    try {
      profiled = await store.withSession((s) => serialRecord(s, withProfile));
      plain = await store.withSession((s) =>
        serialRecord(s, serials.find((s) => s !== withProfile) as string),
      );
    } finally {
      await store.close();
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("renders in headless Chromium: its four plots are drawn and the page is not blank", async () => {
    expect(CHROMIUM, "Debian's chromium (apt-get install -y chromium)").toBeDefined();
    const file = join(dir, "report.html");
    writeFileSync(file, deviceHistoryReport(profiled));
    const { stdout: dom } = await run(
      CHROMIUM as string,
      [...HEADLESS, "--dump-dom", `file://${file}`],
      { maxBuffer: 64 << 20 },
    );
    expect(dom).toContain(`Device history record ${profiled.serial}`);
    for (const label of [
      "visit timeline",
      "reflow profile",
      "SPI volume per pad group",
      "test measurements against limits",
    ])
      expect(dom).toContain(`aria-label="${label}"`);
    expect(dom.match(/<rect class="visit"/g)?.length).toBe(profiled.visits.length);
    expect(dom.match(/<path class="series"/g)?.length).toBe(3);
    expect(dom.match(/<circle class="pad"/g)?.length).toBe(145);
    expect(dom.match(/<circle class="measurement"/g)?.length).toBe(
      profiled.tests.reduce((n, t) => n + t.measurements.length, 0),
    );
    expect(dom).not.toMatch(/NaN|undefined|Infinity/);

    const png = join(dir, "report.png");
    await run(CHROMIUM as string, [
      ...HEADLESS,
      "--window-size=1100,2400",
      `--screenshot=${png}`,
      `file://${file}`,
    ]);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    // A blank page of this size compresses to a few KB; the plots and tables make it far larger.
    expect(statSync(png).size).toBeGreaterThan(100_000);
  });

  it("without a profiler the oven's zones are drawn, and every text from the data is escaped", () => {
    const html = deviceHistoryReport(plain);
    expect(html).toContain("No profiler rode on this board");
    expect(html).toContain('aria-label="oven zone temperatures"');
    const hostile: SerialRecord = {
      ...plain,
      serial: `<img src=x onerror=alert(1)>`,
      visits: plain.visits.map((v, i) =>
        i === 0
          ? {
              ...v,
              events: [
                {
                  ts: v.start as number,
                  site: v.site,
                  line: v.line,
                  station: v.station,
                  kind: "stop",
                  code: "<b>",
                  message: `"><script>alert(1)</script>`,
                },
              ],
            }
          : v,
      ),
    };
    const escaped = deviceHistoryReport(hostile);
    expect(escaped).not.toContain("<script>alert");
    expect(escaped).not.toContain("<img src=x");
    expect(escaped).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(escaped).not.toMatch(/<script/);
  });

  it("reads a profile's peak, time above liquidus, soak and ramp", () => {
    // 1 °C/s from 25 °C for 225 s (peak 250), then down at 1 °C/s: above 217 °C from 192 s to 258 s.
    const samples: { ts: number; value: number }[] = [];
    for (let s = 0; s <= 450; s++)
      samples.push({ ts: s * 1000, value: s <= 225 ? 25 + s : 250 - (s - 225) });
    const k = profileKpis(samples, "tc1_c", DEFAULT_REPORT_OPTIONS);
    expect(k.peakC).toBe(250);
    expect(k.timeAboveLiquidusS).toBe(67);
    expect(k.soakS).toBe(102);
    expect(k.maxRampCPerS).toBeCloseTo(1, 9);
    expect(ticks(0, 326)).toEqual([0, 100, 200, 300]);
    expect(ticks(-0.25, 1.25, 6)).toEqual([0, 0.5, 1]);
    expect(ticks(5, 5)).toEqual([5]);
  });
});
