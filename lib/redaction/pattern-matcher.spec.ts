import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SECRET_MASK } from '../secret.js';
import { PatternAutomaton } from './pattern-automaton.js';
import { createMasker, type MaskPattern } from './pattern-matcher.js';

const M = SECRET_MASK;
const LITERAL_ONLY = { unescapeLevels: 0, cutMinLength: Infinity } as const;

/**
 * The reference the automaton must agree with: every occurrence of every pattern, found
 * with indexOf at every position, then the union of those stretches (overlaps merged,
 * stretches that only touch kept apart).
 */
function naiveMask(text: string, patterns: readonly (string | MaskPattern)[]): string {
  const stretches: Array<[number, number]> = [];
  for (const pattern of patterns) {
    const value = typeof pattern === 'string' ? pattern : pattern.text;
    const wholeWord = typeof pattern !== 'string' && pattern.wholeWord === true;
    if (value.length === 0) continue;
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
      const end = at + value.length;
      const alone = !/[A-Za-z0-9]/.test(text[at - 1] ?? '') && !/[A-Za-z0-9]/.test(text[end] ?? '');
      if (!wholeWord || alone) stretches.push([at, end]);
    }
  }
  stretches.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of stretches) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start < last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  let out = '';
  let from = 0;
  for (const [start, end] of merged) {
    out += text.slice(from, start) + M;
    from = end;
  }
  return out + text.slice(from);
}

