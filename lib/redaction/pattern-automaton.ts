import {
  BRANCHES,
  buildAutomatonTables,
  ENDS_WHOLE_WORD,
  FIRST_CHILD,
  NONE,
  REPORTS,
  REPORTS_WHOLE_WORD,
  ROOT,
  type AutomatonTables,
  type MaskPattern,
} from './automaton-tables.js';
import { LONG_RUN, ownerOf, RUNS_LONG, RUNS_SHORT, SHORT_RUN } from './plain-runs.js';
import type { SpanCollector } from './span-collector.js';

export type { MaskPattern } from './automaton-tables.js';

const NO_CHECKPOINTS: readonly number[] = [];

/**
 * An Aho-Corasick automaton over UTF-16 code units, in typed arrays (see
 * {@link AutomatonTables}). Built once; {@link scan} is one pass over a text, following
 * failure links, in time linear in the text's length.
 *
 * At each position it reports the longest pattern ending there (shorter ones ending there
 * lie inside it) and the longest whole-word pattern that is longer still and does stand
 * alone; the collector merges what overlaps. Whole-word patterns that end in one another
 * cost one boundary check each at a position where they all end (the library's are
 * shorter than 4 characters: 3 checks at most).
 */
export class PatternAutomaton {
  readonly #tables: AutomatonTables;

  private constructor(tables: AutomatonTables) {
    this.#tables = tables;
  }

  /** Number of trie nodes, the root included: one per distinct prefix of the patterns. */
  get nodeCount(): number {
    return this.#tables.label.length;
  }

  /** Bytes held by the automaton's tables. */
  get byteLength(): number {
    const t = this.#tables;
    return (
      t.label.byteLength +
      t.flags.byteLength +
      t.depth.byteLength +
      t.fail.byteLength +
      t.longest.byteLength +
      (t.wordNext?.byteLength ?? 0) +
      t.rootNext.byteLength +
      t.branches.byteLength
    );
  }

  /**
   * Compiles `patterns` (see {@link buildAutomatonTables}); undefined when there is nothing to find.
   *
   * @throws {TypeError} when an entry is neither a string nor a {@link MaskPattern}.
   */
  static build(patterns: Iterable<string | MaskPattern>): PatternAutomaton | undefined {
    const tables = buildAutomatonTables(patterns);
    return tables === undefined ? undefined : new PatternAutomaton(tables);
  }

  /**
   * Where the first pattern written as is may begin in `text`, -1 when none can: for a
   * small set the first occurrence of any (found by `indexOf`), else 0. No occurrence
   * begins before it, so a scan from there finds them all. Linear in the text.
   */
  firstPossibleAt(text: string): number {
    const few = this.#tables.few;
    if (few === undefined) return 0;
    let first = -1;
    for (let p = 0; p < few.length; p++) {
      // Only what begins before the best so far can be earlier.
      const at =
        first === -1 ? text.indexOf(few[p]) : text.slice(0, first + few[p].length - 1).indexOf(few[p]);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    return first;
  }

  /**
   * Feeds `text` through the automaton and hands every masked stretch, in text positions,
   * to `spans`, in order of their end.
   *
   * `checkpoints` (ascending positions, optional) are where a string may have been cut
   * short: there the longest text before the position that begins some pattern is masked
   * too, when it is at least `cutMinLength` long.
   *
   * `from` skips the text before it: right when no pattern begins there and no checkpoint
   * lies there.
   */
  scan(
    text: string,
    spans: SpanCollector,
    checkpoints?: readonly number[],
    cutMinLength = 1,
    from = 0,
  ): void {
    const { label, flags, fail, longest, rootNext, branches, wordNext, depth } = this.#tables;
    // An imported binding is a property read on the module object at each use (in the
    // CommonJS build and under a test runner's transform): the loop reads locals instead.
    const root = ROOT;
    const none = NONE;
    const firstChild = FIRST_CHILD;
    const hasBranches = BRANCHES;
    const reporting = REPORTS | REPORTS_WHOLE_WORD;
    const reportsWholeWord = REPORTS_WHOLE_WORD;
    const endsWholeWord = ENDS_WHOLE_WORD;
    const runsShort = RUNS_SHORT;
    const runsLong = RUNS_LONG;
    const shortRun = SHORT_RUN;
    const longRun = LONG_RUN;
    const owned = this.#tables.owned;
    const runBits = owned === undefined ? 0 : runsShort | runsLong;
    // A run compared and found different is stepped through one code unit at a time, and
    // no run of its size is tried again before its end: each code unit is compared once
    // per size at most, so the scan stays linear.
    let shortFrom = owned === undefined ? Infinity : 0;
    let longFrom = shortFrom;
    const length = text.length;
    const points = checkpoints ?? NO_CHECKPOINTS;
    let pointIndex = 0;
    let checkAt = points.length > 0 ? points[0] : Infinity;
    let state = root;

    for (let at = from; at < length; at++) {
      while (checkAt <= at) {
        const reach = depth[state];
        if (checkAt === at && reach >= cutMinLength) spans.add(at - reach, at);
        checkAt = ++pointIndex < points.length ? points[pointIndex] : Infinity;
      }
      // The root is never inside a run, and most steps of ordinary text end there.
      const plain = state === root ? 0 : flags[state] & runBits;
      if (plain !== 0 && owned !== undefined) {
        const long = (plain & runsLong) !== 0 && at >= longFrom;
        const run = long ? longRun : shortRun;
        const end = at + run;
        if ((long || at >= shortFrom) && end <= length && end <= checkAt) {
          const offset = depth[state];
          if (text.startsWith(ownerOf(owned, state).text.slice(offset, offset + run), at)) {
            state += run;
            at = end - 1;
            continue;
          }
          if (long) longFrom = end;
          else shortFrom = end;
        }
      }
      const code = text.charCodeAt(at);
      for (;;) {
        let next: number;
        if (state === root && code < 256) {
          next = rootNext[code];
        } else {
          const f = flags[state];
          next =
            (f & firstChild) !== 0 && label[state + 1] === code
              ? state + 1
              : (f & hasBranches) !== 0
                ? branches.get(state, code)
                : none;
        }
        if (next !== none) {
          state = next;
          break;
        }
        if (state === root) break;
        state = fail[state];
      }
      const reports = flags[state] & reporting;
      if (reports === 0) continue;
      const end = at + 1;
      const found = longest[state];
      if (found !== 0) spans.add(end - found, end);
      if ((reports & reportsWholeWord) !== 0 && wordNext !== undefined) {
        let word = (flags[state] & endsWholeWord) !== 0 ? state : wordNext[state];
        while (word !== root) {
          const size = depth[word];
          if (size <= found) break;
          if (standsAlone(text, end - size, end)) {
            spans.add(end - size, end);
            break;
          }
          word = wordNext[word];
        }
      }
    }
    for (; pointIndex < points.length; pointIndex++) {
      const reach = depth[state];
      if (points[pointIndex] === length && reach >= cutMinLength) spans.add(length - reach, length);
    }
  }
}

function isWordCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function standsAlone(text: string, start: number, end: number): boolean {
  return (
    (start === 0 || !isWordCode(text.charCodeAt(start - 1))) &&
    (end === text.length || !isWordCode(text.charCodeAt(end)))
  );
}
