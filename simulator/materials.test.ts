import { describe, expect, it } from "vitest";
import { PARTS, simulateLine } from "./index.ts";

// biome-ignore lint/suspicious/noExplicitAny: payloads are read field by field
type Payload = any;

describe("reels", () => {
  const reelsByPart = new Map<string, string[]>();
  const lotOfReel = new Map<string, string>();
  const placementsOfReel = new Map<string, number>();
  const splices: string[] = [];
  for (const { topic, payload } of simulateLine({ units: 700, signalRateHz: 1, seed: 3 })) {
    const body = payload as Payload;
    if (topic.endsWith("/pnp/event") && body.kind === "splice") splices.push(body.code);
    if (!topic.endsWith("/material")) continue;
    for (const placement of body.placements) {
      const reels = reelsByPart.get(placement.part) ?? [];
      if (reels[reels.length - 1] !== placement.reel) reels.push(placement.reel);
      reelsByPart.set(placement.part, reels);
      lotOfReel.set(placement.reel, placement.lot);
      placementsOfReel.set(placement.reel, (placementsOfReel.get(placement.reel) ?? 0) + 1);
    }
  }

  it("run out and are replaced, each reel used in one stretch", () => {
    const mcu = reelsByPart.get("410-0048-MCU") ?? [];
    // 700 boards from reels of 250: at least two changes.
    expect(mcu.length).toBeGreaterThanOrEqual(3);
    for (const reels of reelsByPart.values()) expect(new Set(reels).size).toBe(reels.length);
    const changes = [...reelsByPart.values()].reduce((sum, reels) => sum + reels.length - 1, 0);
    expect(splices.length).toBe(changes);
  });

  it("give a full reel's quantity to the boards between its splices", () => {
    for (const [part, reels] of reelsByPart) {
      const spec = PARTS.find((candidate) => candidate.part === part);
      // The first reel was part used at the start, the last is still on the feeder.
      for (const reel of reels.slice(1, -1)) {
        expect(placementsOfReel.get(reel), `${part} ${reel}`).toBe(spec?.reelQuantity);
      }
    }
  });

  it("bring new lots", () => {
    const lotChanges = [...reelsByPart.values()].filter(
      (reels) => new Set(reels.map((reel) => lotOfReel.get(reel))).size > 1,
    );
    expect(lotChanges.length).toBeGreaterThan(0);
  });
});
