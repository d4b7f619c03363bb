import { SECRET_MASK } from '../secret.js';
import type { Redactor } from './redactor.js';

// Deeper than any log record is meant to be, shallow enough that a long linked list cannot
// overflow the stack of the logger. Below it the value is left to the text redaction.
const MAX_DEPTH = 32;

/**
 * A copy of a value about to be logged, with `redact` applied to every string in it:
 * strings, and the strings inside arrays, plain objects, Maps, Sets and Errors (message,
 * stack, own properties, `cause`, `errors`), at any depth.
 *
 * Masking before formatting matters because formatting changes how a value is written:
 * `util.inspect` splits a long multi-line string into `'...\n' +` pieces, cuts strings
 * past `maxStringLength`, and indents a nested Error's stack; none of those can be found
 * in the output afterwards, all of them can be masked here.
 *
 * Containers are copied whole rather than only where a secret was found, so that a cycle
 * points at the copy (printed as `[Circular]`), never back at the unmasked original.
 * Other objects (class instances, Buffers, Dates, `Secret`) are passed as they are: copying
 * them would lose private fields their methods need. Their printed text is masked later,
 * as a whole. Nothing is mutated.
 *
 * Never throws: a value that cannot be read (a revoked Proxy, a trap that throws) is
 * replaced whole with {@link SECRET_MASK}, since what it holds cannot be known.
 *
 * @example
 * redactValue({ user: 'ann', token: 'abcd-1234' }, redact); // { user: 'ann', token: '**********' }
 */
export function redactValue(
  value: unknown,
  redact: Redactor,
  seen: Map<object, unknown> = new Map(),
  depth = 0,
): unknown {
  try {
    return redactReadable(value, redact, seen, depth);
  } catch {
    return SECRET_MASK;
  }
}

function redactReadable(
  value: unknown,
  redact: Redactor,
  seen: Map<object, unknown>,
  depth: number,
): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const next = (item: unknown): unknown => redactValue(item, redact, seen, depth + 1);

  if (value instanceof Error) {
    const copy = copyError(value);
    seen.set(value, copy);
    // Read through the original (a getter, V8's `stack`), written as plain data: the copy
    // then prints what the original would have printed, masked.
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      let current: unknown;
      try {
        current = (value as unknown as Record<PropertyKey, unknown>)[key];
      } catch {
        continue;
      }
      Object.defineProperty(copy, key, {
        value: next(current),
        enumerable: descriptor?.enumerable ?? false,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Map.prototype) {
    const copy = new Map<unknown, unknown>();
    seen.set(value, copy);
    for (const [key, item] of value as Map<unknown, unknown>) copy.set(next(key), next(item));
    return copy;
  }
  if (proto === Set.prototype) {
    const copy = new Set<unknown>();
    seen.set(value, copy);
    for (const item of value as Set<unknown>) copy.add(next(item));
    return copy;
  }
  const isArray = Array.isArray(value) && proto === Array.prototype;
  if (!isArray && proto !== Object.prototype && proto !== null) return value;

  const copy: object = isArray
    ? new Array<unknown>((value as unknown[]).length)
    : (Object.create(proto) as object);
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    if (isArray && key === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined) continue;
    // A getter is not called (inspect prints `[Getter]` for it, and calling it could
    // have effects); only data is masked.
    if ('value' in descriptor) descriptor.value = next(descriptor.value);
    Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}

/**
 * An Error with the original's prototype (so `instanceof`, `name` and Nest's error
 * handling see the same class) and none of its own properties yet. Made with
 * `new Error()` rather than `Object.create` so that it is a real Error to `util.inspect`.
 */
function copyError(error: Error): Error {
  const copy = new Error();
  for (const key of Reflect.ownKeys(copy)) Reflect.deleteProperty(copy, key);
  Object.setPrototypeOf(copy, Object.getPrototypeOf(error) as object | null);
  return copy;
}
