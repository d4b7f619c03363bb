import { BranchTable } from './branch-table.js';
import { markPlainRuns, type PatternNodes } from './plain-runs.js';

/** A text to mask, and where it counts as found. */
export interface MaskPattern {
  /** The text, compared code unit by code unit (case-sensitive). */
  readonly text: string;
  /**
   * Only where it stands as a whole word: no ASCII letter or digit right before or after it.
   * For short values that would otherwise be masked inside ordinary words.
   * @default false
   */
  readonly wholeWord?: boolean;
}

// Node flags (RUNS_SHORT and RUNS_LONG are plain-runs.ts'). The trie is numbered so that a node's first child, when it has one, is the
// very next node: a pattern's new nodes are created one after the other. Other children
// (where patterns part ways) are few, one per pattern at most, and live in a BranchTable.
export const FIRST_CHILD = 1;
export const BRANCHES = 2;
export const ENDS_ANYWHERE = 4;
export const ENDS_WHOLE_WORD = 8;
/** Some anywhere-pattern ends at the node or down its failure chain (`longest` is not 0). */
export const REPORTS = 16;
/** Some whole-word pattern ends at the node or down its failure chain. */
export const REPORTS_WHOLE_WORD = 32;

export const ROOT = 0;
/** Node 0 is the root and never anyone's child, so 0 also means "no such child". */
export const NONE = 0;

/**
 * The Aho-Corasick automaton of a set of patterns, in typed arrays indexed by node: about
 * 15 bytes a node, one node per distinct prefix of the patterns.
 */
export interface AutomatonTables {
  /** The code unit on the edge into the node. */
  readonly label: Uint16Array;
  readonly flags: Uint8Array;
  /** Length of the node's text. */
  readonly depth: Int32Array;
  /** The node of the longest proper suffix of the node's text that is in the trie. */
  readonly fail: Int32Array;
  /** Length of the longest anywhere-pattern that is a suffix of the node's text, or 0. */
  readonly longest: Int32Array;
  /** The next node down the failure chain that ends a whole-word pattern, or 0; undefined without any. */
  readonly wordNext: Int32Array | undefined;
  readonly branches: BranchTable;
  /** The root's children for code units below 256: the root is where most steps end up. */
  readonly rootNext: Int32Array;
  /** The pattern texts themselves, kept for a set this small (see {@link FEW_PATTERNS}); else undefined. */
  readonly few: readonly string[] | undefined;
  /** For a set this small, the nodes each pattern created (see `markPlainRuns`); else undefined. */
  readonly owned: readonly PatternNodes[] | undefined;
}

/**
 * Up to this many patterns, the texts are kept as well: asking the engine's native
 * `indexOf` for each costs less than a scan, and tells a text that holds none of them.
 */
export const FEW_PATTERNS = 16;

/**
 * Compiles `patterns` (strings are masked anywhere) into automaton tables, in time linear
 * in their total length. Duplicates and empty texts are dropped; a text given both ways is
 * masked anywhere (a superset). Undefined when nothing is left to find.
 *
 * @throws {TypeError} when an entry is neither a string nor a {@link MaskPattern}.
 */
