// Writes a static HTML page of the Live SPC and Board history dashboards, drawn from the same
// queries against an InfluxDB, for a reviewer without a Grafana:
//   npm run dashboards:preview -- --influx-url http://127.0.0.1:8086 --db tracebox --serial TBX…
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createInfluxClient } from "../influx/index.ts";
import { renderPreview } from "./preview/index.ts";

const { values } = parseArgs({
  options: {
    "influx-url": {
      type: "string",
      default: process.env.TRACEBOX_INFLUX_URL ?? "http://127.0.0.1:8086",
    },
    db: { type: "string", default: process.env.TRACEBOX_INFLUX_DB ?? "tracebox" },
    serial: { type: "string" },
    characteristic: { type: "string" },
    out: { type: "string", default: "tracebox-preview.html" },
  },
});

const influx = createInfluxClient({
  url: values["influx-url"] as string,
  database: values.db as string,
});
try {
  const html = await renderPreview(influx, {
    ...(values.serial === undefined ? {} : { serial: values.serial }),
    ...(values.characteristic === undefined ? {} : { characteristic: values.characteristic }),
  });
  const out = resolve(values.out as string);
  writeFileSync(out, html);
  console.log(`wrote ${out}`);
} catch (error) {
  console.error(`preview failed: ${(error as Error).message}`);
  process.exit(1);
}
