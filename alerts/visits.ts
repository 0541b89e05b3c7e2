/**
 * Which units are at which station right now, from the `unit` channel's start / complete events.
 * This is what turns "humidity left its window at 10:42:07" into "hold these 14 boards".
 */
export class VisitTracker {
  private readonly atStation = new Map<string, Map<string, number>>();

  private static key(site: string, line: string, station: string): string {
    return `${site}\u0000${line}\u0000${station}`;
  }

  /** Applies one unit event; events older than what is known for that serial and station are ignored. */
  apply(
    site: string,
    line: string,
    station: string,
    serial: string,
    event: "start" | "complete",
    ts: number,
  ): void {
    const key = VisitTracker.key(site, line, station);
    let units = this.atStation.get(key);
    if (!units) {
      units = new Map();
      this.atStation.set(key, units);
    }
    const since = units.get(serial);
    if (event === "start") {
      if (since === undefined || ts >= since) units.set(serial, ts);
    } else if (since !== undefined && ts >= since) {
      units.delete(serial);
    }
  }

  /** Units at one station, or on a whole line (`station` undefined), or a whole site (`line` undefined too). */
  serials(site: string, line?: string, station?: string): string[] {
    const out = new Set<string>();
    for (const [key, units] of this.atStation) {
      const [s, l, st] = key.split("\u0000");
      if (
        s !== site ||
        (line !== undefined && l !== line) ||
        (station !== undefined && st !== station)
      )
        continue;
      for (const serial of units.keys()) out.add(serial);
    }
    return [...out].sort();
  }

  get size(): number {
    let n = 0;
    for (const units of this.atStation.values()) n += units.size;
    return n;
  }
}
