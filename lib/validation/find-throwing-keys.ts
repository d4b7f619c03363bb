/** Limits of a {@link findThrowingKeysSync} search. */
export interface KeySearchLimits {
  /** Stop after finding this many keys. @default 100 */
  readonly maxKeys?: number;
  /** Stop after this many probes (runs of the schema on a subset). @default 1000 */
  readonly maxProbes?: number;
}

/** Which keys make the schema throw on their own, and whether the search saw every key. */
export interface KeySearch {
  /** Keys that throw alone, in the order given. */
  readonly keys: readonly string[];
  /**
   * False when the search stopped early (a limit, an inconclusive probe) or when the schema
   * also throws with no key at all: then more keys, or the schema as a whole, may be at fault.
   */
  readonly complete: boolean;
}

/**
 * Whether running the schema on only these keys throws; `undefined` when it cannot tell (a
 * synchronous probe of a schema that answered with a promise).
 */
export type ThrowsWith<R> = (keys: readonly string[]) => R;

/**
 * Group testing: a set of keys throws when one of its keys throws on its own, so halving the
 * set that throws finds each culprit in about 2·log2(n) probes instead of n, which matters for
 * configs with thousands of keys. The probe with no key comes first: a schema that throws even
 * then throws for a reason of its own (an object-level refinement), not for a key's value.
 * Transforms that only throw in the presence of another key escape it: the search then finds
 * nothing and the caller reports the schema as a whole.
 */
function* searchThrowingKeys(
  keys: readonly string[],
  limits: KeySearchLimits,
): Generator<readonly string[], KeySearch, boolean | undefined> {
  const maxKeys = limits.maxKeys ?? 100;
  const maxProbes = limits.maxProbes ?? 1000;
  if ((yield []) !== false) return { keys: [], complete: false };
  const found: string[] = [];
  // The whole set is known to throw; start from its halves, left first so keys keep their order.
  const pending: (readonly string[])[] = [];
  const split = (group: readonly string[]): void => {
    const middle = Math.ceil(group.length / 2);
    pending.push(group.slice(middle), group.slice(0, middle));
  };
  if (keys.length === 1) found.push(...keys);
  else if (keys.length > 1) split(keys);
  let probes = 1;
  while (pending.length > 0) {
    if (found.length >= maxKeys || probes >= maxProbes) return { keys: found, complete: false };
    const group = pending.pop() ?? [];
    if (group.length === 0) continue;
    const throws = yield group;
    probes++;
    if (throws === undefined) return { keys: found, complete: false };
    if (!throws) continue;
    if (group.length === 1) found.push(...group);
    else split(group);
  }
  return { keys: found, complete: true };
}

/**
 * Finds the keys whose values make a synchronous run of the schema throw on their own. Each
 * probe runs the schema's own code again on a subset of the values; nothing it throws escapes.
 *
 * @param keys the keys of the run that threw.
 */
export function findThrowingKeysSync(
  keys: readonly string[],
  throwsWith: ThrowsWith<boolean | undefined>,
  limits: KeySearchLimits = {},
): KeySearch {
  const search = searchThrowingKeys(keys, limits);
  for (let step = search.next(); ;) {
    if (step.done === true) return step.value;
    step = search.next(throwsWith(step.value));
  }
}

/** {@link findThrowingKeysSync} for a schema that throws by rejecting a promise. */
export async function findThrowingKeys(
  keys: readonly string[],
  throwsWith: ThrowsWith<Promise<boolean | undefined>>,
  limits: KeySearchLimits = {},
): Promise<KeySearch> {
  const search = searchThrowingKeys(keys, limits);
  for (let step = search.next(); ;) {
    if (step.done === true) return step.value;
    step = search.next(await throwsWith(step.value));
  }
}

/** The entries of `values` under `keys`: what one probe runs the schema on. */
export function subsetOf(
  values: Readonly<Record<string, string>>,
  keys: readonly string[],
): Record<string, string> {
  const subset: Record<string, string> = {};
  for (const key of keys) {
    const value = values[key];
    if (value !== undefined) subset[key] = value;
  }
  return subset;
}
