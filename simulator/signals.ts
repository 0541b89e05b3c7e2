import type { EventQueue, ScheduledEvent } from "./events.ts";

/** One reading of a signal channel, as published. */
export interface SignalSample {
  ts: number;
  serial?: string;
  values: Record<string, number>;
}

/**
 * A sensor sampled at a fixed rate and published in batches: one `{samples}` message each
 * time `perMessage` readings have accumulated, stamped at the time of its last reading.
 */
export class SignalStream {
  private index = 0;
  private pending: ScheduledEvent | undefined;
  private stopped = false;

  constructor(
    private readonly queue: EventQueue,
    private readonly publish: (samples: SignalSample[]) => void,
    /** Time of the first reading, epoch ms. */
    private readonly origin: number,
    private readonly rateHz: number,
    private readonly perMessage: number,
    /** The reading at `t`; called in time order. */
    private readonly read: (t: number) => Record<string, number>,
    /** Serial the readings belong to (a profiler riding on a board). */
    private readonly serial?: string,
    /** Last moment to read, epoch ms; the stream flushes and ends there by itself. */
    private readonly until?: number,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Publishes the readings up to now and ends the stream. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pending) this.pending.cancelled = true;
    this.flush(this.queue.now);
  }

  private timeOf(index: number): number {
    return this.origin + Math.round((index * 1000) / this.rateHz);
  }

  private schedule(): void {
    let at = this.timeOf(this.index + this.perMessage - 1);
    if (this.until !== undefined && at >= this.until) at = this.until;
    this.pending = this.queue.at(at, () => {
      this.pending = undefined;
      this.flush(this.queue.now);
      if (this.until !== undefined && this.queue.now >= this.until) {
        this.stopped = true;
        return;
      }
      if (!this.stopped) this.schedule();
    });
  }

  private flush(upTo: number): void {
    const samples: SignalSample[] = [];
    while (samples.length < this.perMessage) {
      const t = this.timeOf(this.index);
      if (t > upTo) break;
      const values = this.read(t);
      samples.push(
        this.serial === undefined ? { ts: t, values } : { ts: t, serial: this.serial, values },
      );
      this.index += 1;
    }
    if (samples.length > 0) this.publish(samples);
  }
}
