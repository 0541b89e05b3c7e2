import type { RuleName } from "../spc/index.ts";

/**
 * Subgroups a rule looks at when it fires: the pattern that shows the process out of control.
 * A run of 7 fires on its 7th point, but the process moved at the 1st; the units of all 7 are
 * suspect.
 */
export function patternLength(rule: RuleName, runLength: number): number {
  switch (rule) {
    case "beyond-limits":
    case "we1":
    case "nelson1":
      return 1;
    case "run":
      return runLength;
    case "we2":
    case "nelson5":
      return 3;
    case "we3":
    case "nelson6":
      return 5;
    case "we4":
    case "nelson8":
      return 8;
    case "nelson2":
      return 9;
    case "nelson3":
      return 6;
    case "nelson4":
      return 14;
    case "nelson7":
      return 15;
  }
}

/** A point flagged by one or more rules, at its position in history + new subgroups. */
export interface Flagged {
  readonly position: number;
  /** The longest pattern among the rules that flagged it. */
  readonly pattern: number;
}

/**
 * The recall scope of every flagged point: from the start of its out-of-control episode to the
 * end of its own subgroup (`subgroups` gives where each begins and ends, by position). An episode
 * starts where the pattern of its first flagged point starts, and goes on while flagged points
 * follow each other (a point whose pattern reaches back to the previous flagged point continues
 * it); an episode still open at the end of the last run (`openFrom`) continues into this one.
 * Returns the scopes by position, and where the episode stands after the last subgroup (null when
 * that subgroup was not flagged).
 */
export function recallScopes(
  flagged: readonly Flagged[],
  subgroups: {
    readonly count: number;
    readonly from: ArrayLike<number>;
    readonly to: ArrayLike<number>;
  },
  firstNew: number,
  openFrom: number | null,
): { scopes: Map<number, { from: number; to: number }>; openFrom: number | null } {
  const scopes = new Map<number, { from: number; to: number }>();
  let lastFlagged = openFrom !== null ? firstNew - 1 : Number.NEGATIVE_INFINITY;
  let episodeFrom = openFrom;
  for (const { position, pattern } of [...flagged].sort((a, b) => a.position - b.position)) {
    const start = Math.max(0, position - pattern + 1);
    const startTs = subgroups.from[start] as number;
    episodeFrom =
      episodeFrom !== null && lastFlagged >= start - 1 ? Math.min(episodeFrom, startTs) : startTs;
    scopes.set(position, { from: episodeFrom, to: subgroups.to[position] as number });
    lastFlagged = position;
  }
  const stillOpen = subgroups.count > 0 && lastFlagged === subgroups.count - 1;
  return {
    scopes,
    openFrom: subgroups.count === firstNew ? openFrom : stillOpen ? episodeFrom : null,
  };
}
