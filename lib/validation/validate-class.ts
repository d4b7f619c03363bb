import type { Type } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { printableName } from '../core/flat-string-map.js';
import { buildValidationError, type FoundIssue, type PathSegment } from './build-validation-error.js';
import { checkSchemaClass, schemaClassName } from './check-schema-class.js';
import { attempt, describeThrown, isThenable, settleQuietly, type Attempt } from './describe-thrown.js';
import { findThrowingKeysSync, subsetOf } from './find-throwing-keys.js';
import { pinConstraintInstances } from './pin-constraint-instances.js';
import { transformInParts } from './transform-in-parts.js';
import { validateInstance, type ValidationRun } from './validate-instance.js';
import { SecretsValidationError } from '../errors/secrets-validation.error.js';
import type { DopplerScope } from '../core/scope.js';

// A nested failure this deep is reported at its parent; ValidateNested on a cyclic value recurses.
const MAX_NESTING = 8;

type Instance = Record<string, unknown>;

/**
 * Transforms raw string secrets into the schema class (class-transformer) and validates them
 * (class-validator's `validateSync`, through a plan made once per class: see `validateInstance`). Only keys the class declares survive, typed as the class
 * transformed them (`@Type(() => Number)` gives a number).
 *
 * Whatever the schema's own code does (a transform, a setter, a validator or a message that
 * throws anything, even a stack overflow), the outcome is the values or a
 * {@link SecretsValidationError}. When a run throws, the keys to blame are found by running
 * again on subsets of the values (see `findThrowingKeysSync`); the other keys are still
 * validated, so one error lists everything to fix.
 *
 * @throws {DopplerConfigurationError} for a mistake in the class itself (see `checkSchemaClass`),
 *   or a transform that returns a promise.
 * @throws {SecretsValidationError} listing every failing key, with no value in it.
 */
export function validateClass(
  schema: Type<object>,
  plain: Readonly<Record<string, string>>,
  raw: Readonly<Record<string, string>>,
  scope: DopplerScope,
): Record<string, unknown> {
  try {
    return transformAndValidate(schema, plain, raw, scope);
  } catch (thrown) {
    if (thrown instanceof SecretsValidationError || thrown instanceof DopplerConfigurationError) throw thrown;
    // Only reading the instance itself is left unguarded above (a constructor may return a proxy).
    const issue: FoundIssue = {
      path: [],
      missing: false,
      constraint: 'schema',
      message: `reading the validated instance threw ${describeThrown(thrown)}`,
    };
    throw buildValidationError(schemaClassName(schema), [issue], { raw }, scope);
  }
}

function transformAndValidate(
  schema: Type<object>,
  plain: Readonly<Record<string, string>>,
  raw: Readonly<Record<string, string>>,
  scope: DopplerScope,
): Record<string, unknown> {
  checkSchemaClass(schema);
  pinConstraintInstances(schema);
  const found: FoundIssue[] = [];
  const seen = { raw, transformed: [] as unknown[] };
  const fail = (): SecretsValidationError =>
    buildValidationError(schemaClassName(schema), found, seen, scope);

  const transformed = transformAll(schema, plain, found);
  if (transformed === undefined) throw fail();
  const { instance, skipped: transformFailed } = transformed;
  // Read once: the masking of an error sees the values before the whitelist removes any.
  const keys = Object.keys(instance);
  seen.transformed = valuesAt(instance, keys);
  refusePromises(schema, keys, seen.transformed);

  const validated = validateAll(instance, found);
  if (validated === undefined) throw fail();
  const skipped = new Set([...transformFailed, ...validated.skipped]);
  // A key left out after it threw would otherwise be reported missing as well.
  for (const error of validated.errors) {
    if (!skipped.has(error.property)) collectIssues(error, [], instance, plain, found, 0);
  }
  if (found.length > 0) throw fail();

  const values: Record<string, unknown> = {};
  // Class fields are own properties even when unset (ES2022 define semantics): an optional
  // key Doppler did not send is absent, not a secret holding undefined.
  // (Object.keys and a read per key: Object.entries costs several times more on an object of
  // thousands of keys, which V8 holds as a dictionary.)
  for (const key of Object.keys(instance)) {
    const value = instance[key];
    if (value !== undefined) values[key] = value;
  }
  return values;
}

