import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** What `/healthz` reports: healthy or not, and why. */
export type HealthCheck = () => { healthy: boolean; detail: Record<string, unknown> };

/** `/metrics` (Prometheus text) and `/healthz` (JSON; 503 when unhealthy) on host:port. */
export async function startStatusServer(options: {
  host: string;
  port: number;
  registry: Registry;
  health: HealthCheck;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (path === "/metrics") {
      options.registry.metrics().then(
        (text) =>
          response.writeHead(200, { "content-type": options.registry.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
      return;
    }
    if (path === "/healthz") {
      const { healthy, detail } = options.health();
      response
        .writeHead(healthy ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify({ status: healthy ? "ok" : "unhealthy", ...detail }));
      return;
    }
    response
      .writeHead(404, { "content-type": "text/plain" })
      .end("not found: try /metrics or /healthz\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
