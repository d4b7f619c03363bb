import { SECRET_MASK } from '../secret.js';

/** Runs of this many characters (as printed, see {@link printedWidth}) or more are masked. */
export const MIN_FRAGMENT_LENGTH = 4;

/** What a {@link FragmentMasker} found in its texts. */
export interface MaskedTexts {
  /** The texts, each maximal masked run replaced by `**********`, in the order given. */
  readonly texts: readonly string[];
  /** For each text, whether it occurs whole inside one of the scanned sources. */
  readonly occursWhole: readonly boolean[];
}

/** Options of a {@link FragmentMasker}. */
export interface FragmentMaskerOptions {
  /**
   * A run of characters shared with a source is masked from this printed width on.
   * @default 4
   */
  readonly minLength?: number;
}

// Joins the texts into one string for the automaton. A noncharacter, so a text almost never
// holds it; if a source does, a match may run across two texts, which only masks more.
const SEPARATOR = 0xffff;
const WORD_CHAR = /[A-Za-z0-9]/;

/**
 * Masks, in a fixed batch of short texts (validation messages, key path segments), every run of
 * consecutive characters that also occurs in one of the sources (secret values and their
 * renderings), once the run is {@link MIN_FRAGMENT_LENGTH} or more characters wide as printed.
 * A whole value registered with {@link wholeWord} is also masked where it stands as a word,
 * whatever its length.
 *
 * The suffix automaton is built over the texts, not over the sources: the texts are small and
 * capped by the caller, the sources can be megabytes. Each source is then streamed through it
 * once (matching statistics), so memory is linear in the texts and time linear in texts plus
 * sources, and a rendering of a value is never kept after its scan.
 *
 * @example
 * const masker = new FragmentMasker(['got "abcdef1234", want a URL']);
 * masker.scan('abcdef1234');
 * masker.result().texts; // ['got "**********", want a URL']
 */
export class FragmentMasker {
  readonly #texts: readonly string[];
  readonly #starts: Int32Array;
  readonly #automaton: TextAutomaton;
  readonly #minLength: number;
  readonly #shortValues = new Set<string>();
  readonly #shortLengths = new Set<number>();

  /** @param texts the texts to mask, each already cut to the length the caller will print. */
  constructor(texts: readonly string[], options: FragmentMaskerOptions = {}) {
    this.#texts = texts;
    this.#minLength = options.minLength ?? MIN_FRAGMENT_LENGTH;
    this.#starts = new Int32Array(texts.length);
    let joinedLength = 0;
    texts.forEach((text, i) => {
      this.#starts[i] = joinedLength;
      joinedLength += text.length + 1;
    });
    this.#automaton = new TextAutomaton(joinedLength);
    for (const text of texts) {
      for (let i = 0; i < text.length; i++) this.#automaton.extend(text.charCodeAt(i));
      this.#automaton.extend(SEPARATOR);
    }
  }

  /** Streams one source (a value, a rendering of one) through the automaton. */
  scan(source: string): void {
    this.#automaton.match(source);
  }

  /**
   * Registers a whole value: scanned as a source, and, when shorter than the minimum length,
   * also masked wherever it stands as a whole word (not inside a longer word).
   */
  wholeWord(value: string): void {
    if (value.length === 0) return;
    this.scan(value);
    if (value.length < this.#minLength) {
      this.#shortValues.add(value);
      this.#shortLengths.add(value.length);
    }
  }

