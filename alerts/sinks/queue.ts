import { backoffDelay } from "../../influx/index.ts";
import type { Alert } from "../types.ts";

export interface DeliveryQueueOptions {
  /** Alerts held at most; the oldest is dropped (and counted) beyond it. */
  capacity: number;
  /** Attempts per alert before it is given up (and counted); default 8. */
  maxAttempts: number;
  /** Backoff: first ceiling and largest ceiling, ms. */
  baseDelayMs: number;
  maxDelayMs: number;
  onFailure(error: Error, attempt: number): void;
  onDrop(reason: "queue_full" | "gave_up"): void;
}

/**
 * A bounded queue with one delivery loop, retries with exponential backoff and full jitter. `push`
 * never waits, so a slow receiver never slows the stream that raised the alert.
 */
export class DeliveryQueue {
  private readonly items: Alert[] = [];
  private running: Promise<void> | undefined;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly options: DeliveryQueueOptions,
    private readonly deliver: (alert: Alert) => Promise<void>,
  ) {}

  get length(): number {
    return this.items.length;
  }

  push(alert: Alert): void {
    if (this.closed) return;
    if (this.items.length >= this.options.capacity) {
      this.items.shift();
      this.options.onDrop("queue_full");
    }
    this.items.push(alert);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
      for (const wake of this.idle.splice(0)) wake();
    });
  }

  private async run(): Promise<void> {
    for (let alert = this.items[0]; alert && !this.closed; alert = this.items[0]) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.deliver(alert);
          break;
        } catch (error) {
          this.options.onFailure(error as Error, attempt);
          if (attempt >= this.options.maxAttempts || this.closed) {
            this.options.onDrop("gave_up");
            break;
          }
          await new Promise((resolve) =>
            setTimeout(resolve, backoffDelay(attempt, { ...this.options, exponentialBase: 2 })),
          );
        }
      }
      // The head may have been dropped by a full queue meanwhile; remove this alert wherever it is.
      const at = this.items.indexOf(alert);
      if (at >= 0) this.items.splice(at, 1);
    }
  }

  async drain(timeoutMs: number): Promise<void> {
    if (!this.running) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise((resolve) => setTimeout(resolve, timeoutMs)),
    ]);
  }

  close(): void {
    this.closed = true;
  }
}
