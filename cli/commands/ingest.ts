import { loadConfig } from "../../config/index.ts";
import { startIngestor, subscriptionFilter } from "../../ingest/index.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox ingest`: MQTT → InfluxDB, lossless, until SIGTERM / SIGINT. */
export const ingestCommand: CommandModule = (program) => {
  program
    .command("ingest")
    .description(
      "subscribe to the stations' topics and store every reading in InfluxDB (runs until SIGTERM/SIGINT)",
    )
    .action(async () => {
      const { config } = loadConfig();
      const ingestor = await startIngestor(config);
      process.stderr.write(
        `ingesting ${subscriptionFilter(config)} from ${config.mqttUrl} into ${config.influxUrl}/${config.influxDb}; metrics at ${ingestor.statusUrl}/metrics\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGTERM", stop);
          process.off("SIGINT", stop);
          ingestor.stop().then(resolve, resolve);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      });
    });
};
