import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Spool, SpoolFullError } from "./spool.ts";

describe("Spool", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tracebox-spool-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const batch = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => `m,s=${tag} v=${i} ${1_700_000_000_000 + i}`);

  it("lets appends made at once take the last room only once, and replays them in order", async () => {
    const one = batch(10, "a");
    const size = Buffer.byteLength(`${one.join("\n")}\n`);
    const spool = await Spool.open(dir, size * 2);
    // Three batches at once into room for two: the third waits until one is replayed.
    const appends = ["a", "b", "c"].map((tag) => spool.append(batch(10, tag)));
    const settled: string[] = [];
    for (const [i, p] of appends.entries()) void p.then(() => settled.push("abc"[i] as string));
    await Promise.all(appends.slice(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Both landed (in either order: fsyncs finish as they will), the third waits for room.
    expect(settled.sort()).toEqual(["a", "b"]);
    expect(spool.bytes).toBe(size * 2);

    const first = await spool.oldest();
    expect(first?.lines).toEqual(batch(10, "a"));
    await spool.remove(first?.seq as number);
    await appends[2];
    expect(spool.bytes).toBe(size * 2);
    const order: string[] = [];
    for (let e = await spool.oldest(); e; e = await spool.oldest()) {
      order.push(e.lines[0]?.split(",")[1]?.split(" ")[0] ?? "");
      await spool.remove(e.seq);
    }
    expect(order).toEqual(["s=b", "s=c"]);
  });

  it("takes one batch larger than the bound when empty, and none beside it", async () => {
    const spool = await Spool.open(dir, 1024);
    await spool.append(batch(100, "big"));
    expect(spool.bytes).toBeGreaterThan(1024);
    const waiting = spool.append(batch(1, "small"));
    spool.stopWaiting();
    await expect(waiting).rejects.toBeInstanceOf(SpoolFullError);
    expect(spool.batches).toBe(1);
    expect(readdirSync(dir)).toHaveLength(1);
    // Stopped: an append that would have to wait fails at once.
    await expect(spool.append(batch(1, "late"))).rejects.toBeInstanceOf(SpoolFullError);
  });

  it("is not empty while a batch is being spooled, and the replay waits for an older one still being written", async () => {
    const spool = await Spool.open(dir, 1 << 30);
    const older = spool.append(batch(20_000, "a"));
    const newer = spool.append(batch(1, "b"));
    expect(spool.isEmpty()).toBe(false);
    await newer;
    // The small one usually lands first; while the large one is written, nothing is replayed.
    if (spool.batches === 1) expect(await spool.oldest()).toBeUndefined();
    await older;
    expect((await spool.oldest())?.lines[0]).toContain("s=a");
  });

  it("reopens with what was spooled, in order, and drops a half-written temp file", async () => {
    const spool = await Spool.open(dir, 1 << 20);
    await spool.append(batch(2, "x"));
    await spool.append(batch(2, "y"));
    writeFileSync(join(dir, "0000000000000003.lp.tmp"), "m v=1 1\nm v=");
    const reopened = await Spool.open(dir, 1 << 20);
    expect(reopened.batches).toBe(2);
    expect((await reopened.oldest())?.lines).toEqual(batch(2, "x"));
    expect(reopened.bytes).toBe(spool.bytes);
    expect(readdirSync(dir).sort()).toEqual(["0000000000000001.lp", "0000000000000002.lp"]);
  });
});
