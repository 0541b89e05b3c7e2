import type { Logger } from "pino";
import {
  type InfluxClient,
  InfluxError,
  splitLines,
  writeIsolating,
  writeWithRetry,
} from "../influx/index.ts";
import type { AckToken, ReceivedMessage } from "./broker.ts";
import type { Decoded, Rejection } from "./contract/index.ts";
import type { DeadLetter, DeadLetterFile } from "./dead-letter.ts";
import type { IngestMetrics } from "./metrics.ts";
import type { Spool } from "./spool.ts";

/** Batching settings; one TSDoc line per field. */
export interface PipelineOptions {
  /** Points per InfluxDB write, at most; default 20000 (TRACEBOX_INGEST_BATCH_SIZE). */
  batchSize: number;
  /** Longest a message waits for its batch while the writer is idle, ms; default 100. */
  batchMaxAgeMs: number;
  /** Messages per batch at most: a third of the broker's in-flight window, so one batch fills while two commit. */
  batchMessages: number;
  /** Batches being made durable at once; their PUBACKs are still released in receive order. Default 2. */
  concurrentCommits?: number;
}

export interface PipelineParts {
  decode(topic: string, payload: Uint8Array): Decoded | Rejection;
  influx: InfluxClient;
  spool: Spool;
  deadLetter: DeadLetterFile;
  metrics: IngestMetrics;
  /** Sends the PUBACKs, in order. */
  release(tokens: readonly AckToken[]): void;
  /**
   * Drops the broker connection, so the broker delivers again what is unacknowledged: called when a
   * batch could not be made durable, whose messages would otherwise hold their places in the
   * broker's in-flight window until the next reconnect.
   */
  redeliver?(epoch: number): void;
  /** Sees every accepted message as it arrives (alerts, visits); must not block. */
  observe?(decoded: Decoded, receivedAt: number): void;
  log: Logger;
}

interface Batch {
  /**
   * Per accepted message, its points as line protocol in UTF-8, each line ended by `\n`. Bytes,
   * not a string per point: at 200 readings a message the strings outlived the young generation
   * while the batch waited for its write, and the garbage collector took a third of the CPU.
   */
  chunks: Buffer[];
  bytes: number;
  points: number;
  /**
   * Per accepted message: its topic and the index after its last point, to name the topic of a
   * point InfluxDB rejects. Kept per message, not per line: the lookup is rare, the push is not.
   */
  sources: { topic: string; end: number }[];
  letters: DeadLetter[];
  tokens: AckToken[];
  written: number;
  rejected: number;
  firstAt: number;
}

/** A batch's points one line each: for the rare paths (a refused batch, the spool). */
function linesOf(batch: Batch): string[] {
  return splitLines(Buffer.concat(batch.chunks, batch.bytes));
}

function emptyBatch(): Batch {
  return {
    chunks: [],
    bytes: 0,
    points: 0,
    sources: [],
    letters: [],
    tokens: [],
    written: 0,
    rejected: 0,
    firstAt: 0,
  };
}

/**
 * Decode → batch → durable (InfluxDB 2xx, or the fsynced spool) → acknowledge, as a group commit:
 * one batch commits while the next fills, and a batch is released to the broker only when all of
 * its messages are durable (points stored or spooled, rejections in the dead-letter file).
 */
