/**
 * The redactor the library had before its masking engine, kept as a baseline: every
 * rendering of every value (plain, JSON-escaped, inspect-escaped, and those inside JSON
 * once more) alternated in ONE regular expression, longest first. V8 refuses the pattern
 * past its size limit, with a SyntaxError that quotes the whole pattern, so the caller
 * must never print what this throws.
 */
import { inspect } from 'node:util';

const MASK = '**********';
const INSPECT_ONE_STRING = {
  compact: true,
  breakLength: Infinity,
  maxStringLength: Infinity,
  colors: false,
} as const;

export function createRegexRedactor(values: Iterable<string>, minLength = 4): (text: string) => string {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length >= minLength) for (const rendered of renderings(value)) forms.add(rendered);
  }
  if (forms.size === 0) return (text) => text;
  const pattern = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((form) => form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
  const matcher = new RegExp(pattern, 'g');
  return (text) => text.replace(matcher, MASK);
}

function renderings(form: string): string[] {
  const json = jsonBody(form);
  const singleQuoted = inspect(`${form}"\``, INSPECT_ONE_STRING).slice(1, -3);
  const otherQuoted = singleQuoted.replaceAll("\\'", "'");
  return [
    form,
    json,
    jsonBody(json),
    singleQuoted,
    otherQuoted,
    jsonBody(singleQuoted),
    jsonBody(otherQuoted),
  ];
}

function jsonBody(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
