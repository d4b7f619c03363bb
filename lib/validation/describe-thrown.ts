import { typeOf } from '../core/flat-string-map.js';

/**
 * An error class name that says what went wrong without saying anything about the data
 * (`TypeError`; a plain `Error` says nothing and is described as `an error`).
 */
const SAFE_ERROR_NAME = /^[A-Z][A-Za-z]{0,58}Error$/;

/**
 * What a schema's own code threw, in words safe to print: the error's class name when it has
 * the shape of one (`TypeError`, `SyntaxError`), else only its kind (`an object`, `a string`).
 * Never its message, properties or `cause`: `new URL(value)` keeps the value in `input`,
 * `JSON.parse` quotes it in the message.
 *
 * The name is read from the constructor found on the prototype, through property descriptors,
 * so no getter, `toString` or proxy trap of the thrown value decides what is printed (a trap
 * that throws only makes the description vaguer).
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown !== null && typeof thrown === 'object') {
      const prototype: unknown = Object.getPrototypeOf(thrown);
      const constructor: unknown =
        prototype === null ? undefined : Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
      const name: unknown =
        typeof constructor === 'function'
          ? Object.getOwnPropertyDescriptor(constructor, 'name')?.value
          : undefined;
      if (typeof name === 'string' && SAFE_ERROR_NAME.test(name)) return name;
      return thrown instanceof Error ? 'an error' : typeOf(thrown);
    }
    return thrown === undefined ? 'undefined' : typeOf(thrown);
  } catch {
    return 'something that could not be inspected';
  }
}

/** The outcome of calling code that may throw anything, kept instead of propagated. */
export type Attempt<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly thrown: unknown };

/** Runs `run`, catching whatever it throws (a non-Error, a stack overflow) as data. */
export function attempt<T>(run: () => T): Attempt<T> {
  try {
    return { ok: true, value: run() };
  } catch (thrown) {
    return { ok: false, thrown };
  }
}

/**
 * Whether `value` looks like a promise. Reading `then` runs code on hostile objects, so a
 * throwing getter counts as a thenable: the caller then refuses it rather than using it.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return true;
  }
}

/** Keeps an abandoned promise from becoming an unhandled rejection (which Node prints in full). */
export function settleQuietly(value: unknown): void {
  try {
    if (isThenable(value)) Promise.resolve(value).catch(() => undefined);
  } catch {
    // A thenable whose `then` cannot even be read cannot reject later either.
  }
}
