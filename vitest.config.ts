import { defineConfig } from "vitest/config";

// Unit tests run without services; `*.int.test.ts` files get a private Mosquitto and
// InfluxDB from the global setup (see test/global-setup.ts).
export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    // Speed is measured by the benchmarks, never by tests: a loaded 2-core machine must not fail one.
    testTimeout: 60_000,
    env: { TZ: "UTC" },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**", "data/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**", "data/**"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
