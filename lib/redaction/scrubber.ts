import { createMasker, type MaskPattern } from './pattern-matcher.js';

/**
 * Builds a function that replaces every occurrence of the given values with the mask.
 * Values shorter than `minLength` are only replaced where they stand as a whole word (no
 * ASCII letter or digit on either side), so a two-letter value does not shred the
 * surrounding text; longer values are replaced wherever they occur. Where occurrences
 * overlap, their union is masked, so a value that contains another is masked whole.
 *
 * Runs on the library's one masking engine (`createMasker`): values are also found where
 * JSON or `util.inspect` escaped them, the function never throws, and a text holding no
 * value comes back as the same string.
 */
export function createScrubber(values: Iterable<string>, minLength = 4): (text: string) => string {
  // Read inside createMasker, so that values which cannot be read make a masker that
  // masks everything rather than an error.
  return createMasker(patternsOf(values, minLength), { cutMinLength: Math.max(1, minLength) });
}

function* patternsOf(values: Iterable<string>, minLength: number): Generator<string | MaskPattern> {
  for (const value of values) {
    yield typeof value === 'string' && value.length < minLength ? { text: value, wholeWord: true } : value;
  }
}
