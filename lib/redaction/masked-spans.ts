import type { TextView } from './escaped-view.js';
import type { SpanCollector } from './span-collector.js';

/** Non-overlapping stretches `[starts[i], ends[i])` of a text, ascending. */
export interface Spans {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

/**
 * The spans a scan of a view found, in positions of the original text: a view position
 * maps to where its code unit came from, and a span's end to where the next code unit
 * came from (or the original's end).
 */
export function spansInOriginal(found: SpanCollector, view: TextView, originalLength: number): Spans {
  const viewLength = view.text.length;
  const origin = (at: number): number => (at < viewLength ? view.positions.originOf(at) : originalLength);
  return { starts: found.starts.map(origin), ends: found.ends.map(origin) };
}

/** The union of two span lists: overlapping spans merge, spans that only touch stay apart. */
export function unionOfSpans(a: Spans, b: Spans): Spans {
  if (b.starts.length === 0) return a;
  if (a.starts.length === 0) return b;
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.starts.length || j < b.starts.length) {
    const fromA = j >= b.starts.length || (i < a.starts.length && a.starts[i] <= b.starts[j]);
    const start = fromA ? a.starts[i] : b.starts[j];
    const end = fromA ? a.ends[i++] : b.ends[j++];
    const last = ends.length - 1;
    if (last >= 0 && start < ends[last]) {
      if (end > ends[last]) ends[last] = end;
    } else {
      starts.push(start);
      ends.push(end);
    }
  }
  return { starts, ends };
}

/** `text` with each span replaced by `mask`. */
export function replaceSpans(text: string, spans: Spans, mask: string): string {
  let out = '';
  let from = 0;
  for (let k = 0; k < spans.starts.length; k++) {
    out += text.slice(from, spans.starts[k]) + mask;
    from = spans.ends[k];
  }
  return out + text.slice(from);
}
