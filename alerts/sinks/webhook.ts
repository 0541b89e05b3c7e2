import type { Counter, Gauge } from "prom-client";
import type { Alert, AlertSink } from "../types.ts";
import { DeliveryQueue } from "./queue.ts";

export interface WebhookSinkOptions {
  url: string;
  /** Per request, ms. */
  timeoutMs: number;
  /** Alerts held while the receiver is slow or down. */
  queueSize: number;
  /** Attempts per alert; default 8. */
  maxAttempts?: number;
  /** First backoff ceiling, ms; default 250. */
  baseDelayMs?: number;
  failures?: Counter<"sink">;
  dropped?: Counter<"sink" | "reason">;
  queued?: Gauge<"sink">;
}

/** POSTs each alert as JSON; retried with backoff on network errors and non-2xx answers. */
export class WebhookSink implements AlertSink {
  readonly name: string;
  private readonly queue: DeliveryQueue;

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = `webhook ${new URL(options.url).host}`;
    const label = { sink: "webhook" };
    this.queue = new DeliveryQueue(
      {
        capacity: options.queueSize,
        maxAttempts: options.maxAttempts ?? 8,
        baseDelayMs: options.baseDelayMs ?? 250,
        maxDelayMs: 30_000,
        onFailure: () => options.failures?.inc(label),
        onDrop: (reason) => options.dropped?.inc({ ...label, reason }),
      },
      (alert) => this.post(alert),
    );
  }

  private async post(alert: Alert): Promise<void> {
    const response = await fetch(this.options.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  }

  send(alert: Alert): void {
    this.queue.push(alert);
    this.options.queued?.set({ sink: "webhook" }, this.queue.length);
  }

  drain(timeoutMs: number): Promise<void> {
    return this.queue.drain(timeoutMs);
  }

  async close(): Promise<void> {
    this.queue.close();
  }
}
