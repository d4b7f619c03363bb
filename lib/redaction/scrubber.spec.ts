import { describe, expect, it } from 'vitest';
import { SECRET_MASK } from '../secret.js';
import { createScrubber } from './scrubber.js';

const M = SECRET_MASK;

describe('createScrubber', () => {
  it('masks values of minLength and more anywhere, shorter ones only as whole words', () => {
    const scrub = createScrubber(['hunter2-long', 'pw', 'abc']);
    expect(scrub('got hunter2-long and xhunter2-longx')).toBe(`got ${M} and x${M}x`);
    expect(scrub('pw pwned (pw) apw abc abcd')).toBe(`${M} pwned (${M}) apw ${M} abcd`);
    expect(createScrubber(['abcd'], 5)('abcd abcde')).toBe(`${M} abcde`);
    expect(createScrubber(['secret-value'], Number.MAX_SAFE_INTEGER)('a secret-value b xsecret-value')).toBe(
      `a ${M} b xsecret-value`,
    );
  });

  it('masks the union of overlapping values, and a value inside another whole', () => {
    const scrub = createScrubber(['abcdef', 'defghi', 'cd']);
    expect(scrub('abcdefghi')).toBe(M);
    expect(scrub('x cd y abcdef')).toBe(`x ${M} y ${M}`);
  });

  it('also finds a value JSON escaped, returns clean text as the same string, ignores empty values', () => {
    const scrub = createScrubber(['line one\nline "two"', '']);
    expect(scrub(`expected ${JSON.stringify('line one\nline "two"')}`)).toBe(`expected "${M}"`);
    const clean = 'must be a URL';
    expect(Object.is(scrub(clean), clean)).toBe(true);
    expect(createScrubber([])('x')).toBe('x');
  });

  it('masks everything rather than throw when the values cannot be read', () => {
    const values: Iterable<string> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error('no');
        },
      }),
    };
    expect(createScrubber(values)('any message')).toBe(M);
    expect(createScrubber([7 as unknown as string])('any message 7')).toBe(M);
  });
});
