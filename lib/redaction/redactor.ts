import { inspect } from 'node:util';
import { SECRET_MASK } from '../secret.js';

/**
 * The shortest secret value that {@link SecretsService.redact} and `DopplerLogger` mask.
 * Shorter values are left alone: a secret `on`, `42` or `dev` would turn every occurrence
 * of those letters in ordinary text into masks, shredding the log while protecting almost
 * nothing (a value that short is guessed faster than it is read).
 *
 * @default 4
 * @example
 * secrets.redact('pin 123, key abcd'); // with secrets 123 and abcd: 'pin 123, key **********'
 */
export const REDACT_MIN_LENGTH = 4;

/** Replaces secret values in a text with {@link SECRET_MASK}. */
export type Redactor = (text: string) => string;

// Nested values of a secret built by a schema transform (an array, an object) are
// followed this deep; validated secrets are shallow, and a cycle must not loop.
const MAX_FORM_DEPTH = 4;

// For rendering one string the way `util.inspect` renders a string inside an object,
// without the line splitting and truncation that depend on where it appears.
const INSPECT_ONE_STRING = {
  compact: true,
  breakLength: Infinity,
  maxStringLength: Infinity,
  colors: false,
} as const;

/**
 * Builds the redactor of one set of secret values: every text form of each value at least
 * `minLength` long is replaced with the mask, longest first, so a value that contains
 * another is masked whole.
 *
 * The text forms are the value itself (`String(value)` for a number; the string and JSON
 * renderings, and the strings inside, for an object a schema built) and the same text as
 * it appears escaped inside `JSON.stringify` or `util.inspect` output: a value with a
 * quote, a backslash or a line break is written differently there, and a log line is
 * often exactly that output. Booleans, `null` and `undefined` are not masked: `true` and
 * `false` are ordinary words, and a flag hides nothing.
 *
 * All forms are compiled into one regular expression, once: each call is a single pass
 * over the text, and a text with no secret in it comes back as the same string, with
 * nothing allocated.
 *
 * @param values the secret values, as revealed.
 * @param minLength the shortest value masked.
 * @default minLength = {@link REDACT_MIN_LENGTH} (4)
 * @example
 * const redact = createRedactor(['s3cr3t-value']);
 * redact('token=s3cr3t-value'); // 'token=**********'
 */
export function createRedactor(values: Iterable<unknown>, minLength = REDACT_MIN_LENGTH): Redactor {
  const forms = new Set<string>();
  for (const value of values) {
    for (const form of textForms(value, 0)) {
      if (form.length >= minLength) for (const rendered of renderings(form)) forms.add(rendered);
    }
  }
  if (forms.size === 0) return (text) => text;
  const pattern = [...forms]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
  const matcher = new RegExp(pattern, 'g');
  // SECRET_MASK holds no `$`, so it is inserted literally by `replace`.
  return (text) => text.replace(matcher, SECRET_MASK);
}

/** The texts a value is written as when it is printed or concatenated. */
function textForms(value: unknown, depth: number): string[] {
  switch (typeof value) {
    case 'string':
      return [value];
    case 'number':
    case 'bigint':
      return [String(value)];
    case 'object':
      return value === null || depth > MAX_FORM_DEPTH ? [] : objectForms(value, depth);
    default:
      // boolean, undefined, symbol, function: nothing that reads as a secret.
      return [];
  }
}

function objectForms(value: object, depth: number): string[] {
  const forms: string[] = [];
  // A null-prototype object has no toString: safely() turns that into no form.
  const text = safely(() => (value as { toString(): string }).toString());
  // `[object Object]` is a class's name, not its value.
  if (text !== undefined && !/^\[object [^\]]*\]$/.test(text)) forms.push(text);
  const json = safely(() => JSON.stringify(value) as string | undefined);
  if (json !== undefined) {
    // A Date or a URL serialises to a quoted string: the text inside the quotes is the form.
    const parsed = safely(() => JSON.parse(json) as unknown);
    forms.push(typeof parsed === 'string' ? parsed : json);
  }
  if (Array.isArray(value) || isPlain(value)) {
    for (const item of Object.values(value)) forms.push(...textForms(item, depth + 1));
  }
  return forms;
}

/**
 * The form as written raw, inside a JSON string, and inside a string `util.inspect`
 * prints (single-quoted with `\'`, or double- or back-quoted with quotes left as they
 * are), plus those texts as they appear once more inside JSON: Nest's JSON mode embeds
 * the inspection of a Map, a Set or an Error as a JSON string, and a message that is
 * itself JSON gets encoded twice.
 */
function renderings(form: string): string[] {
  const json = jsonBody(form);
  // The suffix holds `"` and a backquote, so inspect keeps single quotes whatever the form
  // holds; the quotes and the suffix are then cut off.
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A throwing `toString` or `toJSON` of a schema-built value must not break redaction. */
function safely<R>(read: () => R): R | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
