// Writes docs/schema/<payload>.schema.json from the TypeBox definitions of the MQTT contract.
// Run: npx tsx scripts/gen-schemas.ts   (a unit test fails when the committed files drift)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchemas, schemaFileText } from "../ingest/contract/json-schema.ts";

const dir = fileURLToPath(new URL("../docs/schema/", import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  const file = join(dir, `${name}.schema.json`);
  writeFileSync(file, schemaFileText(schema));
  console.log(`wrote ${file}`);
}
