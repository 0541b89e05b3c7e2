/** A closed range of a characteristic, in its own unit. */
export interface Window {
  low: number;
  high: number;
}

/** What the generated dashboards and alert rules are made from. */
export interface DashboardOptions {
  /** Base URL of tracebox's HTTP API that the board history links a serial's export to. Default `http://127.0.0.1:9470`. */
  apiUrl: string;
  /**
   * YAML configuration whose `alerts` section gives the spec limits drawn as thresholds and mirrored
   * as Grafana alert rules, relative to the repository root or absolute. Default `tracebox.example.yaml`.
   */
  configPath: string;
  /** Grafana folder the dashboards and alert rules are provisioned into. Default `tracebox`. */
  folder: string;
  /** Where Grafana's contact point posts alert notifications; default `$GRAFANA_ALERT_WEBHOOK_URL`, which Grafana expands from its environment at provisioning (docker-compose.yml sets it). */
  alertWebhookUrl: string;
  /**
   * The profiler's signal channel and thermocouple fields, and the window of the board's solder
   * paste (SAC305): liquidus °C, peak °C, time above liquidus s, soak band °C. Default channel
   * `profile` with `tc1_c`, `tc2_c`, `tc3_c`; liquidus 217, peak 240–250, TAL 45–90, soak 150–200.
   */
  reflowProfile: {
    measurement: string;
    thermocouples: readonly string[];
    liquidusC: number;
    peakC: Window;
    timeAboveLiquidusS: Window;
    soakC: Window;
  };
  /** Paste volume window of a pad at SPI, % of the stencil aperture. Default 50–150. */
  spiVolumePct: Window;
  /** FPY / RTY below this is shown red, fraction 0..1. Default 0.95. */
  yieldAlarm: number;
  /** FPY / RTY below this (and above `yieldAlarm`) is shown amber, fraction 0..1. Default 0.98. */
  yieldWarning: number;
  /** Cpk / Ppk below this is shown red. Default 1.0. */
  capabilityAlarm: number;
  /** Cpk / Ppk below this (and above `capabilityAlarm`) is shown amber. Default 1.33. */
  capabilityWarning: number;
}

export const DEFAULT_DASHBOARD_OPTIONS: Readonly<DashboardOptions> = Object.freeze({
  apiUrl: "http://127.0.0.1:9470",
  configPath: "tracebox.example.yaml",
  folder: "tracebox",
  alertWebhookUrl: "$GRAFANA_ALERT_WEBHOOK_URL",
  reflowProfile: Object.freeze({
    measurement: "profile",
    thermocouples: Object.freeze(["tc1_c", "tc2_c", "tc3_c"]),
    liquidusC: 217,
    peakC: Object.freeze({ low: 240, high: 250 }),
    timeAboveLiquidusS: Object.freeze({ low: 45, high: 90 }),
    soakC: Object.freeze({ low: 150, high: 200 }),
  }),
  spiVolumePct: Object.freeze({ low: 50, high: 150 }),
  yieldAlarm: 0.95,
  yieldWarning: 0.98,
  capabilityAlarm: 1,
  capabilityWarning: 1.33,
});

/** Problems with dashboard options, one line each naming the field. */
export class DashboardOptionsError extends Error {
  readonly reason = "invalid_dashboard_options";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "DashboardOptionsError";
  }
}

function checkWindow(name: string, w: Window, problems: string[]): void {
  if (!(Number.isFinite(w.low) && Number.isFinite(w.high) && w.low < w.high))
    problems.push(`${name}=${JSON.stringify(w)}: expected finite low below high`);
}

/** Defaults filled in and every field checked; throws {@link DashboardOptionsError} naming each bad field. */
export function resolveDashboardOptions(options: Partial<DashboardOptions> = {}): DashboardOptions {
  const o: DashboardOptions = { ...DEFAULT_DASHBOARD_OPTIONS, ...options };
  const problems: string[] = [];
  for (const key of ["apiUrl", "alertWebhookUrl"] as const) {
    // A $VARIABLE is expanded by Grafana from its environment when it reads the provisioning.
    if (!/^https?:\/\/[^/\s]+/.test(o[key]) && !/^\$[A-Z][A-Z0-9_]*$/.test(o[key]))
      problems.push(
        `${key}=${JSON.stringify(o[key])}: expected an http(s) URL or a $ENVIRONMENT_VARIABLE`,
      );
  }
  if (o.configPath.trim() === "") problems.push(`configPath="": expected a file path`);
  if (!/^[A-Za-z0-9 _.-]{1,64}$/.test(o.folder))
    problems.push(`folder=${JSON.stringify(o.folder)}: expected a name of [A-Za-z0-9 _.-]{1,64}`);
  checkWindow("reflowProfile.peakC", o.reflowProfile.peakC, problems);
  checkWindow("reflowProfile.soakC", o.reflowProfile.soakC, problems);
  checkWindow("reflowProfile.timeAboveLiquidusS", o.reflowProfile.timeAboveLiquidusS, problems);
  const fieldName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(o.reflowProfile.measurement))
    problems.push(
      `reflowProfile.measurement=${JSON.stringify(o.reflowProfile.measurement)}: expected a signal channel name`,
    );
  if (
    o.reflowProfile.thermocouples.length === 0 ||
    !o.reflowProfile.thermocouples.every((f) => fieldName.test(f))
  )
    problems.push(
      `reflowProfile.thermocouples=${JSON.stringify(o.reflowProfile.thermocouples)}: expected field names of the profile channel`,
    );
  checkWindow("spiVolumePct", o.spiVolumePct, problems);
  if (!(o.yieldAlarm > 0 && o.yieldAlarm < o.yieldWarning && o.yieldWarning <= 1))
    problems.push(
      `yieldAlarm=${o.yieldAlarm}, yieldWarning=${o.yieldWarning}: expected 0 < yieldAlarm < yieldWarning <= 1`,
    );
  if (!(o.capabilityAlarm > 0 && o.capabilityAlarm < o.capabilityWarning))
    problems.push(
      `capabilityAlarm=${o.capabilityAlarm}, capabilityWarning=${o.capabilityWarning}: expected 0 < capabilityAlarm < capabilityWarning`,
    );
  if (problems.length > 0) throw new DashboardOptionsError(problems);
  return o;
}
