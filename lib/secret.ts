import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

/** What every rendering of a {@link Secret} prints instead of its value. */
export const SECRET_MASK = '**********';

/**
 * A value that refuses to be printed. The value lives in an ES `#private` field, which
 * spread, `Object.entries`, `structuredClone`, `v8.serialize`, `util.inspect` (even with
 * `showHidden` or `customInspect: false`) and assertion diffs cannot see; every string
 * conversion yields {@link SECRET_MASK}. Unwrap it with {@link Secret.reveal} at the call
 * site that needs the value, and nowhere else.
 *
 * @example
 * const url = secrets.get('DATABASE_URL');
 * logger.log(`connecting to ${url}`);   // connecting to **********
 * await connect(url.reveal());          // the one place the value exists in plain form
 */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
    Object.freeze(this);
  }

  /**
   * The plain value. Call it where the value is used, not earlier: once revealed, it is an
   * ordinary value that logs like any other.
   */
  reveal(): T {
    return this.#value;
  }

  /**
   * Compares two secrets by value. Strings are compared in constant time (for their
   * length), so the comparison does not leak how much of a guess was right. Other values
   * are compared with `Object.is`.
   *
   * @example
   * if (!expected.equals(new Secret(header))) throw new UnauthorizedException();
   */
  equals(other: Secret<T> | T): boolean {
    const theirs = other instanceof Secret ? other.reveal() : other;
    const mine = this.#value;
    if (typeof mine === 'string' && typeof theirs === 'string') {
      const a = Buffer.from(mine, 'utf8');
      const b = Buffer.from(theirs, 'utf8');
      // timingSafeEqual needs equal lengths; compare against itself so the time spent
      // does not depend on where the strings differ.
      return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(a, a);
    }
    return Object.is(mine, theirs);
  }

  /** @returns {@link SECRET_MASK} */
  toString(): string {
    return SECRET_MASK;
  }

  /** `JSON.stringify` writes the mask, never the value. */
  toJSON(): string {
    return SECRET_MASK;
  }

  /** Template literals, `String()` and `+` see the mask. */
  [Symbol.toPrimitive](): string {
    return SECRET_MASK;
  }

  /** `console.log` and `util.inspect` show `Secret(**********)`. */
  [inspect.custom](): string {
    return `Secret(${SECRET_MASK})`;
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}