describe('createMasker', () => {
  it('masks every occurrence, and returns the very same string when nothing matched', () => {
    const mask = createMasker(['s3cr3t-value', 'other-secret']);
    expect(mask('a s3cr3t-value b s3cr3t-value other-secret.')).toBe(`a ${M} b ${M} ${M}.`);
    const clean = 'nothing to see here '.repeat(50);
    expect(Object.is(mask(clean), clean)).toBe(true);
    expect(mask('')).toBe('');
    expect(createMasker([])('x')).toBe('x');
    expect(createMasker(['', ''])('x')).toBe('x');
  });

  it('masks the union of overlapping occurrences: nothing of either shows', () => {
    const mask = createMasker(['abcdef', 'defghi']);
    expect(mask('x abcdefghi y')).toBe(`x ${M} y`);
    // One inside the other, and a chain of three overlapping.
    expect(createMasker(['pass-1234', 'user:pass-1234@db'])('//user:pass-1234@db/ pass-1234')).toBe(
      `//${M}/ ${M}`,
    );
    expect(createMasker(['aaab', 'abbb', 'bbbc'])('<aaabbbc>')).toBe(`<${M}>`);
    // A later, longer occurrence that begins before earlier ones swallows them.
    expect(createMasker(['bc', 'de', 'abcdef'])('abcdef bc')).toBe(`${M} ${M}`);
    // Side by side without overlap: two masks.
    expect(mask('abcdefdefghi')).toBe(`${M}${M}`);
  });

  it('agrees with the indexOf reference on literal text, overlaps and whole words included', () => {
    const unit = fc.constantFrom('a', 'b', 'c', ' ', '-', '\\', 'n', '\ud800', '\udc00');
    const pattern = fc.oneof(
      fc.string({ unit, minLength: 0, maxLength: 6 }),
      fc.record({ text: fc.string({ unit, minLength: 0, maxLength: 4 }), wholeWord: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        fc.array(pattern, { maxLength: 8 }),
        fc.string({ unit, maxLength: 60 }),
        (patterns, text) => {
          expect(createMasker(patterns, LITERAL_ONLY)(text)).toBe(naiveMask(text, patterns));
        },
      ),
      { numRuns: 2000 },
    );
    // Past a few patterns the engine no longer asks indexOf first: the same answers.
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 17, maxLength: 40 }),
        fc.string({ unit, maxLength: 80 }),
        (patterns, text) => {
          expect(createMasker(patterns, LITERAL_ONLY)(text)).toBe(naiveMask(text, patterns));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('masks short values only as whole words when asked', () => {
    const mask = createMasker([{ text: 'pw', wholeWord: true }, 'secret-value']);
    expect(mask('pw, pwned, apw, (pw) secret-valuepw')).toBe(`${M}, pwned, apw, (${M}) ${M}pw`);
    // Given both ways, anywhere wins.
    expect(createMasker([{ text: 'abc', wholeWord: true }, 'abc'])('xabcx')).toBe(`x${M}x`);
    // A longer whole-word pattern that does not stand alone leaves a shorter one that does.
    expect(
      createMasker([
        { text: 'b-c', wholeWord: true },
        { text: 'c', wholeWord: true },
      ])('ab-c'),
    ).toBe(`ab-${M}`);
  });

  it('finds a value escaped by JSON, by util.inspect, and encoded twice', () => {
    const value = `it's "quoted" \\ tab\there\nnew line \u2028 \x01 \x7f \ud800 😀`;
    const mask = createMasker([value]);
    const renderings = [
      JSON.stringify({ value }),
      inspect({ value }, { breakLength: Infinity }),
      inspect({ value, q: `'"` }, { breakLength: Infinity }),
      inspect({ value: `${value}'"\`` }, { breakLength: Infinity }),
      JSON.stringify({ outer: JSON.stringify({ value }) }),
      JSON.stringify({ inspected: inspect(new Map([['value', value]]), { breakLength: Infinity }) }),
    ];
    for (const text of renderings) {
      expect(text).toContain('quoted');
      expect(mask(text)).not.toContain('quoted');
      expect(mask(text)).toContain(M);
    }
    // Only two levels by default; fewer when asked.
    const thrice = JSON.stringify(JSON.stringify(JSON.stringify(value)));
    expect(mask(thrice)).toContain('quoted');
    expect(createMasker([value], { unescapeLevels: 3 })(thrice)).not.toContain('quoted');
    expect(createMasker([value], { unescapeLevels: 0 })(JSON.stringify(value))).toContain('quoted');
  });

  it('masks the position of the escape, not of its decoded character', () => {
    const mask = createMasker(['a\nb']);
    expect(mask('x "a\\nb" y')).toBe(`x "${M}" y`);
    expect(mask('x "a\\u000ab" y')).toBe(`x "${M}" y`);
    // An escaped backslash, then n: no newline once decoded, one when decoded twice.
    expect(createMasker(['a\nb'], { unescapeLevels: 1 })('x "a\\\\nb" y')).toBe('x "a\\\\nb" y');
    expect(mask('x "a\\\\nb" y')).toBe(`x "${M}" y`);
  });

  it('reads across the pieces util.inspect breaks a multi-line string into', () => {
    const value = `first line of it's secret\nsecond "line" of the secret value, long enough\nthird line, to be split`;
    const mask = createMasker([value]);
    for (const options of [{}, { colors: true }, { compact: false, breakLength: 40 }]) {
      const text = inspect({ nested: { value } }, options);
      expect(text).toContain(' +\n'); // really broken into pieces
      expect(mask(text)).not.toMatch(/first|second|third/);
    }
    // Inside a JSON record, as Nest's JSON mode writes an inspected Map when not compact.
    const record = JSON.stringify({ m: inspect(new Map([['k', value]]), { compact: false }) });
    expect(record).toContain(' +\\n');
    expect(mask(record)).not.toMatch(/first|second|third/);
  });

  it('masks what util.inspect kept of a string it cut, at any maxStringLength', () => {
    const value = 'cut-me-0123456789abcdefghijklmnopqrstuvwxyz';
    const mask = createMasker([value]);
    for (const max of [4, 5, 12, 20, value.length - 1]) {
      const text = inspect({ key: value, other: 'pl' }, { maxStringLength: max });
      expect(text).toContain(value.slice(0, max));
      expect(mask(text)).not.toContain(value.slice(0, 4));
      expect(mask(text)).toContain("other: 'pl'");
      expect(mask(text)).toMatch(/more characters?/);
      const colored = inspect({ key: value }, { maxStringLength: max, colors: true });
      expect(mask(colored)).not.toContain(value.slice(0, 4));
      // Quoted, so that the inspected string is escaped once more inside the JSON record.
      const quoted = `"${value}`;
      const embedded = JSON.stringify({ m: inspect(new Map([['k', quoted]]), { maxStringLength: max }) });
      expect(embedded).toContain('\\"cut');
      expect(createMasker([quoted])(embedded)).not.toContain('cut');
    }
    // A cut between the halves of a surrogate pair leaves an escaped lone half: masked too.
    const pair = `${'x'.repeat(9)}😀tail`;
    const cut = inspect({ k: pair }, { maxStringLength: 10 });
    expect(cut).toContain('\\ud83d');
    expect(createMasker([pair])(cut)).not.toMatch(/x|ud83d/);
    // Shorter than cutMinLength: left alone, as such short values are.
    expect(mask(inspect({ key: value }, { maxStringLength: 3 }))).toContain("'cut'...");
    expect(
      createMasker([value], { cutMinLength: Infinity })(inspect(value, { maxStringLength: 8 })),
    ).toContain('cut-me-0');
  });

  it('uses the mask it is given, and the defaults for options that are not numbers', () => {
    expect(createMasker(['abcd'], { mask: '[hidden]' })('x abcd')).toBe('x [hidden]');
    const odd = createMasker(['ab"cd'], { unescapeLevels: Number.NaN, cutMinLength: Number.NaN });
    expect(odd(JSON.stringify({ v: 'ab"cd' }))).toBe(`{"v":"${M}"}`);
    expect(odd(inspect({ v: 'ab"cd-and-more' }, { maxStringLength: 4 }))).not.toContain('ab"c');
  });

  it('fails closed: patterns it cannot compile or a text it cannot read give the mask alone', () => {
    const broken = createMasker([42 as unknown as string]);
    expect(broken('anything at all')).toBe(M);
    expect(broken('')).toBe('');
    const throwing: Iterable<string> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error('canary-iterator-secret');
        },
      }),
    };
    expect(createMasker(throwing)('canary-iterator-secret')).toBe(M);
    expect(createMasker(['abcd'])(undefined as unknown as string)).toBe(M);
    expect(createMasker(['abcd'])({ toString: () => 'abcd' } as unknown as string)).toBe(M);
  });

  it('never throws on any pattern set and text', () => {
    const anyUnit = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('\\', '\\u', '\\x4', '\\u00', '... 3 more characters', "' +\n  '", '\0', '\ud800'),
    );
    fc.assert(
      fc.property(
        fc.array(anyUnit, { maxLength: 6 }),
        fc.array(anyUnit, { maxLength: 12 }),
        (patterns, parts) => {
          const text = parts.join('');
          const masked = createMasker(patterns)(text);
          expect(typeof masked).toBe('string');
          // A pattern with a star could be formed by the mask itself. One assertion: the patterns that show.
          expect(
            patterns.filter(
              (pattern) => pattern.length > 0 && !pattern.includes('*') && masked.includes(pattern),
            ),
          ).toEqual([]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('PatternAutomaton', () => {
  it('holds one node per distinct prefix: duplicates and prefixes add none', () => {
    expect(PatternAutomaton.build(['abcdef'])?.nodeCount).toBe(7);
    expect(PatternAutomaton.build(['abcdef', 'abc', 'abcdef', 'abcd'])?.nodeCount).toBe(7);
    expect(PatternAutomaton.build(['abc', 'abcdef'])?.nodeCount).toBe(7);
    expect(PatternAutomaton.build(['abc', 'abd'])?.nodeCount).toBe(5);
    expect(PatternAutomaton.build(['', ''])).toBeUndefined();
  });

  it('stays compact for a 1 MiB value and for 10,000 values', () => {
    const big = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cK\n'.repeat(16_384);
    expect(big.length).toBe(1 << 20);
    const one = PatternAutomaton.build([big, big.slice(0, 10_000)]);
    expect(one?.nodeCount).toBe(big.length + 1);
    expect(one?.byteLength).toBeLessThan(16 * big.length);

    const values = Array.from({ length: 10_000 }, (_, i) => `value-${i}-${(i * 2654435761) >>> 0}`);
    const total = values.reduce((sum, v) => sum + v.length, 0);
    const many = PatternAutomaton.build(values);
    expect(many?.nodeCount).toBeLessThan(total);
    expect(many?.byteLength).toBeLessThan(20 * total);
  });
});

describe('long values crossed by native comparison (plain runs)', () => {
  // Few letters: long partial matches, overlaps and near misses are the usual case.
  const letter = fc.constantFrom('a', 'b', 'c');
  const longValue = (min: number, max: number): fc.Arbitrary<string> =>
    fc.array(letter, { minLength: min, maxLength: max }).map((cs) => cs.join(''));

  it('agrees with the reference where values of 64 to 300 characters are written whole, cut or changed', () => {
    fc.assert(
      fc.property(
        fc.array(longValue(64, 300), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat(), fc.nat(), letter, longValue(0, 80)), {
          maxLength: 8,
        }),
        (values, parts) => {
          // Each part: a value whole, a prefix of one, one with a letter changed, or filler.
          const text = parts
            .map(([kind, which, at, c, filler]) => {
              const value = values[which % values.length];
              const cut = at % (value.length + 1);
              if (kind === 0) return value;
              if (kind === 1) return value.slice(0, cut);
              if (kind === 2) return `${value.slice(0, cut)}${c}${value.slice(cut + 1)}`;
              return filler;
            })
            .join('');
          expect(createMasker(values, LITERAL_ONLY)(text)).toBe(naiveMask(text, values));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with the reference for a value of 10,000 characters, whole, overlapping itself and changed late', () => {
    const value = 'abc'.repeat(3_000) + 'abd'.repeat(334);
    expect(value.length).toBeGreaterThan(10_000 - 10);
    const changed = `${value.slice(0, 9_000)}x${value.slice(9_001)}`;
    for (const text of [
      value,
      `${value}${value}`,
      `ab${value}`,
      changed,
      `${changed}${value}`,
      `${'abc'.repeat(500)}${value}`,
    ]) {
      expect(createMasker([value, 'abdabd'], LITERAL_ONLY)(text)).toBe(naiveMask(text, [value, 'abdabd']));
    }
  });

  it('masks what inspect kept of a long value it cut, wherever the cut falls in a run', () => {
    const value = 'Zq8'.repeat(2_000);
    const mask = createMasker([value]);
    for (const keep of [4, 63, 64, 65, 4_095, 4_096, 4_097, 5_999]) {
      const printed = inspect({ value }, { maxStringLength: keep });
      expect(printed).toContain('more character');
      expect(mask(printed)).not.toContain('Zq8Z');
    }
  });

  it('stops at a cut mark inside a long value: what precedes it is masked though the value goes on and then differs', () => {
    // The value itself holds what inspect writes where it cuts; a text that follows the value
    // past that mark and then parts from it must still get its start masked as a cut string.
    const head = 'Hk2'.repeat(100);
    const mark = "'... 12 more characters";
    const value = `${head}${mark}${'Tz7'.repeat(100)}`;
    for (const after of ['', 'x', 'Tz7'.repeat(30), `${'Tz7'.repeat(99)}Tz`]) {
      const text = `logged ${head}${mark}${after}!`;
      expect(text).not.toContain(value);
      expect(createMasker([value])(text)).not.toContain('Hk2Hk2');
    }
  });
});
