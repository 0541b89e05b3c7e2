export { CliError } from "./errors.ts";
export { main } from "./main.ts";
