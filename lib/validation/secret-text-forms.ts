import { inspect } from 'node:util';

/*
 * Every text a validation message could quote of the secrets: each raw value, the ways it is
 * printed (JSON, util.inspect), the forms a schema commonly derives from it (a JSON secret's
 * keys and leaves, a URL's normalized href, percent-decoding), and the text of the values a
 * class transformed them into. The fragment masker scans these; they are generated one at a
 * time and never kept.
 */

// A transform can build anything out of a value; its text forms are read within these bounds.
const MAX_NODES = 100_000;
const MAX_DEPTH = 8;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const JSON_LIKE = /^\s*[[{"]/;
// What JSON.stringify or util.inspect escape (or, for a quote, may escape); surrogates are
// checked pairwise by the renderers themselves.
const PRINTED_DIFFERENTLY = /[\x00-\x1f"'\\\x7f-\x9f\ud800-\udfff]/;

/**
 * Doppler's own metadata, not secrets: the error names the project and config already, and a
 * project called `shop-internal` should not mask `internal` in every message.
 */
const DOPPLER_METADATA_KEYS = new Set(['DOPPLER_PROJECT', 'DOPPLER_CONFIG', 'DOPPLER_ENVIRONMENT']);

/** Reads of a transformed value's parts: counts what was visited, so a huge graph stops early. */
interface WalkBudget {
  nodes: number;
}

/**
 * The texts to scan for fragments of the secrets.
 *
 * @param raw the values as Doppler sent them (every key: undeclared ones are secrets too;
 *   Doppler's `DOPPLER_PROJECT`, `DOPPLER_CONFIG` and `DOPPLER_ENVIRONMENT` are not).
 * @param transformed what the schema made of them, when the adapter can see it.
 */
export function* secretTextForms(
  raw: Readonly<Record<string, string>>,
  transformed: readonly unknown[] = [],
): Generator<string> {
  const budget: WalkBudget = { nodes: 0 };
  for (const value of new Set(secretValuesOf(raw))) {
    if (value.length === 0) continue;
    yield* renderingsOf(value);
    yield* derivedFormsOf(value, budget);
  }
  for (const value of transformed) yield* textsOfValue(value, budget, 0, new Set());
}

/**
 * Whole values, masked where they stand as a word even when shorter than a fragment: each raw
 * value, trimmed too, and each transformed value that is a string or a number.
 */
export function wholeSecretValues(
  raw: Readonly<Record<string, string>>,
  transformed: readonly unknown[] = [],
): Set<string> {
  const whole = new Set<string>();
  for (const value of secretValuesOf(raw)) {
    whole.add(value);
    whole.add(value.trim());
  }
  for (const value of transformed) {
    if (typeof value === 'string') whole.add(value);
    else if (typeof value === 'number' || typeof value === 'bigint') whole.add(String(value));
  }
  whole.delete('');
  return whole;
}

function secretValuesOf(raw: Readonly<Record<string, string>>): string[] {
  return Object.entries(raw)
    .filter(([key]) => !DOPPLER_METADATA_KEYS.has(key))
    .map(([, value]) => value);
}

/**
 * The value and how JSON and util.inspect print it (compact, and split per line when long),
 * without the outer quotes: they are not the value's, and `got "**********"` reads better.
 */
function* renderingsOf(text: string): Generator<string> {
  yield text;
  if (!PRINTED_DIFFERENTLY.test(text)) return;
  const json = JSON.stringify(text).slice(1, -1);
  if (json !== text) yield json;
  const compact = inspect(text, { compact: true, maxStringLength: Infinity, breakLength: Infinity }).slice(
    1,
    -1,
  );
  if (compact !== text && compact !== json) yield compact;
  if (text.includes('\n')) {
    const split = inspect(text, { maxStringLength: Infinity }).slice(1, -1);
    if (split !== compact) yield split;
  }
}

/** Forms schemas commonly derive from a string before validating them. */
function* derivedFormsOf(value: string, budget: WalkBudget): Generator<string> {
  if (JSON_LIKE.test(value)) {
    const parsed = tryOr(() => JSON.parse(value) as unknown, undefined);
    if (parsed !== undefined) yield* textsOfValue(parsed, budget, 0, new Set());
  }
  if (URL_LIKE.test(value)) {
    const href = tryOr(() => new URL(value).href, undefined);
    if (href !== undefined && href !== value) yield* renderingsOf(href);
  }
  if (value.includes('%')) {
    const decoded = tryOr(() => decodeURIComponent(value), value);
    if (decoded !== value) yield* renderingsOf(decoded);
  }
}

/**
 * Texts of any value: a string and its renderings, a number's digits, an object's keys and
 * leaves, and the object printed whole (JSON, util.inspect, its own `toString`). Anything the
 * value's own code throws while being read is skipped.
 */
function* textsOfValue(
  value: unknown,
  budget: WalkBudget,
  depth: number,
  seen: Set<object>,
): Generator<string> {
  if (budget.nodes++ >= MAX_NODES) return;
  if (typeof value === 'string') {
    if (value.length > 0) yield* renderingsOf(value);
    return;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    yield String(value);
    return;
  }
  // A function's text is its source code, not a secret.
  if (value === null || typeof value !== 'object') return;
  if (seen.has(value)) return;
  seen.add(value);
  const printed = [
    tryOr(() => JSON.stringify(value), undefined),
    tryOr(
      () => inspect(value, { depth: MAX_DEPTH, maxStringLength: Infinity, breakLength: Infinity }),
      undefined,
    ),
    // The object's own `toString` (a URL's href, a Date); `[object Object]` is skipped below.
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    tryOr(() => String(value), undefined),
  ];
  for (const text of printed) {
    if (typeof text === 'string' && text !== '[object Object]') yield text;
  }
  if (depth >= MAX_DEPTH) return;
  // An array's indexes are not secret: only its elements are read.
  const entries = tryOr(
    (): [unknown, unknown][] =>
      Array.isArray(value)
        ? value.slice(0, MAX_NODES).map((child: unknown) => [undefined, child])
        : value instanceof Map
          ? [...(value as Map<unknown, unknown>).entries()]
          : Object.entries(value),
    [],
  );
  for (const [key, child] of entries) {
    yield* textsOfValue(key, budget, depth + 1, seen);
    yield* textsOfValue(child, budget, depth + 1, seen);
  }
}

function tryOr<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read();
  } catch {
    return fallback;
  }
}
