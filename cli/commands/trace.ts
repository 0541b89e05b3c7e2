import {
  type Backward,
  type Forward,
  type ForwardScope,
  isoTime,
  type ProductLevels,
  parseTime,
  productLevels,
  traceBackward,
  traceForward,
} from "../../analytics/trace/index.ts";
import { CliError } from "../errors.ts";
import { EXIT, warehouseAccess, warehouseOption, withTraceStore } from "./export.ts";
import type { CommandModule } from "./index.ts";

interface TraceCliOptions {
  lot?: string;
  part?: string;
  supplier?: string;
  spcViolation?: string;
  product?: string;
  from?: string;
  to?: string;
  maxUnits?: string;
  format: string;
  warehouse: string;
}

function usage(message: string): CliError {
  return new CliError(`trace: ${message}`, EXIT.usage);
}

const time = (ts: number | null | undefined) => (ts == null ? "-" : isoTime(ts));

function backwardTable(b: Backward): string {
  const lines = [`${b.serial} · ${b.product ?? "product ?"}`, "", "process windows:"];
  for (const v of b.process)
    lines.push(
      `  ${v.line}/${v.station.padEnd(10)} ${time(v.start)} → ${time(v.complete)}  ${v.result ?? v.status}`,
    );
  lines.push("", "lots:");
  for (const l of b.lots)
    lines.push(
      `  ${(l.lot ?? "?").padEnd(16)} ${(l.part ?? "?").padEnd(16)} ${(l.supplier ?? "?").padEnd(22)} dc ${(l.date_code ?? "?").padEnd(6)} ${l.refs.join(" ")}`,
    );
  lines.push("", "containers:");
  for (const c of b.containers)
    lines.push(
      `  ${c.kind.padEnd(9)} ${c.container}  ${time(c.ts)}${c.destination ? `  → ${c.destination}` : ""}`,
    );
  if (b.containers.length === 0) lines.push("  (not packed)");
  return lines.join("\n");
}

function forwardTable(f: Forward): string {
  const scope = Object.entries(f.scope)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const lines = [
    `${f.counts.units} unit${f.counts.units === 1 ? "" : "s"} reached by ${scope}`,
    `  by location: ${
      Object.entries(f.counts.byLocation)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "-"
    }`,
    `  by latest result: ${
      Object.entries(f.counts.byResult)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "-"
    }`,
    "",
  ];
  for (const u of f.units)
    lines.push(
      `  ${u.serial.padEnd(20)} ${(u.latest?.result ?? "-").padEnd(5)} ${u.location.padEnd(9)} ${u.shipment ?? u.pallet ?? u.box ?? `${u.lastSeen?.line ?? "?"}/${u.lastSeen?.station ?? "?"}`}${u.destination ? ` → ${u.destination}` : ""}${u.refs.length > 0 ? `  at ${u.refs.join(" ")}` : ""}`,
    );
  for (const note of f.notes) lines.push(`note: ${note}`);
  return lines.join("\n");
}

function levelsTable(l: ProductLevels): string {
  const lines = [
    `${l.product}: P${l.processLevel} / M${l.materialLevel} supported by every judged unit (${l.judged} of ${l.units}, ${time(l.from)} → ${time(l.to)})`,
    `  units supporting: ${Object.entries(l.supporting)
      .map(([k, n]) => `${k} ${n}`)
      .join("  ")}`,
    "",
    "gaps (units):",
  ];
  for (const g of l.gaps)
    lines.push(
      `  ${g.level} ${g.kind.padEnd(26)} ${String(g.units).padStart(6)}  e.g. ${g.examples.slice(0, 3).join(", ")}`,
    );
  return lines.join("\n");
}

/** `tracebox trace`: genealogy backward (a serial), recall scope forward (a lot, a part, an SPC violation), a product's levels. */
export const traceCommand: CommandModule = (program) => {
  const command = program
    .command("trace [serial]")
    .description(
      "backward: lots, suppliers, date codes and process windows of a serial; forward (--lot, --part [--supplier], --spc-violation): every unit affected, its latest result and where it is; --product: the IPC-1782 levels its data supports",
    )
    .option("--lot <lot>", "forward from a component lot")
    .option("--part <part>", "forward from a part number")
    .option("--supplier <supplier>", "with --part: only from this supplier")
    .option("--spc-violation <id>", "forward from an SPC violation (its alert id)")
    .option(
      "--product <product>",
      "the IPC-1782 levels of a product's units and what holds them back",
    )
    .option(
      "--from <time>",
      "with --product: from this time (default: 7 days before its last unit)",
    )
    .option("--to <time>", "with --product: up to this time")
    .option(
      "--max-units <n>",
      "with --product: judge at most this many units, evenly spread",
      "500",
    )
    .option("--format <format>", "table or json", "table");
  warehouseOption(command).action(async (serial: string | undefined, opts: TraceCliOptions) => {
    const modes = [
      serial !== undefined,
      opts.lot !== undefined,
      opts.part !== undefined,
      opts.spcViolation !== undefined,
      opts.product !== undefined,
    ].filter(Boolean).length;
    if (modes !== 1)
      throw usage("give exactly one of SERIAL, --lot, --part, --spc-violation, --product");
    if (opts.supplier !== undefined && opts.part === undefined)
      throw usage("--supplier goes with --part");
    if (opts.format !== "table" && opts.format !== "json")
      throw usage(`unknown --format '${opts.format}' (expected table or json)`);
    const access = warehouseAccess("trace", opts.warehouse);
    const output = await withTraceStore("trace", access, (store) =>
      store.withSession(async (session) => {
        if (serial !== undefined) {
          const b = await traceBackward(session, serial);
          return opts.format === "json" ? JSON.stringify(b) : backwardTable(b);
        }
        if (opts.product !== undefined) {
          const maxUnits = Number(opts.maxUnits);
          if (!(Number.isInteger(maxUnits) && maxUnits >= 1))
            throw usage(`--max-units must be a whole number >= 1, got '${opts.maxUnits}'`);
          const l = await productLevels(session, opts.product, {
            from: opts.from === undefined ? undefined : parseTime(opts.from),
            to: opts.to === undefined ? undefined : parseTime(opts.to),
            maxUnits,
          });
          return opts.format === "json" ? JSON.stringify(l) : levelsTable(l);
        }
        const scope: ForwardScope =
          opts.lot !== undefined
            ? { lot: opts.lot }
            : opts.part !== undefined
              ? { part: opts.part, supplier: opts.supplier }
              : { spcViolation: opts.spcViolation as string };
        const f = await traceForward(session, scope);
        return opts.format === "json" ? JSON.stringify(f) : forwardTable(f);
      }),
    );
    process.stdout.write(`${output}\n`);
  });
};
