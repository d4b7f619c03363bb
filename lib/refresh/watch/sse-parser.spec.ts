import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DopplerError } from '../../errors/doppler.errors.js';
import { SseParser, type SseEvent } from './sse-parser.js';

interface Frame {
  readonly type?: string;
  readonly lines: readonly string[];
  readonly comment?: string;
  readonly id?: string;
}

// Field text never holds a line end; multi-byte characters test UTF-8 split across chunks.
const fieldText = fc
  .array(fc.constantFrom('a', 'Z', '{', '"', ':', ' ', 'é', '€', '😀', '0'), { maxLength: 12 })
  .map((chars) => chars.join(''));
const eol = fc.constantFrom('\n', '\r\n', '\r');
const frame: fc.Arbitrary<Frame> = fc.record(
  {
    type: fieldText.filter((t) => t !== '' && !t.startsWith(' ')),
    lines: fc.array(fieldText, { minLength: 1, maxLength: 3 }),
    comment: fieldText,
    id: fieldText.filter((t) => !t.startsWith(' ')),
  },
  { requiredKeys: ['lines'] },
);

/**
 * Writes frames as a server would, cycling through line-end styles. A `\r` end directly before a
 * `\n` end would read as one `\r\n` (to any parser), so that `\n` is written as `\r\n`.
 */
function serialize(frames: readonly Frame[], ends: readonly string[]): string {
  let n = 0;
  let previous = '';
  const end = (): string => {
    let next = ends[n++ % ends.length] ?? '\n';
    if (previous === '\r' && next === '\n') next = '\r\n';
    previous = next;
    return next;
  };
  let out = '';
  for (const f of frames) {
    if (f.comment !== undefined) out += `:${f.comment}${end()}`;
    if (f.type !== undefined) out += `event: ${f.type}${end()}`;
    if (f.id !== undefined) out += `id: ${f.id}${end()}`;
    for (const line of f.lines) out += `data: ${line}${end()}`;
    out += end();
  }
  return out;
}

function expected(frames: readonly Frame[]): SseEvent[] {
  let id: string | undefined;
  return frames.map((f) => {
    if (f.id !== undefined) id = f.id;
    return { type: f.type ?? 'message', data: f.lines.join('\n'), ...(id !== undefined && { id }) };
  });
}

/** Cuts bytes at the given points (any byte, inside a UTF-8 sequence or a \r\n too). */
function chunks(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

function parseAll(parts: readonly Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  return parts.flatMap((part) => parser.push(part));
}

describe('SseParser', () => {
  it('gives the same events however the bytes are split across reads', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 6 }),
        fc.array(eol, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, ends, cuts) => {
          const bytes = new TextEncoder().encode(serialize(frames, ends));
          expect(parseAll(chunks(bytes, cuts))).toEqual(expected(frames));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parses a stream fed one byte at a time', () => {
    const text =
      'event: message\r\ndata: {"type":"connected"}\r\n\r\n: keep-alive\n\nevent: message\ndata: {"type":"secrets.update"}\n\n';
    const bytes = new TextEncoder().encode(text);
    const events = parseAll([...bytes].map((b) => Uint8Array.of(b)));
    expect(events.map((e) => e.data)).toEqual(['{"type":"connected"}', '{"type":"secrets.update"}']);
  });

  it('returns several events from one read, and none for comments or an unfinished event', () => {
    const parser = new SseParser();
    expect(parser.push(': hello\n\n')).toEqual([]);
    expect(parser.push('data: 1\n\ndata: 2\n\ndata: 3')).toEqual([
      { type: 'message', data: '1' },
      { type: 'message', data: '2' },
    ]);
    expect(parser.push('\n\n')).toEqual([{ type: 'message', data: '3' }]);
  });

  it('follows the standard on field edge cases', () => {
    const parser = new SseParser();
    // "data" alone is an empty data line; only one leading space is stripped; unknown fields
    // and an event with no data are dropped.
    expect(parser.push('data\ndata:  two\nretry: 10\nfoo: bar\n\nevent: x\n\n\uFEFF')).toEqual([
      { type: 'message', data: '\n two' },
    ]);
    expect(new SseParser().push('\uFEFFdata: a\n\n')).toEqual([{ type: 'message', data: 'a' }]);
  });

  it('refuses a line longer than its limit with a typed error, and stays refused', () => {
    const parser = new SseParser({ maxLineLength: 32, maxEventLength: 1024 });
    parser.push('data: ' + 'x'.repeat(20));
    let thrown: unknown;
    try {
      parser.push('y'.repeat(20));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DopplerError);
    expect(thrown).toMatchObject({ code: 'DOPPLER_RESPONSE_TOO_LARGE', reason: 'SSE_LINE_TOO_LONG' });
    expect(() => parser.push('\n\n')).toThrow(DopplerError);
  });

  it('bounds an endless line without a line end, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const parser = new SseParser({ maxLineLength: 100, maxEventLength: 1000 });
        let fed = 0;
        let failed = false;
        for (const size of sizes) {
          try {
            parser.push('z'.repeat(size));
            fed += size;
          } catch (error) {
            expect(error).toMatchObject({ reason: 'SSE_LINE_TOO_LONG' });
            failed = true;
            break;
          }
        }
        const total = sizes.reduce((a, b) => a + b, 0);
        expect(failed).toBe(total > 100);
        expect(fed).toBeLessThanOrEqual(100);
      }),
    );
  });

  it('refuses an event whose data outgrows its limit, though each line is short', () => {
    const parser = new SseParser({ maxLineLength: 64, maxEventLength: 100 });
    const line = `data: ${'d'.repeat(40)}\n`;
    expect(() => {
      for (let i = 0; i < 10; i++) parser.push(line);
    }).toThrow(expect.objectContaining({ reason: 'SSE_EVENT_TOO_LARGE' }) as Error);
  });
});
