import type { InfluxClient } from "./client.ts";
import { InfluxError } from "./errors.ts";

/** A line InfluxDB refused, with its reason. */
export interface RejectedLine {
  line: string;
  /** InfluxDB's error text for this line alone. */
  error: string;
}

export interface IsolatedWrite {
  /** Lines InfluxDB accepted (answered 2xx for a part holding them). */
  written: number;
  rejected: RejectedLine[];
}

// A batch too large is split like a batch with a bad line: its halves may pass.
function isSplittable(error: unknown): error is InfluxError {
  return (
    error instanceof InfluxError && (error.reason === "bad_request" || error.reason === "too_large")
  );
}

/**
 * A batch answered 4xx (bad_request): split it in halves recursively to isolate the bad lines;
 * returns what was written and each rejected line with InfluxDB's error text. Retryable errors
 * propagate (the caller spools).
 *
 * InfluxDB 1.x writes the good points of a "partial write" and drops the rest, and rejects a
 * whole batch for a field type conflict inside it: either way the halves are written again,
 * which is harmless as a point with the same series and time overwrites itself. Cost: about
 * 2·k·log2(n) requests for k bad lines in n.
 */
export async function writeIsolating(
  client: Pick<InfluxClient, "write">,
  lines: readonly string[],
): Promise<IsolatedWrite> {
  const result: IsolatedWrite = { written: 0, rejected: [] };
  await isolate(client, lines, result);
  return result;
}

async function isolate(
  client: Pick<InfluxClient, "write">,
  lines: readonly string[],
  result: IsolatedWrite,
): Promise<void> {
  if (lines.length === 0) return;
  try {
    await client.write(lines);
    result.written += lines.length;
    return;
  } catch (error) {
    if (!isSplittable(error)) throw error;
    if (lines.length === 1) {
      result.rejected.push({
        line: lines[0] as string,
        error: error.serverMessage ?? error.message,
      });
      return;
    }
  }
  const middle = Math.ceil(lines.length / 2);
  await isolate(client, lines.slice(0, middle), result);
  await isolate(client, lines.slice(middle), result);
}
