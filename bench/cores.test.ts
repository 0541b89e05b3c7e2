import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { allowedCpus, parseCpuList, splitCores, withSplitCores } from "./cores.ts";

describe("parseCpuList", () => {
  it("expands ranges and single CPUs", () => {
    expect(parseCpuList("0")).toEqual([0]);
    expect(parseCpuList("0-2,5,7-8")).toEqual([0, 1, 2, 5, 7, 8]);
    expect(() => parseCpuList("a-b")).toThrow(/not a CPU list/);
  });
});

describe("withSplitCores", () => {
  it.skipIf(splitCores() === undefined)(
    "pins the database and this process to disjoint CPUs, then puts both back where they were",
    async () => {
      const child = spawn("sleep", ["60"], { stdio: "ignore" });
      try {
        const pid = child.pid as number;
        const before = { child: allowedCpus(pid), self: allowedCpus() };
        const inside = await withSplitCores([pid], [], async (split) => ({
          split,
          child: allowedCpus(pid),
          self: allowedCpus(),
        }));
        expect(inside).toBeDefined();
        const { child: database, self: rest, split } = inside?.value ?? ({} as never);
        expect(database.join(",")).toBe(split.database);
        expect(rest.join(",")).toBe(split.rest);
        expect(database.filter((cpu) => rest.includes(cpu))).toEqual([]);
        expect({ child: allowedCpus(pid), self: allowedCpus() }).toEqual(before);
      } finally {
        child.kill();
      }
    },
  );

  it.skipIf(splitCores() === undefined)(
    "restores this process when the work fails, and the work's error is what is thrown",
    async () => {
      const before = allowedCpus();
      await expect(
        withSplitCores([], [], async () => {
          throw new Error("work failed");
        }),
      ).rejects.toThrow("work failed");
      expect(allowedCpus()).toEqual(before);
    },
  );
});
