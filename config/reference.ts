import { OPTIONS } from "./options.ts";

/** The configuration reference table for the README, generated from {@link OPTIONS}. */
export function referenceMarkdown(): string {
  const rows = Object.values(OPTIONS).map((o) => {
    const def = o.default === undefined ? "(unset)" : `\`${String(o.default)}\``;
    return `| \`${o.env}\` | \`${o.path}\` | ${def} | ${o.secret ? "yes" : ""} | ${o.doc} |`;
  });
  return [
    "| environment | YAML key | default | secret | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