/**
 * class-transformer's run over every key, or over every key but those whose transform (or
 * setter) throws on its own, each reported with constraint `transform`.
 */
function transformAll(
  schema: Type<object>,
  plain: Readonly<Record<string, string>>,
  found: FoundIssue[],
): { instance: Instance; skipped: readonly string[] } | undefined {
  const whole = transform(schema, plain);
  if (whole.ok) return { instance: whole.value, skipped: [] };
  const thrownBy = new Map<string, unknown>();
  const search = findThrowingKeysSync(Object.keys(plain), (keys) => {
    const run = transform(schema, subsetOf(plain, keys));
    if (!run.ok && keys.length === 1) thrownBy.set(keys[0] ?? '', run.thrown);
    return !run.ok;
  });
  for (const key of search.keys) {
    found.push({
      path: [key],
      missing: false,
      constraint: 'transform',
      message: `its transform threw ${describeThrown(thrownBy.has(key) ? thrownBy.get(key) : whole.thrown)}`,
    });
  }
  const rest = transform(schema, omit(plain, search.keys));
  if (search.keys.length === 0 || !rest.ok) {
    found.push({
      path: [],
      missing: false,
      constraint: 'transform',
      message: `a transform (or a setter) of the class threw ${describeThrown(rest.ok ? whole.thrown : rest.thrown)}`,
    });
  }
  return rest.ok ? { instance: rest.value, skipped: search.keys } : undefined;
}

/**
 * class-validator's run over the instance, or over the instance without the keys whose
 * validators (or their messages, or the value's `toString`) throw, reported as `validator`.
 */
function validateAll(
  instance: Instance,
  found: FoundIssue[],
): { errors: readonly ValidationError[]; skipped: readonly string[] } | undefined {
  // The run that counts validates the instance itself: the whitelist deletes undeclared keys.
  const whole = attemptValidation(() => validateInstance(instance, 'full'));
  if (whole.ok) return { errors: whole.value, skipped: [] };
  const thrownBy = new Map<string, unknown>();
  const search = findThrowingKeysSync(Object.keys(instance), (keys) => {
    const run = validateCopy(instance, keys, 'probe');
    if (!run.ok && keys.length === 1) thrownBy.set(keys[0] ?? '', run.thrown);
    return !run.ok;
  });
  for (const key of search.keys) {
    found.push({
      path: [key],
      missing: false,
      constraint: 'validator',
      message: `a validator (or its message) threw ${describeThrown(thrownBy.has(key) ? thrownBy.get(key) : whole.thrown)}`,
    });
  }
  const skip = new Set(search.keys);
  const others = Object.keys(instance).filter((key) => !skip.has(key));
  // Without the throwing keys, their validators run on undefined, and may throw again: then the
  // others are validated as a probe is, which leaves a missing key unreported.
  const full = validateCopy(instance, others, 'full');
  const rest = full.ok || search.keys.length === 0 ? full : validateCopy(instance, others, 'probe');
  if (search.keys.length === 0 || !rest.ok) {
    found.push({
      path: [],
      missing: false,
      constraint: 'validator',
      message: `a validator (or its message) of the class threw ${describeThrown(rest.ok ? whole.thrown : rest.thrown)}`,
    });
  }
  return rest.ok ? { errors: rest.value, skipped: search.keys } : undefined;
}

function transform(schema: Type<object>, plain: Readonly<Record<string, string>>): Attempt<Instance> {
  return attempt(() => transformInParts(schema, plain));
}

/**
 * What a validation run answered or threw. A validator the schema may not hold (see
 * `validateInstance`) is the schema's mistake, not a key's: that refusal is thrown on.
 */
function attemptValidation(run: () => ValidationError[]): Attempt<ValidationError[]> {
  const result = attempt(run);
  if (!result.ok && result.thrown instanceof DopplerConfigurationError) throw result.thrown;
  return result;
}

