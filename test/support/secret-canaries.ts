import { ConsoleLogger, type ConsoleLoggerOptions } from '@nestjs/common';
import fc from 'fast-check';
import { inspect, type InspectOptions } from 'node:util';

/**
 * Every generated secret value of 4 characters or more is made of chunks that each begin
 * with this character, and nothing else in the generated texts holds it: wherever it shows
 * in a redacted output, some part of a secret is visible, whichever way it was escaped,
 * broken into pieces or cut.
 */
export const CANARY_CHAR = '§';

/** The longest value the library can receive: Doppler's response is capped at 1 MiB. */
export const MAX_VALUE_SIZE = 1 << 20;

/** The characters escaping changes, and the ones that pair or do not pair. */
const ESCAPED = [
  "'",
  '"',
  '`',
  '\\',
  '\n',
  '\r',
  '\t',
  '\b',
  '\f',
  '\v',
  '\u2028',
  '\u2029',
  '\0',
  '\x01',
  '\x1b',
  '\x7f',
  '\x9f',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '😀',
  '𝄞',
  '/',
  '$&',
  '.*',
  'u0041',
  'x41',
] as const;

/** Anything but the canary and the mask's star (a star next to a mask would look like part of it). */
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ESCAPED) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'Z', '0', ' ', '-', '_', '=', ':', ',', '{', '}', '+') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 2 }) },
);
const chunkBody = fc
  .array(unit, { maxLength: 24 })
  .map((parts) => parts.join('').replaceAll(CANARY_CHAR, '').replaceAll('*', ''));

/**
 * A secret value of exactly `size` code units (a lone surrogate may end up at the end):
 * one generated chunk repeated, so that a 1 MiB value costs no more to generate than a
 * short one. Values under 4 characters are not masked by design; they hold no canary.
 */
export function secretOfSize(size: fc.Arbitrary<number>): fc.Arbitrary<string> {
  return fc.tuple(size, chunkBody).map(([length, body]) => {
    if (length < 4) return 'abc'.slice(0, length);
    const chunk = `${CANARY_CHAR}${body}`;
    return chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length);
  });
}

/** Small values of any content, and at times what a schema transform makes of one. */
export const smallSecret: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: secretOfSize(fc.integer({ min: 0, max: 300 })) },
  {
    weight: 1,
    arbitrary: fc.array(secretOfSize(fc.integer({ min: 4, max: 40 })), { minLength: 1, maxLength: 3 }),
  },
  { weight: 1, arbitrary: fc.record({ host: secretOfSize(fc.integer({ min: 4, max: 40 })) }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.bigInt(), fc.boolean(), fc.constant(null)) },
);

/** The inspect options Nest's ConsoleLogger itself uses with these logger options. */
export function nestInspectOptions(options: ConsoleLoggerOptions): InspectOptions {
  const logger = new ConsoleLogger(options) as unknown as { inspectOptions: InspectOptions };
  return logger.inspectOptions;
}

/** The values as a log record would hold them, one key each. */
export function recordOf(values: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(values.map((value, i) => [`k${i}`, value]));
}

/**
 * Every way the logger and `redact()` callers write secret values: plain, as numbers,
 * JSON-escaped, `util.inspect`-escaped (default options and Nest's, with and without
 * colours: quotes, pieces of multi-line strings, cut at maxStringLength), encoded twice
 * (JSON of JSON, inspect output inside a JSON record), and cut at `cutAt` characters.
 */
export function outputChannels(values: readonly unknown[], cutAt: number): Array<readonly [string, string]> {
  const record = recordOf(values);
  const map = new Map(Object.entries(record));
  const text = (value: unknown): string =>
    typeof value === 'string' ? value : typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  return [
    ['plain', values.map(text).join(' | ')],
    ['JSON', JSON.stringify(record, bigints)],
    ['inspect, default options', inspect(record)],
    ['inspect, whole strings', inspect(record, { maxStringLength: Infinity, breakLength: Infinity })],
    ["inspect, Nest's text options", inspect(record, nestInspectOptions({ colors: false }))],
    ["inspect, Nest's colour options", inspect(record, nestInspectOptions({ colors: true }))],
    ['JSON of JSON', JSON.stringify({ message: JSON.stringify(record, bigints) })],
    ['inspect inside JSON', JSON.stringify({ message: inspect(map, nestInspectOptions({ json: true })) })],
    [
      'inspect inside JSON, not compact',
      JSON.stringify({ message: inspect(map, nestInspectOptions({ json: true, compact: false })) }),
    ],
    [`cut at ${cutAt}`, inspect(record, { maxStringLength: cutAt, breakLength: Infinity })],
    [`cut at ${cutAt} inside JSON`, JSON.stringify({ message: inspect(map, { maxStringLength: cutAt }) })],
  ];
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}

/** The texts of a value that must not show: the strings in it, and numbers as written. */
export function visibleForms(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'bigint') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(visibleForms);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(visibleForms);
  return [];
}
