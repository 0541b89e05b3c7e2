import { openTraceStore, startTraceServer } from "../../analytics/trace/index.ts";
import { loadConfig } from "../../config/index.ts";
import { CliError } from "../errors.ts";
import { cliError, EXIT, warehouseAccess, warehouseOption } from "./export.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox serve`: the traceability HTTP API until SIGTERM / SIGINT. */
export const serveCommand: CommandModule = (program) => {
  const command = program
    .command("serve")
    .description(
      "serve the traceability API (records, exports, reports, genealogy, levels, /healthz, /metrics); loopback unless TRACEBOX_API_TOKEN is set",
    )
    .option("--host <host>", "address to bind (default: http.host, TRACEBOX_HTTP_HOST)")
    .option("--port <port>", "TCP port (default: api.port, TRACEBOX_API_PORT, 9470)");
  warehouseOption(command).action(
    async (opts: { host?: string; port?: string; warehouse: string }) => {
      const { config } = loadConfig();
      const port = opts.port === undefined ? config.apiPort : Number(opts.port);
      if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
        throw new CliError(`serve: --port '${opts.port}': expected 0..65535`, EXIT.usage);
      const host = opts.host ?? config.httpHost;
      let store: Awaited<ReturnType<typeof openTraceStore>> | undefined;
      let server: Awaited<ReturnType<typeof startTraceServer>> | undefined;
      try {
        store = await openTraceStore(config, warehouseAccess("serve", opts.warehouse));
        server = await startTraceServer(store, { host, port, token: config.apiToken });
      } catch (error) {
        await store?.close();
        throw cliError("serve", error);
      }
      process.stderr.write(
        `traceability API at ${server.url} (${config.apiToken ? "bearer token required" : "loopback, no token"}); archive ${store.options.archiveDir}, warehouse ${store.options.warehousePath} (${store.options.warehouse})\n`,
      );
      const running = server;
      const opened = store;
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGTERM", stop);
          process.off("SIGINT", stop);
          running
            .close()
            .then(() => opened.close())
            .then(resolve, resolve);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      });
    },
  );
};
