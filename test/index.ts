export { type TestServices, testServices, uniqueDatabase } from "./services.ts";
