import { renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { deviceHistoryReport, serialRecord } from "../../analytics/trace/index.ts";
import { warehouseAccess, warehouseOption, withTraceStore } from "./export.ts";
import type { CommandModule } from "./index.ts";

/** `tracebox report SN --out file.html`: the device history record of one unit, printable HTML. */
export const reportCommand: CommandModule = (program) => {
  const command = program
    .command("report <serial>")
    .description(
      "the device history record of a unit as a printable HTML page (visit timeline, reflow profile, SPI, tests against limits, materials, events, containers, gaps)",
    )
    .option("--out <file>", "write the page here (default: stdout)");
  warehouseOption(command).action(
    async (serial: string, opts: { out?: string; warehouse: string }) => {
      const access = warehouseAccess("report", opts.warehouse);
      const html = await withTraceStore("report", access, (store) =>
        store.withSession(async (session) =>
          deviceHistoryReport(await serialRecord(session, serial)),
        ),
      );
      if (opts.out === undefined) {
        process.stdout.write(html);
        return;
      }
      // Written whole or not at all: a half-written page is never left where an auditor looks.
      const file = resolve(opts.out);
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, html);
      renameSync(temporary, file);
      process.stderr.write(`report of ${serial} written to ${file}\n`);
    },
  );
};
