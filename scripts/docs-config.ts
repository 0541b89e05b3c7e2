// Rewrites the configuration reference in README.md from the option table (config/options.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { referenceMarkdown } from "../config/index.ts";

const path = new URL("../README.md", import.meta.url);
const readme = readFileSync(path, "utf8");
const start = "<!-- config:start -->";
const end = "<!-- config:end -->";
const before = readme.slice(0, readme.indexOf(start) + start.length);
const after = readme.slice(readme.indexOf(end));
writeFileSync(path, `${before}\n${referenceMarkdown()}\n${after}`);
