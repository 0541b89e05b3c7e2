import { isDeepStrictEqual } from "node:util";

/**
 * Whether a committed provisioning file says what the code generates: JSON compared as data (the
 * formatter lays the committed copy out), everything else compared as text.
 */
export function sameGeneratedFile(path: string, committed: string, generated: string): boolean {
  if (!path.endsWith(".json")) return committed === generated;
  try {
    return isDeepStrictEqual(JSON.parse(committed), JSON.parse(generated));
  } catch {
    return false;
  }
}
