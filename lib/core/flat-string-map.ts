/*
 * The one check behind every "flat JSON object of strings" this library reads or writes: a
 * Doppler download, a decrypted fallback file, the secrets about to be encrypted. It never
 * throws and never quotes input; it says what went wrong with words that are safe to print
 * (a type word, a name that passed a shape test), and each caller words its own error.
 */

/** Names echoed by default: letters, digits, `_`, `.` and `-`, as projects, configs and secrets use. */
const NAME_SHAPE = /^[A-Za-z0-9_.-]{1,128}$/;

/** Whether `name` has the shape of a name that is echoed by default (see {@link printableName}). */
export function isPrintableName(name: string, shape: RegExp = NAME_SHAPE): boolean {
  return shape.test(name);
}

/**
 * A project, config or secret name quoted for a message. Names are not secret, but they can
 * come from a tampered file or an untrusted server, so text not matching `shape` is never echoed.
 */
export function printableName(name: string | null | undefined, shape: RegExp = NAME_SHAPE): string {
  if (name === undefined || name === null) return '(none)';
  return isPrintableName(name, shape) ? `"${name}"` : '(a name with unexpected characters)';
}

/** `null`, `an array`, `an object`, `a number`...: what a value is, never what it holds. */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The value is not a plain object; `type` is {@link typeOf} it. */
export interface NotAnObject {
  readonly ok: false;
  readonly problem: 'not-object';
  readonly type: string;
}

/** A value is not a string; `type` is {@link typeOf} the first such value, `name` its {@link printableName}. */
export interface NotAString {
  readonly ok: false;
  readonly problem: 'not-string';
  readonly type: string;
  readonly name: string;
}

/** The text is not JSON; nothing of it is kept. */
export interface NotJson {
  readonly ok: false;
  readonly problem: 'not-json';
}

/** A prototype-less copy of the map, or why it is not one, in pieces safe to print. */
export type FlatStringMapCheck =
  { readonly ok: true; readonly secrets: Record<string, string> } | NotAnObject | NotAString;

/**
 * Checks that `value` is a plain object whose values are all strings, and copies it into a
 * record with no prototype (a `__proto__` name is just a name).
 *
 * @param nameShape names matching it are quoted in the problem; others are not echoed.
 */
export function checkFlatStringMap(value: unknown, nameShape?: RegExp): FlatStringMapCheck {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: 'not-object', type: typeOf(value) };
  }
  const secrets = Object.create(null) as Record<string, string>;
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry !== 'string') {
      return { ok: false, problem: 'not-string', type: typeOf(entry), name: printableName(name, nameShape) };
    }
    secrets[name] = entry;
  }
  return { ok: true, secrets };
}

/**
 * {@link checkFlatStringMap} on JSON text. V8's parse error quotes the input, so it is
 * dropped: a parse failure is only `not-json`.
 */
export function parseFlatStringMap(text: string, nameShape?: RegExp): FlatStringMapCheck | NotJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not-json' };
  }
  return checkFlatStringMap(parsed, nameShape);
}
