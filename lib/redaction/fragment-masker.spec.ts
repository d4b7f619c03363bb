import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECRET_MASK } from '../secret.js';
import { FragmentMasker, maskFragments, printedWidth } from './fragment-masker.js';

/** The rule, the slow way: which positions of `text` lie in a shared run at least 4 wide. */
function referenceCover(text: string, sources: readonly string[]): boolean[] {
  const covered = new Array<boolean>(text.length).fill(false);
  for (let from = 0; from < text.length; from++) {
    for (let to = from + 1; to <= text.length; to++) {
      const run = text.slice(from, to);
      if (!sources.some((s) => s.includes(run))) break;
      let width = 0;
      for (let i = from; i < to; i++) width += printedWidth(text, i);
      if (width >= 4) for (let i = from; i < to; i++) covered[i] = true;
    }
  }
  return covered;
}

function referenceMask(text: string, sources: readonly string[]): string {
  const covered = referenceCover(text, sources);
  // The engine widens a run to keep surrogate pairs whole.
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) continue;
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0 && /[\ud800-\udbff]/.test(text[i - 1] ?? ''))
      covered[i - 1] = true;
    if (c >= 0xd800 && c <= 0xdbff && /[\udc00-\udfff]/.test(text[i + 1] ?? '')) covered[i + 1] = true;
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) out += text[i];
    else if (i === 0 || !covered[i - 1]) out += SECRET_MASK;
  }
  return out;
}

// A small alphabet makes shared runs frequent; the specials change width when printed.
const char = fc.constantFrom('a', 'b', 'c', '"', '\\', '\n', '\u0001', '\ud800', '\udc00', '\u2028', 'x');
const text = fc.array(char, { maxLength: 24 }).map((cs) => cs.join(''));

describe('FragmentMasker', () => {
  it('masks exactly the runs the slow reference finds, across many texts and sources', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 5 }), fc.array(text, { maxLength: 5 }), (texts, sources) => {
        // One assertion for every text of the run (3000 runs, where one expect() per text cost more
        // than the masking): the same texts fail, and a missing or extra entry does too.
        expect(maskFragments(texts, sources)).toEqual({
          texts: texts.map((t) => referenceMask(t, sources)),
          occursWhole: texts.map((t) => t.length > 0 && sources.some((s) => s.includes(t))),
        });
      }),
      { numRuns: 3000 },
    );
  }, 60_000);

  it('masks a value quoted inside a message, and nothing else', () => {
    expect(maskFragments(['got "hunter2-xyz", expected a URL'], ['hunter2-xyz']).texts).toEqual([
      'got "**********", expected a URL',
    ]);
  });

  it('masks a run of 3 characters that prints as 4 or more (escaped)', () => {
    expect(maskFragments(['a\nb!'], ['xa\nby']).texts).toEqual(['**********!']);
    expect(maskFragments(['abc!'], ['xabcy']).texts).toEqual(['abc!']);
  });

  it('masks a short whole value only where it stands as a word', () => {
    const masker = new FragmentMasker(['must not be 42, 420 or x42']);
    masker.wholeWord('42');
    expect(masker.result().texts).toEqual(['must not be **********, 420 or x42']);
  });

  it('leaves texts alone when nothing is shared, and handles empty input', () => {
    expect(maskFragments(['plain text', ''], ['zzzz', '']).texts).toEqual(['plain text', '']);
    expect(maskFragments([], ['abcd']).texts).toEqual([]);
  });

  it('scans a megabyte of sources against short texts quickly', () => {
    const big = 'q'.repeat(1 << 20) + 'secret-tail-0001';
    const started = performance.now();
    const result = maskFragments(['see secret-tail-0001 and qqqq'], [big]);
    expect(result.texts).toEqual(['see ********** and **********']);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
