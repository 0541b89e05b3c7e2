/** The Grafana datasource every provisioned dashboard queries (see provisioning/datasources/). */
export const DATASOURCE = { uid: "tracebox-influxdb", type: "influxdb" } as const;
