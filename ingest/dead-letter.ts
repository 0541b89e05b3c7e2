import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { AppendLog } from "./durable-file.ts";

/** Why a message (or one of its points) was not stored. */
export interface DeadLetter {
  /** epoch ms when the ingestor received it */
  receivedAt: number;
  topic: string;
  /** reason code, the same as the `reason` label of `tracebox_ingest_rejected_total` */
  reason: string;
  /** what was wrong, naming the field */
  detail: string;
  payload: Uint8Array | string;
}

/** Payload bytes kept in a dead-letter record; the rest is cut (the record says so). */
export const DEAD_LETTER_PAYLOAD_LIMIT = 16 * 1024;

// ignoreBOM: keep a leading U+FEFF, so the record holds the payload byte for byte.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function payloadFields(payload: Uint8Array | string): Record<string, unknown> {
  const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
  const truncated = bytes.length > DEAD_LETTER_PAYLOAD_LIMIT;
  const kept = truncated ? bytes.subarray(0, DEAD_LETTER_PAYLOAD_LIMIT) : bytes;
  try {
    return {
      payload: decoder.decode(kept),
      ...(truncated ? { payloadBytes: bytes.length, truncated } : {}),
    };
  } catch {
    // Not UTF-8 (or cut inside a character): keep the exact bytes.
    return {
      payloadBase64: Buffer.from(kept).toString("base64"),
      ...(truncated ? { payloadBytes: bytes.length, truncated } : {}),
    };
  }
}

/**
 * `<dataDir>/dead-letter/<yyyy-mm-dd>.ndjson`, one JSON record per line
 * `{receivedAt, topic, reason, detail, payload}`; a batch of records is durable (fdatasync) when
 * `write` resolves, so a rejected message is acknowledged only once its record is on disk.
 */
export class DeadLetterFile {
  private log: AppendLog | undefined;
  private day = "";

  constructor(readonly dir: string) {}

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const byDay = new Map<string, string[]>();
    for (const l of letters) {
      const day = new Date(l.receivedAt).toISOString().slice(0, 10);
      const record = JSON.stringify({
        receivedAt: new Date(l.receivedAt).toISOString(),
        topic: l.topic,
        reason: l.reason,
        detail: l.detail,
        ...payloadFields(l.payload),
      });
      const list = byDay.get(day) ?? [];
      list.push(record);
      byDay.set(day, list);
    }
    for (const [day, records] of byDay) {
      const log = await this.file(day);
      await log.append(`${records.join("\n")}\n`);
    }
  }

  private async file(day: string): Promise<AppendLog> {
    if (this.log && this.day === day) return this.log;
    await this.log?.close();
    await mkdir(this.dir, { recursive: true });
    this.log = await AppendLog.open(join(this.dir, `${day}.ndjson`));
    this.day = day;
    return this.log;
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = undefined;
  }
}