  /** The masked texts. Call once, after every source is scanned. */
  result(): MaskedTexts {
    const longest = this.#automaton.longestMatches();
    const texts: string[] = [];
    const occursWhole: boolean[] = [];
    this.#texts.forEach((text, t) => {
      const start = this.#starts[t];
      const matchEndingAt = (i: number): number => Math.min(longest[start + i], i + 1);
      occursWhole.push(text.length > 0 && matchEndingAt(text.length - 1) >= text.length);
      texts.push(this.#maskOne(text, matchEndingAt));
    });
    return { texts, occursWhole };
  }

  #maskOne(text: string, matchEndingAt: (i: number) => number): string {
    const n = text.length;
    if (n === 0) return text;
    const width = new Float64Array(n + 1); // prefix sums of printed widths
    for (let i = 0; i < n; i++) width[i + 1] = width[i] + printedWidth(text, i);
    const cover = new Int32Array(n + 1); // difference array of masked intervals
    const mark = (from: number, to: number): void => {
      let a = from;
      let b = to;
      if (a > 0 && isLowSurrogate(text, a) && isHighSurrogate(text, a - 1)) a--;
      if (b < n - 1 && isHighSurrogate(text, b) && isLowSurrogate(text, b + 1)) b++;
      cover[a] = cover[a] + 1;
      cover[b + 1] = cover[b + 1] - 1;
    };
    for (let i = 0; i < n; i++) {
      const length = matchEndingAt(i);
      const from = i - length + 1;
      if (length > 0 && width[i + 1] - width[from] >= this.#minLength) mark(from, i);
    }
    for (const length of this.#shortLengths) {
      for (let at = 0; at + length <= n; at++) {
        if (isWholeWord(text, at, length) && this.#shortValues.has(text.slice(at, at + length))) {
          mark(at, at + length - 1);
        }
      }
    }
    let out = '';
    let depth = 0;
    for (let i = 0; i < n; i++) {
      const wasMasked = depth > 0;
      depth += cover[i];
      if (depth > 0) {
        if (!wasMasked) out += SECRET_MASK;
      } else {
        out += text[i];
      }
    }
    return out;
  }
}

/**
 * Convenience form of {@link FragmentMasker}: masks `texts` against every source.
 *
 * @example
 * maskFragments(['bad: s3cr3t-value'], ['s3cr3t-value']).texts; // ['bad: **********']
 */
export function maskFragments(
  texts: readonly string[],
  sources: Iterable<string>,
  options: FragmentMaskerOptions = {},
): MaskedTexts {
  const masker = new FragmentMasker(texts, options);
  for (const source of sources) masker.scan(source);
  return masker.result();
}

/**
 * How many characters the code unit at `i` takes once printed by `JSON.stringify` or
 * `util.inspect` (the wider of the two): `\n` is 2, `\u0001` is 6, a lone surrogate is 6. A
 * run of 3 characters can print as 4 or more, and is then a 4-character fragment on screen.
 */
export function printedWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x20) return c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
  if (c === 0x22 || c === 0x27 || c === 0x5c) return 2;
  if (c >= 0x7f && c <= 0x9f) return 4;
  if (isHighSurrogate(text, i)) return isLowSurrogate(text, i + 1) ? 1 : 6;
  if (isLowSurrogate(text, i)) return isHighSurrogate(text, i - 1) ? 1 : 6;
  return 1;
}

function isHighSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

function isWholeWord(text: string, at: number, length: number): boolean {
  const before = text[at - 1];
  const after = text[at + length];
  return (before === undefined || !WORD_CHAR.test(before)) && (after === undefined || !WORD_CHAR.test(after));
}

/**
 * A suffix automaton over UTF-16 code units, in typed arrays sized once from the text length
 * (at most 2n states and 3n transitions). The root's transitions are a table (ASCII) and a map,
 * because matching falls back to the root at nearly every mismatch; the others are short lists.
 */
class TextAutomaton {
  readonly #length: Int32Array;
  readonly #link: Int32Array;
  readonly #firstEdge: Int32Array;
  readonly #edgeCode: Uint16Array;
  readonly #edgeTo: Int32Array;
  readonly #edgeNext: Int32Array;
  /** Target + 1 of each ASCII root transition (0: none); the rest of the root's are in a map. */
  readonly #rootAscii = new Int32Array(0x80);
  readonly #rootOther = new Map<number, number>();
  /** State holding each prefix of the text, by prefix end. */
  readonly #prefixState: Int32Array;
  /** Longest match a scan left in each state. */
  readonly #best: Int32Array;
  #states = 1;
  #edges = 0;
  #last = 0;
  #extended = 0;

  constructor(textLength: number) {
    const maxStates = 2 * textLength + 1;
    const maxEdges = 3 * textLength + 1;
    this.#length = new Int32Array(maxStates);
    this.#link = new Int32Array(maxStates);
    this.#firstEdge = new Int32Array(maxStates).fill(-1);
    this.#edgeCode = new Uint16Array(maxEdges);
    this.#edgeTo = new Int32Array(maxEdges);
    this.#edgeNext = new Int32Array(maxEdges);
    this.#prefixState = new Int32Array(textLength);
    this.#best = new Int32Array(maxStates);
    this.#link[0] = -1;
  }

