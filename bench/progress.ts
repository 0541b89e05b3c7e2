import cliProgress from "cli-progress";

/** A progress bar for one phase on a terminal; silent when stderr is not a TTY. */
export interface PhaseProgress {
  update(value: number, detail?: string): void;
  stop(): void;
}

export function phaseProgress(title: string, total: number, unit: string): PhaseProgress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${title.padEnd(34)} [{bar}] {percentage}% | {value}/{total} ${unit} | {detail}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      fps: 8,
      formatValue: (v, _options, type) =>
        type === "value" || type === "total" ? Number(v).toLocaleString("en-US") : String(v),
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { detail: "" });
  return {
    update(value, detail = "") {
      bar.update(Math.min(value, total), { detail });
    },
    stop() {
      bar.stop();
    },
  };
}
