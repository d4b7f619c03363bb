import type { Type } from '@nestjs/common';
import { plainToClassFromExist, plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { subsetOf } from './find-throwing-keys.js';

const OPTIONS: ClassTransformOptions = { exposeDefaultValues: true };
/** Keys per part: class-transformer's cost per part grows with the square of this. */
const PART = 256;

/**
 * `plainToInstance(schema, plain, { exposeDefaultValues: true })` in linear time.
 * class-transformer de-duplicates the keys of the object it transforms with `indexOf`, which is
 * quadratic (10,000 keys: most of a second). A larger set is transformed {@link PART} keys at a
 * time into one instance (`plainToClassFromExist`), each part seen through a view that lists
 * only its keys but reads all of them, so a `@Transform` reading `obj.OTHER` sees the value it
 * would see in one pass. Each key goes through its transform and setter once, the constructor
 * runs once.
 */
export function transformInParts(
  schema: Type<object>,
  plain: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const keys = Object.keys(plain);
  if (keys.length <= PART) return plainToInstance(schema, plain, OPTIONS) as Record<string, unknown>;
  const instance = plainToInstance(schema, partOf(plain, keys.slice(0, PART)), OPTIONS);
  for (let start = PART; start < keys.length; start += PART) {
    plainToClassFromExist(instance, partOf(plain, keys.slice(start, start + PART)), OPTIONS);
  }
  return instance as Record<string, unknown>;
}

/**
 * `plain`, listing only `keys` (Object.keys, for...in, spread) but reading, testing and
 * describing every key as `plain` does. The part's own keys are its target's, so listing them
 * costs the part, not the whole set (a proxy's `ownKeys` trap makes V8 walk the whole target).
 */
function partOf(plain: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return new Proxy(subsetOf(plain, keys), {
    get: (_, key) => Reflect.get(plain, key) as unknown,
    has: (_, key) => Reflect.has(plain, key),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(plain, key),
  });
}
