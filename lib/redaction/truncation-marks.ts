import type { ViewPositions } from './view-positions.js';

/**
 * What `util.inspect` appends to a string it cut at `maxStringLength`:
 * `'<first characters>'... 1234 more characters`. The digits are bounded so that the
 * search stays linear whatever the text.
 */
const TRUNCATION_MARK = /\.\.\. \d{1,16} more character/g;

/**
 * How far before the mark a cut string's content may end: the closing quote, escaped up
 * to twice (`\\\"`), and a colour reset, escaped up to twice (`\\u001b[39m`), with room
 * to spare.
 */
const LOOKBACK = 24;

const NO_MARKS: readonly number[] = [];

/** Where each truncation mark in `text` begins, ascending; empty when there is none. */
export function truncationMarks(text: string): readonly number[] {
  if (!text.includes(' more character')) return NO_MARKS;
  const marks: number[] = [];
  TRUNCATION_MARK.lastIndex = 0;
  for (let found = TRUNCATION_MARK.exec(text); found !== null; found = TRUNCATION_MARK.exec(text)) {
    marks.push(found.index);
  }
  return marks;
}

/**
 * The positions of a view at which a string cut before one of `marks` may end: every
 * position whose origin in the original text lies within {@link LOOKBACK} before a mark.
 * Ascending, without repeats; undefined when there is none.
 *
 * @param marks positions in the original text, ascending.
 * @param viewLength length of the view (the original text itself when `positions` is undefined).
 * @param positions where the code units of the view came from in the original text.
 */
export function checkpointsBefore(
  marks: readonly number[],
  viewLength: number,
  positions?: ViewPositions,
): number[] | undefined {
  if (marks.length === 0) return undefined;
  const origin = (at: number): number => (positions === undefined ? at : positions.originOf(at));
  const points: number[] = [];
  for (const mark of marks) {
    let at = lowerBound(Math.max(0, mark - LOOKBACK), viewLength, origin);
    if (points.length > 0 && at <= points[points.length - 1]) at = points[points.length - 1] + 1;
    for (; at < viewLength && origin(at) <= mark; at++) points.push(at);
  }
  return points.length > 0 ? points : undefined;
}

/** The first position of the view whose origin is at least `target` (viewLength if none). */
function lowerBound(target: number, viewLength: number, origin: (at: number) => number): number {
  let low = 0;
  let high = viewLength;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (origin(middle) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
