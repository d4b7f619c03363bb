/**
 * Long stretches of one pattern that a scan can cross by a native string comparison
 * instead of one step per code unit: inside a 1 MiB value written whole, each step only
 * moves to the next node, and nothing is reported until its end.
 *
 * A node is marked when the nodes after it, up to {@link SHORT_RUN} (or {@link LONG_RUN})
 * further on, are all its pattern's own next nodes (created one after the other, each the
 * first child of the one before) and none of them reports a match. From such a node, a text
 * that continues with the pattern's next code units leaves the automaton that far on, with
 * nothing found on the way. Only the patterns of a small set are kept as text to compare
 * with (see `FEW_PATTERNS`).
 */

/** Node flag: a plain run of {@link SHORT_RUN} nodes follows. */
export const RUNS_SHORT = 64;
/** Node flag: a plain run of {@link LONG_RUN} nodes follows. */
export const RUNS_LONG = 128;
export const SHORT_RUN = 64;
export const LONG_RUN = 4096;

/** The nodes a pattern created, one after the other: `first` to `last`, both included. */
export interface PatternNodes {
  readonly first: number;
  readonly last: number;
  readonly text: string;
}

/**
 * Sets {@link RUNS_SHORT} and {@link RUNS_LONG} on the nodes they apply to.
 *
 * @param reporting the flags of a node that reports a match.
 */
export function markPlainRuns(flags: Uint8Array, owned: readonly PatternNodes[], reporting: number): void {
  for (const { first, last } of owned) {
    // Plain steps from `node` on: the next node's run plus one, unless the next one reports.
    let run = 0;
    for (let node = last - 1; node >= first; node--) {
      run = (flags[node + 1] & reporting) === 0 ? run + 1 : 0;
      if (run >= SHORT_RUN) flags[node] |= RUNS_SHORT;
      if (run >= LONG_RUN) flags[node] |= RUNS_LONG;
    }
  }
}

/** The pattern whose own node `node` is (see {@link markPlainRuns}): the caller knows there is one. */
export function ownerOf(owned: readonly PatternNodes[], node: number): PatternNodes {
  let k = 0;
  while (k < owned.length - 1 && owned[k].last < node) k++;
  return owned[k];
}
