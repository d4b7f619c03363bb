import { ViewPositions } from './view-positions.js';

/**
 * A text read with one level of backslash escaping undone, and where each of its code
 * units came from in the original text.
 */
export interface TextView {
  readonly text: string;
  /** Where the escapes (or characters) that produced `text` begin in the original. */
  readonly positions: ViewPositions;
  /**
   * `starts[i]`: where the escape (or character) that produced `text[i]` begins in the
   * original, for every code unit at once. Built on first read; the masker asks
   * {@link positions} only about the few places it needs.
   */
  readonly starts: Int32Array;
}

/** A {@link TextView} of `text`, its positions given piece by piece. */
export function textView(text: string, positions: ViewPositions): TextView {
  let starts: Int32Array | undefined;
  return {
    text,
    positions,
    get starts(): Int32Array {
      if (starts === undefined) {
        starts = new Int32Array(text.length);
        for (let at = 0; at < text.length; at++) starts[at] = positions.originOf(at);
      }
      return starts;
    },
  };
}

/**
 * `view` with the escapes of JSON strings and of `util.inspect` strings decoded:
 * `\n \r \t \b \f \v`, `\\ \' \" \` \/`, `\xHH` and `\uHHHH`. A value written inside
 * `JSON.stringify` or `util.inspect` output reads here as itself; a second application
 * undoes a second encoding (a JSON log record holding inspect output, JSON inside JSON).
 * Other backslashes are kept as they are.
 *
 * Undefined when nothing was decoded: the view would be the text itself.
 *
 * @param text the text to read.
 * @param origins when `text` is itself a view, where its code units came from.
 */
export function unescapedView(
  text: string,
  origins?: ViewPositions | ArrayLike<number>,
): TextView | undefined {
  let backslash = text.indexOf('\\');
  if (backslash === -1) return undefined;
  const length = text.length;
  const positions = new ViewPositions(origins);
  // Appended to (a rope V8 flattens once, when the view is first read): faster than
  // collecting the runs to join, most of all for the dense escapes of encoded binary data.
  let decodedText = '';
  let size = 0;
  let from = 0;
  let decoded = false;
  // Text between backslashes is copied as it is, in runs; only escapes are looked at.
  const keep = (end: number): void => {
    if (end <= from) return;
    decodedText += text.slice(from, end);
    positions.piece(size, from);
    size += end - from;
  };
  while (backslash !== -1) {
    const escape = readEscape(text, backslash);
    if (escape === -1) {
      // Not an escape: the backslash stays, and what follows it is read afresh.
      keep(backslash + 1);
      from = backslash + 1;
    } else {
      keep(backslash);
      decodedText += String.fromCharCode(escape & 0xffff);
      positions.piece(size++, backslash);
      from = backslash + (escape >>> 16);
      decoded = true;
    }
    backslash = text.indexOf('\\', from);
  }
  if (!decoded) return undefined;
  keep(length);
  return textView(decodedText, positions);
}

/** The code unit of the escape at `at` (a backslash) plus its width << 16, or -1. */
function readEscape(text: string, at: number): number {
  const next = text.charCodeAt(at + 1);
  switch (next) {
    case 110: // n
      return 10 | (2 << 16);
    case 116: // t
      return 9 | (2 << 16);
    case 114: // r
      return 13 | (2 << 16);
    case 98: // b
      return 8 | (2 << 16);
    case 102: // f
      return 12 | (2 << 16);
    case 118: // v
      return 11 | (2 << 16);
    case 92: // backslash
    case 39: // '
    case 34: // "
    case 96: // backquote
    case 47: // /
      return next | (2 << 16);
    case 120: {
      // x: two hex digits
      const value = hex(text, at + 2, 2);
      return value === -1 ? -1 : value | (4 << 16);
    }
    case 117: {
      // u: four hex digits
      const value = hex(text, at + 2, 4);
      return value === -1 ? -1 : value | (6 << 16);
    }
    default:
      return -1;
  }
}

function hex(text: string, from: number, digits: number): number {
  if (from + digits > text.length) return -1;
  let value = 0;
  for (let i = from; i < from + digits; i++) {
    const c = text.charCodeAt(i);
    const digit =
      c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit === -1) return -1;
    value = value * 16 + digit;
  }
  return value;
}
