/**
 * Masked stretches `[start, end)` of one text, kept as the union of what was added:
 * overlapping stretches merge into one; stretches that only touch stay apart (each
 * becomes its own mask, so two secrets side by side read as two).
 *
 * Stretches must be added in order of their end (a scan reports them so). Nothing is
 * allocated until the first one.
 */
export class SpanCollector {
  #starts: number[] | undefined;
  #ends: number[] | undefined;

  /** Adds `[start, end)`, merging it with the stretches it overlaps. */
  add(start: number, end: number): void {
    if (end <= start) return;
    if (this.#starts === undefined || this.#ends === undefined) {
      this.#starts = [start];
      this.#ends = [end];
      return;
    }
    const starts = this.#starts;
    const ends = this.#ends;
    // A later stretch may begin before earlier ones (a longer secret ending further on):
    // it swallows every one it overlaps.
    while (starts.length > 0 && start < ends[ends.length - 1]) {
      const top = starts.length - 1;
      if (starts[top] < start) start = starts[top];
      if (ends[top] > end) end = ends[top];
      starts.pop();
      ends.pop();
    }
    starts.push(start);
    ends.push(end);
  }

  /** Whether nothing was added. */
  get empty(): boolean {
    return this.#starts === undefined;
  }

  /** Starts, ascending; the stretches do not overlap. Empty when nothing was added. */
  get starts(): readonly number[] {
    return this.#starts ?? [];
  }

  /** Ends, in the order of {@link starts}. */
  get ends(): readonly number[] {
    return this.#ends ?? [];
  }
}
