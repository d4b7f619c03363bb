import { SECRET_MASK } from '../secret.js';

const WORD_CHAR = /[A-Za-z0-9]/;

/**
 * Builds a function that replaces every occurrence of the given values with the mask.
 * Values shorter than `minLength` are only replaced where they stand as a whole word, so
 * a two-letter value does not shred the surrounding text; longer values are replaced
 * wherever they occur. Longest first, so a value that contains another is masked whole.
 */
export function createScrubber(values: Iterable<string>, minLength = 4): (text: string) => string {
  const unique = [...new Set(values)].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  if (unique.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const value of unique) {
      out = value.length >= minLength ? out.split(value).join(SECRET_MASK) : replaceWholeWord(out, value);
    }
    return out;
  };
}

function replaceWholeWord(text: string, value: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    const before = text[at - 1];
    const after = text[at + value.length];
    if (
      (before === undefined || !WORD_CHAR.test(before)) &&
      (after === undefined || !WORD_CHAR.test(after))
    ) {
      out += text.slice(from, at) + SECRET_MASK;
      from = at + value.length;
    }
  }
  return out + text.slice(from);
}
