import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeDurably } from "./durable-file.ts";

/** One spooled batch: line protocol, in the order it was received. */
export interface SpoolEntry {
  seq: number;
  lines: string[];
  bytes: number;
}

const NAME = /^(\d{16})\.lp$/;

/**
 * The on-disk spool for batches InfluxDB could not take. One file per batch, written to a temp name,
 * fdatasynced and renamed, so a batch is either wholly in the spool or not at all (a crash mid-write
 * leaves a `.tmp` that is removed at start: its messages were never acknowledged, so the broker
 * redelivers them). Batches replay in sequence order.
 */
export class Spool {
  private seqs: number[] = [];
  private sizes = new Map<number, number>();
  private total = 0;
  private nextSeq = 1;
  private waiters: { wake: () => void; fail: (error: Error) => void }[] = [];
  private stopped = false;
  /**
   * Appends still being written, seq → bytes: their bytes count against the bound before they
   * land, and the replay waits for the lowest of them.
   */
  private readonly writing = new Map<number, number>();

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes: number): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const spool = new Spool(dir, maxBytes);
    for (const name of await readdir(dir)) {
      if (name.endsWith(".tmp")) {
        await rm(join(dir, name), { force: true });
        continue;
      }
      const match = NAME.exec(name);
      if (!match) continue;
      const seq = Number(match[1]);
      const { size } = await stat(join(dir, name));
      spool.seqs.push(seq);
      spool.sizes.set(seq, size);
      spool.total += size;
    }
    spool.seqs.sort((a, b) => a - b);
    spool.nextSeq = (spool.seqs.at(-1) ?? 0) + 1;
    return spool;
  }

  get bytes(): number {
    return this.total;
  }

  get batches(): number {
    return this.seqs.length;
  }

  /** Nothing spooled and nothing being spooled: a new batch may go straight to InfluxDB. */
  isEmpty(): boolean {
    return this.seqs.length === 0 && this.writing.size === 0;
  }

  /**
   * Whether `bytes` more fit under the bound, appends in progress counted (two batches that
   * commit at once must not both take the last room). An empty spool always takes one batch.
   */
  private admits(bytes: number): boolean {
    if (this.isEmpty()) return true;
    let reserved = 0;
    for (const size of this.writing.values()) reserved += size;
    return this.total + reserved + bytes <= this.maxBytes;
  }

  /** Wakes (or, stopping, fails) every append waiting for room; each then looks again. */
  private settleWaiters(how: "wake" | "fail"): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (how === "wake") waiter.wake();
      else waiter.fail(new SpoolFullError());
    }
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, "0")}.lp`);
  }

  /**
   * Appends a batch; durable when it resolves. While the spool is full it waits for the replay to
   * free room (the caller holds its messages unacknowledged meanwhile: backpressure); after
   * `stopWaiting` it rejects instead.
   */
  async append(lines: readonly string[]): Promise<number> {
    const text = `${lines.join("\n")}\n`;
    const size = Buffer.byteLength(text);
    while (!this.admits(size)) {
      if (this.stopped) throw new SpoolFullError();
      await new Promise<void>((wake, fail) => this.waiters.push({ wake, fail }));
    }
    const seq = this.nextSeq++;
    this.writing.set(seq, size);
    try {
      await writeDurably(this.path(seq), text);
    } catch (error) {
      this.writing.delete(seq);
      this.settleWaiters("wake");
      throw error;
    }
    this.writing.delete(seq);
    // In sequence order even when a later append lands first: the replay takes the lowest.
    let at = this.seqs.length;
    while (at > 0 && (this.seqs[at - 1] as number) > seq) at -= 1;
    this.seqs.splice(at, 0, seq);
    this.sizes.set(seq, size);
    this.total += size;
    return seq;
  }

  /** Appends waiting for room fail from now on (a stopping ingestor leaves those messages to the broker). */
  stopWaiting(): void {
    this.stopped = true;
    this.settleWaiters("fail");
  }

  /**
   * The oldest batch, or undefined when empty, or while an older one than the oldest spooled is
   * still being written (then the replay comes back for both in order).
   */
  async oldest(): Promise<SpoolEntry | undefined> {
    const seq = this.seqs[0];
    if (seq === undefined) return undefined;
    for (const pending of this.writing.keys()) if (pending < seq) return undefined;
    const text = await readFile(this.path(seq), "utf8");
    const lines = text.split("\n").filter((l) => l.length > 0);
    return { seq, lines, bytes: this.sizes.get(seq) ?? 0 };
  }

  async remove(seq: number): Promise<void> {
    await rm(this.path(seq), { force: true });
    this.seqs = this.seqs.filter((s) => s !== seq);
    this.total -= this.sizes.get(seq) ?? 0;
    this.sizes.delete(seq);
    this.settleWaiters("wake");
  }
}

/** The spool is full and the ingestor is stopping: the batch stays unacknowledged, with the broker. */
export class SpoolFullError extends Error {
  constructor() {
    super("spool full while stopping: the batch stays unacknowledged, the broker keeps it");
    this.name = "SpoolFullError";
  }
}
