import { textView, type TextView } from './escaped-view.js';
import { ViewPositions } from './view-positions.js';

/**
 * Where `util.inspect` broke a multi-line string into pieces, one per line, in a view whose
 * escapes are undone: a line's newline, its closing quote (and colour reset), ` +`, a line
 * break and indentation, then the next piece's colour and opening quote. Each piece picks
 * its own quote. The spaces before the quote are matched once per line break, so the search
 * stays linear.
 */
const PIECE_BREAK = /\n['"`](?:\x1b\[39m)? \+\n *(?:\x1b\[32m)?['"`]/g;

/**
 * `view` with the breaks between the pieces of inspected multi-line strings taken out, so
 * that each string reads whole again (`'a\n' +\n  'b'` reads `'a\nb'`). Undefined when the
 * view has no such break.
 */
export function joinedPiecesView(view: TextView): TextView | undefined {
  const text = view.text;
  if (!text.includes(' +\n')) return undefined;
  PIECE_BREAK.lastIndex = 0;
  let found = PIECE_BREAK.exec(text);
  if (found === null) return undefined;
  const positions = new ViewPositions(view.positions);
  let joined = '';
  let size = 0;
  let from = 0;
  const keep = (end: number): void => {
    joined += text.slice(from, end);
    positions.piece(size, from);
    size += end - from;
  };
  for (; found !== null; found = PIECE_BREAK.exec(text)) {
    // The newline belongs to the string; what follows it up to the next quote does not.
    keep(found.index + 1);
    from = found.index + found[0].length;
  }
  keep(text.length);
  return textView(joined, positions);
}
