import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query string, parsed against the server's URL. */
  url: URL;
  headers: IncomingHttpHeaders;
  /** The client's port: the same port for two requests means one kept-alive connection. */
  remotePort: number | undefined;
  /** The body as text, gunzipped when it came with `content-encoding: gzip`. */
  body: string;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on a free loopback port that records every request and lets `answer`
 * reply (or not reply, to provoke a timeout). For unit tests of the HTTP paths without InfluxDB.
 */
export async function recordingServer(
  answer: (request: RecordedRequest, response: ServerResponse) => void,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        remotePort: req.socket.remotePort,
        body: (req.headers["content-encoding"] === "gzip"
          ? gunzipSync(Buffer.concat(chunks))
          : Buffer.concat(chunks)
        ).toString("utf8"),
      };
      requests.push(recorded);
      answer(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers like InfluxDB 1.x does: JSON body, and the error repeated in X-Influxdb-Error. */
export function answerJson(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const error = (body as { error?: unknown } | undefined)?.error;
  response.writeHead(status, {
    "content-type": "application/json",
    ...(typeof error === "string" ? { "x-influxdb-error": error.replace(/\n/g, " ") } : {}),
    ...headers,
  });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}