  extend(code: number): void {
    const current = this.#newState(this.#length[this.#last] + 1);
    let p = this.#last;
    while (p !== -1 && this.#next(p, code) === -1) {
      this.#setNext(p, code, current);
      p = this.#link[p];
    }
    if (p === -1) {
      this.#link[current] = 0;
    } else {
      const q = this.#next(p, code);
      if (this.#length[p] + 1 === this.#length[q]) {
        this.#link[current] = q;
      } else {
        const clone = this.#newState(this.#length[p] + 1);
        for (let e = this.#firstEdge[q]; e !== -1; e = this.#edgeNext[e]) {
          this.#addEdge(clone, this.#edgeCode[e], this.#edgeTo[e]);
        }
        this.#link[clone] = this.#link[q];
        while (p !== -1 && this.#next(p, code) === q) {
          this.#setNext(p, code, clone);
          p = this.#link[p];
        }
        this.#link[q] = clone;
        this.#link[current] = clone;
      }
    }
    this.#last = current;
    this.#prefixState[this.#extended++] = current;
  }

  /** Matching statistics of `source` against the text, kept as the best length per state. */
  match(source: string): void {
    let state = 0;
    let matched = 0;
    for (let i = 0; i < source.length; i++) {
      const code = source.charCodeAt(i);
      while (state !== 0 && this.#next(state, code) === -1) {
        state = this.#link[state];
        matched = this.#length[state];
      }
      const target = this.#next(state, code);
      if (target === -1) {
        matched = 0;
      } else {
        state = target;
        matched++;
        if (matched > this.#best[state]) this.#best[state] = matched;
      }
    }
  }

  /** For each position of the text, the length of its longest suffix found in a source. */
  longestMatches(): Int32Array {
    const order = this.#statesByLength();
    const best = Int32Array.from(this.#best.subarray(0, this.#states));
    // A match landing in a state also matched every shorter suffix, held by its link.
    for (let k = order.length - 1; k > 0; k--) {
      const s = order[k];
      const parent = this.#link[s];
      if (best[s] > 0 && parent > 0) best[parent] = this.#length[parent];
    }
    const found = new Int32Array(this.#states);
    for (let k = 1; k < order.length; k++) {
      const s = order[k];
      found[s] = best[s] > 0 ? best[s] : found[this.#link[s]];
    }
    const longest = new Int32Array(this.#extended);
    for (let i = 0; i < this.#extended; i++) longest[i] = found[this.#prefixState[i]];
    return longest;
  }

  #statesByLength(): Int32Array {
    const maxLength = this.#length[this.#last];
    const counts = new Int32Array(maxLength + 2);
    for (let s = 0; s < this.#states; s++) counts[this.#length[s] + 1]++;
    for (let l = 1; l < counts.length; l++) counts[l] += counts[l - 1];
    const order = new Int32Array(this.#states);
    for (let s = 0; s < this.#states; s++) order[counts[this.#length[s]]++] = s;
    return order;
  }

  #newState(length: number): number {
    const s = this.#states++;
    this.#length[s] = length;
    return s;
  }

  #next(state: number, code: number): number {
    if (state === 0) return code < 0x80 ? this.#rootAscii[code] - 1 : (this.#rootOther.get(code) ?? -1);
    for (let e = this.#firstEdge[state]; e !== -1; e = this.#edgeNext[e]) {
      if (this.#edgeCode[e] === code) return this.#edgeTo[e];
    }
    return -1;
  }

  #setNext(state: number, code: number, target: number): void {
    if (state === 0) {
      if (code < 0x80) this.#rootAscii[code] = target + 1;
      else this.#rootOther.set(code, target);
      return;
    }
    for (let e = this.#firstEdge[state]; e !== -1; e = this.#edgeNext[e]) {
      if (this.#edgeCode[e] === code) {
        this.#edgeTo[e] = target;
        return;
      }
    }
    this.#addEdge(state, code, target);
  }

  #addEdge(state: number, code: number, target: number): void {
    const e = this.#edges++;
    this.#edgeCode[e] = code;
    this.#edgeTo[e] = target;
    this.#edgeNext[e] = this.#firstEdge[state];
    this.#firstEdge[state] = e;
  }
}
