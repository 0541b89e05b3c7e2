export { ensureBinaries, findBinary, INFLUXD, installCommand, MOSQUITTO } from "./binaries.ts";
export { DEFAULT_LOCAL_SERVICES, type LocalServicesOptions } from "./configs.ts";
export { brokerHealth, databaseHealth, type Health } from "./health.ts";
export {
  isLoopbackUrl,
  localServicesFrom,
  type ServiceName,
  type ServiceStatus,
  ServicesError,
  servicesDown,
  servicesStatus,
  servicesUp,
} from "./local.ts";
export { freePort, portOpen } from "./process.ts";
