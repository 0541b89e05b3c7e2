import { loadConfig } from "../../config/index.ts";
import {
  ensureBinaries,
  INFLUXD,
  isLoopbackUrl,
  localServicesFrom,
  MOSQUITTO,
  type ServiceStatus,
  ServicesError,
  servicesDown,
  servicesStatus,
  servicesUp,
} from "../../services/index.ts";
import { CliError } from "../errors.ts";
import type { CommandModule } from "./index.ts";

function print(statuses: ServiceStatus[]): void {
  for (const s of statuses) {
    const detail =
      s.state === "running"
        ? `pid ${s.pid}`
        : s.state === "port-taken"
          ? `port taken by another process; try ${s.hint}`
          : "";
    process.stdout.write(
      `${s.name.padEnd(10)} ${s.state.padEnd(10)} port ${String(s.port).padEnd(6)} ${detail}\n`,
    );
  }
}

function local() {
  const { config } = loadConfig();
  for (const url of [config.mqttUrl, config.influxUrl]) {
    if (!isLoopbackUrl(url)) {
      throw new CliError(
        `${url} is not on this machine: \`tracebox services\` manages only local services`,
        2,
      );
    }
  }
  return { config, options: localServicesFrom(config) };
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ServicesError) throw new CliError(error.message, 1);
    throw error;
  }
}

/** `tracebox services up|down|status|install`: a real Mosquitto and InfluxDB 1.x on loopback. */
export const servicesCommand: CommandModule = (program) => {
  const services = program
    .command("services")
    .description("local Mosquitto and InfluxDB 1.x for development and the demo");
  services
    .command("up")
    .description(
      "start Mosquitto and InfluxDB with tracebox's configs, data under <dataDir>/services (idempotent)",
    )
    .action(async () => {
      const { config, options } = local();
      const log = (line: string) => process.stdout.write(`${line}\n`);
      print(
        await guarded(() => servicesUp(options, { install: config.manageServicesInstall, log })),
      );
    });
  services
    .command("down")
    .description("stop what `up` started (by pid file); nothing else")
    .action(async () => {
      const { options } = local();
      await servicesDown(options, (line) => process.stdout.write(`${line}\n`));
      print(await servicesStatus(options));
    });
  services
    .command("status")
    .description("running / stopped / port taken, per service")
    .action(async () => {
      const { options } = local();
      const statuses = await servicesStatus(options);
      print(statuses);
      if (statuses.some((s) => s.state !== "running")) process.exitCode = 3;
    });
  services
    .command("install")
    .description(
      "install Debian's mosquitto and influxdb packages when missing (as root), or print the command",
    )
    .action(() => {
      const { config } = loadConfig();
      const result = ensureBinaries([MOSQUITTO, INFLUXD], {
        install: config.manageServicesInstall,
        log: (line) => process.stdout.write(`${line}\n`),
      });
      if (!result.ok) throw new CliError(result.message, 1);
    });
};