export function buildAutomatonTables(patterns: Iterable<string | MaskPattern>): AutomatonTables | undefined {
  const { texts, kinds } = distinctPatterns(patterns);
  if (texts.length === 0) return undefined;

  let capacity = 1;
  for (let p = 0; p < texts.length; p++) capacity += texts[p].length;
  const label = new Uint16Array(capacity);
  const flags = new Uint8Array(capacity);
  const depth = new Int32Array(capacity);
  const parent = new Int32Array(capacity);
  // Each pattern adds one branch at most: where it leaves the nodes already there.
  const branches = new BranchTable(texts.length);
  const childOf = (node: number, code: number): number => {
    const f = flags[node];
    if ((f & FIRST_CHILD) !== 0 && label[node + 1] === code) return node + 1;
    return (f & BRANCHES) !== 0 ? branches.get(node, code) : NONE;
  };

  let count = 1;
  let anyWholeWord = false;
  const few = texts.length <= FEW_PATTERNS;
  const owned: PatternNodes[] = [];
  for (let p = 0; p < texts.length; p++) {
    const text = texts[p];
    let node = ROOT;
    let at = 0;
    for (; at < text.length; at++) {
      const next = childOf(node, text.charCodeAt(at));
      if (next === NONE) break;
      node = next;
    }
    const first = count;
    for (; at < text.length; at++) {
      const created = count++;
      const code = text.charCodeAt(at);
      label[created] = code;
      depth[created] = at + 1;
      parent[created] = node;
      if ((flags[node] & FIRST_CHILD) === 0 && created === node + 1) {
        flags[node] |= FIRST_CHILD;
      } else {
        branches.set(node, code, created);
        flags[node] |= BRANCHES;
      }
      node = created;
    }
    if (few && node >= first) owned.push({ first, last: node, text });
    // Texts are distinct, so a node ends one of them at most.
    flags[node] |= kinds[p];
    if (kinds[p] === ENDS_WHOLE_WORD) anyWholeWord = true;
  }

  const fail = new Int32Array(count);
  const longest = new Int32Array(count);
  const wordNext = anyWholeWord ? new Int32Array(count) : undefined;
  // A failure link points at a shallower node, so nodes are linked in order of depth.
  const order = byDepth(depth, count);
  for (let k = 0; k < order.length; k++) {
    const node = order[k];
    const code = label[node];
    const up = parent[node];
    let link = ROOT;
    if (up !== ROOT) {
      for (let candidate = fail[up]; ; candidate = fail[candidate]) {
        const next = childOf(candidate, code);
        if (next !== NONE) {
          link = next;
          break;
        }
        if (candidate === ROOT) break;
      }
    }
    fail[node] = link;
    longest[node] = (flags[node] & ENDS_ANYWHERE) !== 0 ? depth[node] : longest[link];
    if (longest[node] !== 0) flags[node] |= REPORTS;
    if (wordNext !== undefined) {
      wordNext[node] = (flags[link] & ENDS_WHOLE_WORD) !== 0 ? link : wordNext[link];
      if ((flags[node] & ENDS_WHOLE_WORD) !== 0 || wordNext[node] !== ROOT) flags[node] |= REPORTS_WHOLE_WORD;
    }
  }

  markPlainRuns(flags, owned, REPORTS | REPORTS_WHOLE_WORD);

  const rootNext = new Int32Array(256);
  for (let code = 0; code < 256; code++) rootNext[code] = childOf(ROOT, code);
  // Shared prefixes leave the upper bound unused: keep only what holds nodes.
  const fits = count === capacity;
  return {
    label: fits ? label : label.slice(0, count),
    flags: fits ? flags : flags.slice(0, count),
    depth: fits ? depth : depth.slice(0, count),
    fail,
    longest,
    wordNext,
    branches,
    rootNext,
    few: few ? texts : undefined,
    owned: few ? owned : undefined,
  };
}

function distinctPatterns(patterns: Iterable<string | MaskPattern>): { texts: string[]; kinds: number[] } {
  const index = new Map<string, number>();
  const texts: string[] = [];
  const kinds: number[] = [];
  for (const pattern of patterns) {
    const text = typeof pattern === 'string' ? pattern : pattern.text;
    // A message naming the entry could quote a value: this one never does.
    if (typeof text !== 'string') throw new TypeError('A mask pattern must be a string');
    if (text.length === 0) continue;
    const kind = typeof pattern !== 'string' && pattern.wholeWord === true ? ENDS_WHOLE_WORD : ENDS_ANYWHERE;
    const known = index.get(text);
    if (known === undefined) {
      index.set(text, texts.length);
      texts.push(text);
      kinds.push(kind);
    } else if (kind === ENDS_ANYWHERE) {
      kinds[known] = ENDS_ANYWHERE;
    }
  }
  return { texts, kinds };
}

/** Node ids 1..count-1 ordered by depth (a counting sort). */
function byDepth(depth: Int32Array, count: number): Int32Array {
  let deepest = 0;
  for (let node = 1; node < count; node++) if (depth[node] > deepest) deepest = depth[node];
  const slots = new Int32Array(deepest + 2);
  for (let node = 1; node < count; node++) slots[depth[node] + 1]++;
  for (let d = 1; d < slots.length; d++) slots[d] += slots[d - 1];
  const order = new Int32Array(count - 1);
  for (let node = 1; node < count; node++) order[slots[depth[node]]++] = node;
  return order;
}
