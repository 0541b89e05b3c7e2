import { lineLetter } from "./identifiers.ts";
import { PARTS, type PartSpec } from "./product.ts";
import type { Rng } from "./random.ts";

/** A reel (or tray) on a feeder of the pick-and-place. */
export interface Reel {
  readonly reel: string;
  readonly part: string;
  readonly lot: string;
  readonly supplier: string;
  readonly dateCode: string;
  /** Components left, pieces. */
  remaining: number;
}

/** A lot forced onto a feeder, e.g. the bad lot of a scenario. */
export interface LotOverride {
  readonly supplier: string;
  readonly lot: string;
  readonly dateCode: string;
}

/** A reel replaced on a feeder. */
export interface ReelChange {
  readonly feeder: string;
  readonly previous: Reel;
  readonly next: Reel;
  /** The reel ran empty before the operator spliced the next one: the machine stopped. */
  readonly ranEmpty: boolean;
}

interface LotState {
  supplier: string;
  lotPrefix: string;
  lot: string;
  dateCode: string;
  reelsLeft: number;
}

/** The feeders of one line's pick-and-place: which reel each part is taken from. */
export class FeederBank {
  private readonly reels = new Map<string, Reel>();
  private readonly lots = new Map<string, LotState>();
  private readonly overrides = new Map<string, LotOverride>();
  private reelSequence = 0;

  constructor(
    private readonly rng: Rng,
    private readonly lineIndex: number,
    private readonly start: number,
  ) {
    for (const spec of PARTS) {
      // The line starts the shift with reels already part used.
      const reel = this.newReel(spec);
      reel.remaining = Math.max(1, Math.round(spec.reelQuantity * this.rng.between(0.05, 1)));
      this.reels.set(spec.part, reel);
    }
  }

  /** The reel a part is currently taken from. */
  current(part: string): Reel {
    const reel = this.reels.get(part);
    if (reel === undefined) throw new RangeError(`no feeder holds part ${part}`);
    return reel;
  }

  /**
   * Takes one component of `part`. Returns the reel it came from and, when that emptied the
   * reel, the change to the next one.
   */
  take(part: string): { reel: Reel; change?: ReelChange } {
    const reel = this.current(part);
    reel.remaining -= 1;
    if (reel.remaining > 0) return { reel };
    // Most reels are spliced before they run out; the rest stop the machine.
    const ranEmpty = this.rng.chance(0.3);
    return { reel, change: this.replace(part, ranEmpty) };
  }

  /** From now on new reels of `part` come from this lot; the reel on the feeder is swapped now. */
  forceLot(part: string, lot: LotOverride): ReelChange {
    this.overrides.set(part, lot);
    return this.replace(part, false);
  }

  /** Ends a forced lot and swaps the reel on the feeder for one of a regular lot. */
  releaseLot(part: string): ReelChange {
    this.overrides.delete(part);
    this.lots.delete(part);
    return this.replace(part, false);
  }

  private replace(part: string, ranEmpty: boolean): ReelChange {
    const spec = PARTS.find((candidate) => candidate.part === part) as PartSpec;
    const previous = this.current(part);
    const next = this.newReel(spec);
    this.reels.set(part, next);
    return { feeder: spec.feeder, previous, next, ranEmpty };
  }

  private newReel(spec: PartSpec): Reel {
    this.reelSequence += 1;
    const reel = `R${lineLetter(this.lineIndex)}${String(this.reelSequence).padStart(6, "0")}`;
    const forced = this.overrides.get(spec.part);
    if (forced !== undefined) {
      return { reel, part: spec.part, ...forced, remaining: spec.reelQuantity };
    }
    let lot = this.lots.get(spec.part);
    if (lot === undefined || lot.reelsLeft <= 0) {
      const share = this.rng.weighted(spec.suppliers, (candidate) => candidate.share);
      const made = this.start - this.rng.integer(4, 40) * 7 * 86_400_000;
      const dateCode = yearWeek(made);
      lot = {
        supplier: share.supplier,
        lotPrefix: share.lotPrefix,
        lot: `${share.lotPrefix}${dateCode}-${String(this.rng.integer(1, 8999)).padStart(4, "0")}`,
        dateCode,
        reelsLeft: this.rng.integer(1, 4),
      };
      this.lots.set(spec.part, lot);
    }
    lot.reelsLeft -= 1;
    return {
      reel,
      part: spec.part,
      lot: lot.lot,
      supplier: lot.supplier,
      dateCode: lot.dateCode,
      remaining: spec.reelQuantity,
    };
  }
}

/** YYWW (ISO week) of an epoch-ms time: the date code printed on reels. */
export function yearWeek(t: number): string {
  const date = new Date(t);
  const day = (date.getUTCDay() + 6) % 7;
  const thursday = new Date(
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day + 3),
  );
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.floor((thursday.getTime() - yearStart) / (7 * 86_400_000)) + 1;
  return `${String(thursday.getUTCFullYear()).slice(2)}${String(week).padStart(2, "0")}`;
}