/** Validates a copy holding only `keys` of the instance, so that a probe changes nothing. */
function validateCopy(
  instance: Instance,
  keys: readonly string[],
  run: ValidationRun,
): Attempt<ValidationError[]> {
  return attemptValidation(() => {
    const copy = Object.create(Object.getPrototypeOf(instance) as object | null) as Instance;
    for (const key of keys) copy[key] = instance[key];
    return validateInstance(copy, run);
  });
}

/** An async transform leaves a promise where the value should be; nothing would await it. */
function refusePromises(schema: Type<object>, keys: readonly string[], values: readonly unknown[]): void {
  const promised: string[] = [];
  keys.forEach((key, i) => {
    if (!isThenable(values[i])) return;
    promised.push(key);
    settleQuietly(values[i]);
  });
  if (promised.length === 0) return;
  throw new DopplerConfigurationError(
    `The transform of ${promised.map((k) => printableName(k)).join(', ')} in ${schemaClassName(schema)} returned a promise; ` +
      'class-transformer transforms run synchronously here: make them synchronous.',
  );
}

function collectIssues(
  error: ValidationError,
  parentPath: readonly PathSegment[],
  parent: unknown,
  plain: Readonly<Record<string, unknown>> | undefined,
  found: FoundIssue[],
  depth: number,
): void {
  const property = error.property as string | undefined;
  if (property === undefined) {
    // forbidUnknownValues on a value that is not an object of the class.
    found.push({ path: parentPath, missing: false, constraint: 'unknownValue', message: 'is not an object' });
    return;
  }
  // class-validator names array elements by their index as a string; an index is not secret.
  const segment: PathSegment = Array.isArray(parent) && /^\d+$/.test(property) ? Number(property) : property;
  const path = [...parentPath, segment];
  const missing = plain !== undefined && !Object.prototype.hasOwnProperty.call(plain, property);
  const value = attempt(() => (parent as Record<string, unknown> | null | undefined)?.[property]);
  const rewritten = value.ok && rewrittenInMessages(value.value);
  for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
    found.push({
      path,
      missing,
      constraint,
      message:
        typeof message !== 'string'
          ? 'is invalid'
          : rewritten
            ? REWRITTEN_MESSAGE
            : withoutPropertyName(message, property),
    });
  }
  const children = error.children ?? [];
  if (children.length === 0) return;
  if (depth >= MAX_NESTING) {
    found.push({ path, missing: false, constraint: 'nested', message: 'has invalid nested values' });
    return;
  }
  for (const child of children) {
    collectIssues(child, path, value.ok ? value.value : undefined, undefined, found, depth + 1);
  }
}

// What class-validator rewrites in a message after the value is in it: `$value` is replaced with
// `String.prototype.replace`, which reads `$$`, `$&`, `` $` `` and `$'` in the value as patterns,
// and then `$property` and `$target` are replaced wherever they stand, the value's text included.
const REWRITTEN_IN_MESSAGES = /\$(?:[$&`']|value|property|target)/;
const REWRITTEN_MESSAGE =
  'is invalid (its message is not shown: the value holds a "$" sequence that class-validator rewrites when a message quotes it, and the pieces left could not be masked)';

/**
 * True for a value class-validator would not quote as it is: its pieces, each maybe shorter than
 * what is masked, would stand apart in the message between text class-validator put in. The
 * elements of a list count too (a transform that splits a value): a message function or a
 * constraint's `defaultMessage` may quote one, and `$property` and `$target` are replaced in it.
 */
function rewrittenInMessages(value: unknown): boolean {
  if (typeof value === 'string') return REWRITTEN_IN_MESSAGES.test(value);
  if (!Array.isArray(value) && !(value instanceof Set)) return false;
  for (const element of value as Iterable<unknown>) {
    if (typeof element === 'string' && REWRITTEN_IN_MESSAGES.test(element)) return true;
  }
  return false;
}

/** class-validator starts its messages with the property name; the key is shown already. */
function withoutPropertyName(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** The values under `keys`, in their order. */
function valuesAt(instance: Instance, keys: readonly string[]): unknown[] {
  const values = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = instance[keys[i]];
  return values;
}

function omit(plain: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const left = new Set(keys);
  return subsetOf(
    plain,
    Object.keys(plain).filter((key) => !left.has(key)),
  );
}
