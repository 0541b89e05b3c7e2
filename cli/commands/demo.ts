import { loadConfig } from "../../config/index.ts";
import {
  brokerHealth,
  databaseHealth,
  isLoopbackUrl,
  localServicesFrom,
  ServicesError,
  servicesUp,
} from "../../services/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox demo`: the whole pipeline on this machine, narrated for a first-time user. */
export const demoCommand: CommandModule = (program) => {
  program
    .command("demo")
    .description("start the local services and show the pipeline working end to end")
    .action(async () => {
      const { config } = loadConfig();
      const say = (line: string) => process.stdout.write(`${line}\n`);
      if (isLoopbackUrl(config.mqttUrl) && isLoopbackUrl(config.influxUrl)) {
        try {
          await servicesUp(localServicesFrom(config), {
            install: config.manageServicesInstall,
            log: say,
          });
        } catch (error) {
          if (error instanceof ServicesError) throw new CliError(error.message);
          throw error;
        }
      }
      const health = [
        await brokerHealth(config.mqttUrl, {
          username: config.mqttUsername,
          password: config.mqttPassword,
        }),
        await databaseHealth(config.influxUrl),
      ];
      for (const h of health) say(`${h.ok ? "ok  " : "FAIL"} ${h.name.padEnd(10)} ${h.detail}`);
      if (health.some((h) => !h.ok)) throw new CliError("a service is not healthy; see above");
    });
};
