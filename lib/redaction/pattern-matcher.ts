import { SECRET_MASK } from '../secret.js';
import { unescapedView, type TextView } from './escaped-view.js';
import { joinedPiecesView } from './joined-pieces.js';
import { replaceSpans, spansInOriginal, unionOfSpans, type Spans } from './masked-spans.js';
import { PatternAutomaton, type MaskPattern } from './pattern-automaton.js';
import { SpanCollector } from './span-collector.js';
import { checkpointsBefore, truncationMarks } from './truncation-marks.js';

export type { MaskPattern } from './pattern-automaton.js';

/** Replaces what it was built to find with a mask; returns its input itself when nothing matched. */
export type Masker = (text: string) => string;

/** How a {@link createMasker} masker finds and masks. */
export interface MaskerOptions {
  /**
   * What each masked stretch becomes.
   * @default SECRET_MASK ('**********')
   */
  readonly mask?: string;
  /**
   * How many levels of backslash escaping (JSON strings, `util.inspect` strings) are undone
   * to find a pattern written escaped: 0 finds literal text only, 1 also text inside JSON or
   * inspect output, 2 also text encoded twice (inspect output inside a JSON log record, JSON
   * inside JSON).
   * @default 2
   */
  readonly unescapeLevels?: number;
  /**
   * Where `util.inspect` cut a string (`'...'... 12 more characters`), the end of what it
   * kept is masked when it is the beginning of a pattern at least this long. `Infinity`
   * turns that off.
   * @default 4
   */
  readonly cutMinLength?: number;
}

const DEFAULT_UNESCAPE_LEVELS = 2;
const MAX_UNESCAPE_LEVELS = 4;
const DEFAULT_CUT_MIN_LENGTH = 4;
const NO_SPANS: Spans = { starts: [], ends: [] };
const NO_MARKS: readonly number[] = [];

/**
 * Builds a masker that replaces every occurrence of every pattern with the mask, in time
 * linear in the text's length: the patterns are compiled once into an Aho-Corasick
 * automaton (nothing is compiled from them into a regular expression), and a text is read
 * once as written plus once per level of escaping it holds. Where occurrences overlap,
 * their union is masked as one stretch.
 *
 * Patterns are matched where written literally, where escaped by JSON or `util.inspect`
 * (see {@link MaskerOptions.unescapeLevels}), across the pieces `util.inspect` breaks a
 * multi-line string into (`'line\n' +` then the next line), and at the end of a string
 * `util.inspect` cut short (see {@link MaskerOptions.cutMinLength}). A string pattern is
 * masked anywhere; a {@link MaskPattern} with `wholeWord` only where no ASCII letter or
 * digit touches it.
 *
 * The masker never throws and never returns its input when something failed: if the
 * patterns cannot be compiled, or a text cannot be scanned, the result is the mask alone.
 * A text without any pattern in it is returned as is, the same string.
 *
 * @example
 * const mask = createMasker(['s3cr3t-value', { text: 'pw', wholeWord: true }]);
 * mask('key s3cr3t-value, pw, pwned'); // 'key **********, **********, pwned'
 */
export function createMasker(patterns: Iterable<string | MaskPattern>, options: MaskerOptions = {}): Masker {
  const mask = typeof options.mask === 'string' ? options.mask : SECRET_MASK;
  let automaton: PatternAutomaton | undefined;
  try {
    automaton = PatternAutomaton.build(patterns);
  } catch {
    return (text) => maskedWhole(text, mask);
  }
  if (automaton === undefined) return (text) => text;
  const found = automaton;
  // An option that is not a number falls back to its default, never to masking less.
  const levels = Math.min(
    MAX_UNESCAPE_LEVELS,
    Math.max(0, Math.trunc(numberOr(options.unescapeLevels, DEFAULT_UNESCAPE_LEVELS))),
  );
  const cutMinLength = Math.max(1, numberOr(options.cutMinLength, DEFAULT_CUT_MIN_LENGTH));
  return (text) => {
    try {
      return maskText(found, text, mask, levels, cutMinLength);
    } catch {
      return maskedWhole(text, mask);
    }
  };
}

function maskText(
  automaton: PatternAutomaton,
  text: string,
  mask: string,
  levels: number,
  cutMinLength: number,
): string {
  if (typeof text !== 'string') return mask;
  if (text.length === 0) return text;
  const marks = cutMinLength === Infinity ? NO_MARKS : truncationMarks(text);
  // Each text (the literal one, each view) is scanned from where its first pattern can
  // begin, and not at all when it holds none: the usual log line holds none of a few
  // secrets, written plain or escaped, and the engine's native search says so faster than
  // a scan; the view of a JSON string holds the secret its literal text does not. A cut
  // string may end anywhere: then all is scanned.
  const scanFrom = (scanned: string): number => (marks.length === 0 ? automaton.firstPossibleAt(scanned) : 0);
  let spans: Spans = NO_SPANS;
  const literalFrom = scanFrom(text);
  if (literalFrom !== -1) {
    const literal = new SpanCollector();
    automaton.scan(text, literal, checkpointsBefore(marks, text.length), cutMinLength, literalFrom);
    if (!literal.empty) spans = literal;
  }

  const scanView = (view: TextView): void => {
    const from = scanFrom(view.text);
    if (from === -1) return;
    const found = new SpanCollector();
    automaton.scan(
      view.text,
      found,
      checkpointsBefore(marks, view.text.length, view.positions),
      cutMinLength,
      from,
    );
    if (!found.empty) spans = unionOfSpans(spans, spansInOriginal(found, view, text.length));
  };
  let view = levels > 0 ? unescapedView(text) : undefined;
  for (let level = 1; view !== undefined; level++) {
    scanView(view);
    const joined = joinedPiecesView(view);
    if (joined !== undefined) scanView(joined);
    view = level < levels ? unescapedView(view.text, view.positions) : undefined;
  }
  return spans.starts.length === 0 ? text : replaceSpans(text, spans, mask);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && !Number.isNaN(value) ? value : fallback;
}

/** What a masker returns when it could not do its work: nothing of the text. */
function maskedWhole(text: unknown, mask: string): string {
  return text === '' ? '' : mask;
}