export class Pipeline {
  private pending = emptyBatch();
  /** Commits in progress, oldest first. */
  private readonly committing = new Set<Promise<void>>();
  /** Settles when the newest commit has released its PUBACKs: the next release waits for it. */
  private released: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private readonly replayAbort = new AbortController();
  private stopping = false;
  private roomWaiters: (() => void)[] = [];
  private readonly maxCommits: number;
  /** Commits failed in a row (reset by one that succeeds): the redelivery's backoff. */
  private failures = 0;
  private readonly redeliveries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: PipelineOptions,
    private readonly parts: PipelineParts,
  ) {
    this.maxCommits = Math.max(1, options.concurrentCommits ?? 2);
    parts.metrics.spoolBytes.set(parts.spool.bytes);
    parts.metrics.spoolBatches.set(parts.spool.batches);
    if (!parts.spool.isEmpty()) this.startReplay();
  }

  /**
   * Takes one message. Returns a promise when the next batch is full while one still commits: the
   * caller should read no further until it resolves, so at most two batches are ever in memory.
   */
  accept(message: ReceivedMessage): Promise<void> | undefined {
    const { parts } = this;
    if (message.dup) parts.metrics.redelivered.inc();
    const batch = this.pending;
    if (batch.tokens.length === 0) batch.firstAt = performance.now();
    const decoded = parts.decode(message.topic, message.payload);
    if (decoded.ok) {
      if (decoded.points.length > 0) {
        let text = "";
        for (const point of decoded.points) text += `${point.line}\n`;
        const chunk = Buffer.from(text);
        batch.chunks.push(chunk);
        batch.bytes += chunk.byteLength;
        batch.points += decoded.points.length;
      }
      batch.sources.push({ topic: message.topic, end: batch.points });
      batch.written += 1;
      parts.observe?.(decoded, message.receivedAt);
    } else {
      batch.letters.push({
        receivedAt: message.receivedAt,
        topic: message.topic,
        reason: decoded.reason,
        detail: decoded.detail,
        payload: message.payload,
      });
      parts.metrics.rejected.inc({ reason: decoded.reason });
      batch.rejected += 1;
    }
    batch.tokens.push(message.ack);
    parts.metrics.inFlight.inc();
    this.schedule();
    if (this.committing.size >= this.maxCommits && this.isFull(this.pending)) {
      return new Promise((resolve) => this.roomWaiters.push(resolve));
    }
    return undefined;
  }

  private isFull(batch: Batch): boolean {
    return (
      batch.points >= this.options.batchSize || batch.tokens.length >= this.options.batchMessages
    );
  }

  private schedule(): void {
    if (this.committing.size >= this.maxCommits || this.pending.tokens.length === 0) return;
    const age = performance.now() - this.pending.firstAt;
    if (this.stopping || this.isFull(this.pending) || age >= this.options.batchMaxAgeMs) {
      this.commitNext();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.options.batchMaxAgeMs - age);
    }
  }

  private commitNext(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = emptyBatch();
    const previous = this.released;
    const commit: Promise<void> = this.commit(batch, previous)
      .catch((error: unknown) => {
        // Not acknowledged: the broker delivers these messages again after the reconnect asked
        // for here (later batches of this connection are not acknowledged either: their tokens
        // belong to the old connection, and they come again too; storing twice is idempotent).
        this.parts.metrics.inFlight.dec(batch.tokens.length);
        this.parts.metrics.commitFailures.inc();
        if (this.stopping) {
          this.parts.log.warn(
            { message: (error as Error).message },
            "batch left unacknowledged at stop; the broker delivers it again after the restart",
          );
          return;
        }
        // While the fault lasts, each redelivery fails again: back off (1 s, 2 s, … 30 s)
        // rather than drop the connection once a second.
        this.failures += 1;
        const delayMs = Math.min(30_000, 1000 * 2 ** (this.failures - 1));
        this.parts.log.error(
          { err: error, retryInMs: delayMs },
          "batch could not be made durable; reconnecting so that the broker delivers it again",
        );
        const epoch = batch.tokens[0]?.epoch;
        if (epoch !== undefined) {
          const timer = setTimeout(() => {
            this.redeliveries.delete(timer);
            if (!this.stopping) this.parts.redeliver?.(epoch);
          }, delayMs);
          this.redeliveries.add(timer);
        }
      })
      .finally(() => {
        this.committing.delete(commit);
        // A full batch starts committing here, which empties `pending`: readers may go on.
        this.schedule();
        for (const wake of this.roomWaiters.splice(0)) wake();
      });
    this.committing.add(commit);
    this.released = commit;
  }

  private async commit(batch: Batch, previous: Promise<void>): Promise<void> {
    const { parts } = this;
    if (batch.points > 0) await this.storePoints(batch);
    await parts.deadLetter.write(batch.letters);
    // Durable now; acknowledged only after every earlier batch, as MQTT wants PUBACKs in order.
    await previous;
    parts.release(batch.tokens);
    this.failures = 0;
    parts.metrics.inFlight.dec(batch.tokens.length);
    parts.metrics.messages.inc({ outcome: "written" }, batch.written);
    parts.metrics.messages.inc({ outcome: "rejected" }, batch.rejected);
    parts.metrics.batchPoints.observe(batch.points);
  }

  /** `retried`: after a 404 the database was made and this is the write again (once, then the spool). */
  private async storePoints(batch: Batch, retried = false): Promise<void> {
    const { parts } = this;
    if (parts.spool.isEmpty()) {
      const end = parts.metrics.writeSeconds.startTimer();
      try {
        await parts.influx.writeText(Buffer.concat(batch.chunks, batch.bytes));
        end();
        parts.metrics.pointsWritten.inc(batch.points);
        return;
      } catch (error) {
        const reason = error instanceof InfluxError ? error.reason : "network";
        parts.metrics.writeErrors.inc({ reason });
        if (error instanceof InfluxError && !error.canRetry()) {
          try {
            if (error.reason === "not_found" && !retried) {
              await parts.influx.ensureDatabase();
              return await this.storePoints(batch, true);
            }
            if (error.reason === "bad_request" || error.reason === "too_large") {
              await this.isolate(
                linesOf(batch),
                (i) => batch.sources.find((source) => source.end > i)?.topic ?? "",
                batch.letters,
              );
              return;
            }
          } catch (failure) {
            // InfluxDB failed while the database was being made or the batch split: the spool
            // keeps the whole batch (points already written are written again: same series and
            // times, so stored once), and its replay makes the database or splits it later.
            parts.log.warn(
              { message: (failure as Error).message },
              "InfluxDB failed while handling a refused write; spooling to disk",
            );
            return this.spoolLines(linesOf(batch));
          }
        }
        parts.log.warn(
          { reason, message: (error as Error).message },
          "InfluxDB write failed; spooling to disk",
        );
      }
    }
    await this.spoolLines(linesOf(batch));
  }

  /** Splits a batch InfluxDB refused to find the bad points; they go to the dead-letter. */
  private async isolate(
    lines: string[],
    topicAt: (index: number) => string,
    letters: DeadLetter[],
  ): Promise<void> {
    const { parts } = this;
    const result = await writeIsolating(parts.influx, lines);
    parts.metrics.pointsWritten.inc(result.written);
    const indexOf = new Map(lines.map((line, i) => [line, i]));
    for (const bad of result.rejected) {
      const index = indexOf.get(bad.line);
      letters.push({
        receivedAt: Date.now(),
        topic: index === undefined ? "" : topicAt(index),
        reason: "influx_rejected",
        detail: bad.error,
        payload: bad.line,
      });
      parts.metrics.rejected.inc({ reason: "influx_rejected" });
    }
  }

  private async spoolLines(lines: string[]): Promise<void> {
    const { parts } = this;
    // Full spool: waits without acknowledging, so the broker holds the rest (backpressure).
    await parts.spool.append(lines);
    parts.metrics.pointsSpooled.inc(lines.length);
    parts.metrics.spoolBytes.set(parts.spool.bytes);
    parts.metrics.spoolBatches.set(parts.spool.batches);
    this.startReplay();
  }

  private startReplay(): void {
    if (this.replaying) return;
    this.replaying = this.replay()
      .catch((error: unknown) => {
        if (!this.replayAbort.signal.aborted)
          this.parts.log.error({ err: error }, "spool replay stopped");
      })
      .finally(() => {
        this.replaying = undefined;
        if (!this.parts.spool.isEmpty() && !this.replayAbort.signal.aborted)
          setTimeout(() => this.startReplay(), 1000);
      });
  }

  /** Drains the spool in order once InfluxDB answers again, retrying with backoff and jitter. */
  private async replay(): Promise<void> {
    const { parts } = this;
    const signal = this.replayAbort.signal;
    for (
      let entry = await parts.spool.oldest();
      entry && !signal.aborted;
      entry = await parts.spool.oldest()
    ) {
      try {
        await writeWithRetry(parts.influx, entry.lines, { maxDelayMs: 5000 }, signal);
        parts.metrics.pointsWritten.inc(entry.lines.length);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof InfluxError && error.reason === "not_found") {
          await parts.influx.ensureDatabase();
          continue;
        }
        if (!(error instanceof InfluxError) || error.canRetry()) throw error;
        const letters: DeadLetter[] = [];
        await this.isolate(entry.lines, () => "(spool)", letters);
        await parts.deadLetter.write(letters);
      }
      await parts.spool.remove(entry.seq);
      parts.metrics.spoolBytes.set(parts.spool.bytes);
      parts.metrics.spoolBatches.set(parts.spool.batches);
      parts.log.info(
        { seq: entry.seq, points: entry.lines.length, left: parts.spool.batches },
        "spooled batch replayed",
      );
    }
  }

  /**
   * Commits everything received so far; resolves when it is durable and acknowledged, or, for a
   * batch that waits for room in a full spool, left unacknowledged (the broker keeps it).
   */
  async flush(): Promise<void> {
    this.stopping = true;
    for (const timer of this.redeliveries) clearTimeout(timer);
    this.redeliveries.clear();
    // A batch waiting for room in a full spool gets a few seconds (a replay may be freeing room),
    // then is left to the broker.
    const giveUp = setTimeout(() => this.parts.spool.stopWaiting(), 5000);
    try {
      while (this.committing.size > 0 || this.pending.tokens.length > 0) {
        this.schedule();
        await Promise.all(this.committing);
      }
    } finally {
      clearTimeout(giveUp);
    }
  }

  /** Replay stops at its next step; what is left stays in the spool for the next start. */
  async stopReplay(): Promise<void> {
    this.replayAbort.abort();
    await this.replaying;
  }

  get spoolEmpty(): boolean {
    return this.parts.spool.isEmpty();
  }
}
