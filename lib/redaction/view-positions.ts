/**
 * Where the code units of a view (a text with escapes decoded, or with breaks taken out)
 * came from in the text it was read from: a list of pieces, each a stretch of the view
 * whose code units came one after the other from one place. A view holds a piece per
 * escape or break rather than a position per code unit, so a megabyte of text with a few
 * escapes costs a few numbers, not four megabytes.
 *
 * A view of a view maps through its parent's pieces, down to the original text.
 */
export class ViewPositions {
  // Piece k covers the view from viewStarts[k] up to viewStarts[k + 1] (or the end), and
  // its code units came from sourceStarts[k] on, one each.
  readonly #viewStarts: number[] = [];
  readonly #sourceStarts: number[] = [];
  readonly #parent: ViewPositions | ArrayLike<number> | undefined;

  /**
   * @param parent where the code units of the text this view was read from came from, when
   *   that text is itself a view: its ViewPositions, or one position per code unit.
   */
  constructor(parent?: ViewPositions | ArrayLike<number>) {
    this.#parent = parent;
  }

  /**
   * Records that the view's code units from `viewAt` on came from `sourceAt` on, in the
   * text the view was read from. Calls come in ascending order of both.
   */
  piece(viewAt: number, sourceAt: number): void {
    const last = this.#viewStarts.length - 1;
    if (last >= 0) {
      // A piece that continues the previous one adds nothing.
      if (this.#sourceStarts[last] + (viewAt - this.#viewStarts[last]) === sourceAt) return;
      // A piece that begins where the previous one began replaces it (it was empty).
      if (this.#viewStarts[last] === viewAt) {
        this.#sourceStarts[last] = sourceAt;
        return;
      }
    }
    this.#viewStarts.push(viewAt);
    this.#sourceStarts.push(sourceAt);
  }

  /** Where the view's code unit at `at` came from in the original text. */
  originOf(at: number): number {
    const starts = this.#viewStarts;
    let low = 0;
    let high = starts.length - 1;
    // The last piece that begins at or before `at`.
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (starts[middle] <= at) low = middle;
      else high = middle - 1;
    }
    const source = this.#sourceStarts[low] + (at - starts[low]);
    const parent = this.#parent;
    if (parent === undefined) return source;
    return parent instanceof ViewPositions ? parent.originOf(source) : parent[source];
  }
}
