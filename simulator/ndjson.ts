import { once } from "node:events";
import type { Writable } from "node:stream";
import type { SimulatedMessage } from "./simulate.ts";

/** One NDJSON line of a message: `{"topic":...,"payload":{...}}`. */
export function ndjsonLine(message: SimulatedMessage): string {
  return `${JSON.stringify({ topic: message.topic, payload: message.payload })}\n`;
}

/**
 * Writes messages as NDJSON, one `{topic, payload}` per line, honouring the stream's
 * back-pressure. Resolves to the number of messages written.
 */
export async function writeNdjson(
  messages: Iterable<SimulatedMessage>,
  out: Writable,
  onMessage?: (message: SimulatedMessage) => void,
): Promise<number> {
  // Many small writes cost more than the JSON itself; lines are gathered into chunks.
  const chunkChars = 1 << 16;
  let chunk = "";
  let count = 0;
  for (const message of messages) {
    chunk += ndjsonLine(message);
    count += 1;
    onMessage?.(message);
    if (chunk.length >= chunkChars) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  if (chunk.length > 0 && !out.write(chunk)) await once(out, "drain");
  return count;
}
