import type { StandardSchemaV1 } from '@standard-schema/spec';
import { buildValidationError, type FoundIssue, type PathSegment } from './build-validation-error.js';
import { attempt, describeThrown, isThenable, settleQuietly } from './describe-thrown.js';
import { findThrowingKeys, findThrowingKeysSync, subsetOf, type KeySearch } from './find-throwing-keys.js';
import type { SecretsValidationError } from '../errors/secrets-validation.error.js';
import type { DopplerScope } from '../core/scope.js';

// Standard Schema libraries report a few issues per key; past this many, the rest are counted only.
const MAX_ISSUES_READ = 100_000;
const VENDOR_SHAPE = /^[A-Za-z0-9_.@/-]{1,64}$/;

/** True for an object implementing the Standard Schema interface (`~standard.validate`). */
export function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  const check = attempt(() => {
    const props = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
    return typeof props?.validate === 'function';
  });
  return check.ok && check.value;
}

interface Context {
  readonly schema: StandardSchemaV1;
  readonly name: string;
  readonly plain: Readonly<Record<string, string>>;
  readonly raw: Readonly<Record<string, string>>;
  readonly scope: DopplerScope;
}

/**
 * Validates with a Standard Schema (zod, valibot, arktype, ...), reporting failures in the
 * same shape as class-validator's: key, rule message, never a value. The schema's output
 * object is what the app reads, so undeclared keys are exposed only if the schema passes
 * them through.
 *
 * When the schema's own code throws (synchronously, or by rejecting: zod retries a throwing
 * parse asynchronously and rejects), the keys to blame are found by validating subsets of the
 * values (see `findThrowingKeys`); failing that, the schema as a whole is reported, as `(all)`.
 *
 * @throws {SecretsValidationError} listing every failing key, with no value in it.
 */
export function validateStandardSchema(
  schema: StandardSchemaV1,
  plain: Readonly<Record<string, string>>,
  raw: Readonly<Record<string, string>>,
  scope: DopplerScope,
): Record<string, unknown> | Promise<Record<string, unknown>> {
  const context: Context = { schema, name: schemaName(schema), plain, raw, scope };
  const run = attempt(() => schema['~standard'].validate(plain));
  if (!run.ok) {
    const thrownBy = new Map<string, unknown>();
    const search = findThrowingKeysSync(Object.keys(plain), (keys) =>
      throwsSync(
        schema,
        subsetOf(plain, keys),
        (thrown) => keys.length === 1 && thrownBy.set(keys[0] ?? '', thrown),
      ),
    );
    const rest =
      search.keys.length > 0
        ? attempt(() => schema['~standard'].validate(without(plain, search.keys)))
        : undefined;
    if (rest?.ok === true) settleQuietly(rest.value);
    const restResult = rest?.ok === true && !isThenable(rest.value) ? rest.value : undefined;
    throw thrownError(context, run.thrown, thrownBy, search, restResult);
  }
  if (isThenable(run.value)) {
    return Promise.resolve(run.value).then(
      (result) => settle(context, result),
      async (thrown: unknown) => {
        const thrownBy = new Map<string, unknown>();
        const search = await findThrowingKeys(Object.keys(plain), (keys) =>
          throwsEventually(
            schema,
            subsetOf(plain, keys),
            (reason) => keys.length === 1 && thrownBy.set(keys[0] ?? '', reason),
          ),
        );
        const restResult =
          search.keys.length > 0 ? await resultOf(schema, without(plain, search.keys)) : undefined;
        throw thrownError(context, thrown, thrownBy, search, restResult);
      },
    );
  }
  return settle(context, run.value);
}

/** The result of validating `values`, or `undefined` when that throws or rejects too. */
async function resultOf(schema: StandardSchemaV1, values: Record<string, string>): Promise<unknown> {
  const run = attempt(() => schema['~standard'].validate(values));
  if (!run.ok) return undefined;
  return Promise.resolve(run.value).then(
    (result) => result,
    () => undefined,
  );
}

function without(plain: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const left = new Set(keys);
  return subsetOf(
    plain,
    Object.keys(plain).filter((key) => !left.has(key)),
  );
}

/** Reads a Standard Schema result, whatever shape it turns out to have. */
function settle(context: Context, result: unknown): Record<string, unknown> {
  const read = attempt(() => readResult(result, context.raw));
  if (!read.ok)
    throw schemaError(context, `reading the schema's result threw ${describeThrown(read.thrown)}`);
  if (read.value.kind === 'issues') {
    throw buildValidationError(context.name, read.value.issues, { raw: context.raw }, context.scope);
  }
  if (read.value.kind === 'malformed') throw schemaError(context, 'did not return a Standard Schema result');
  const output = read.value.output;
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw schemaError(context, 'must produce an object');
  }
  const copied = attempt(() => {
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(output)) {
      if (value !== undefined) values[key] = value;
    }
    return values;
  });
  if (!copied.ok)
    throw schemaError(context, `reading the schema's output threw ${describeThrown(copied.thrown)}`);
  return copied.value;
}

type ReadResult =
  | { readonly kind: 'issues'; readonly issues: FoundIssue[] }
  | { readonly kind: 'value'; readonly output: unknown }
  | { readonly kind: 'malformed' };

function readResult(result: unknown, raw: Readonly<Record<string, string>>): ReadResult {
  if (result === null || typeof result !== 'object') return { kind: 'malformed' };
  const { issues, value } = result as { issues?: unknown; value?: unknown };
  if (issues === undefined) return { kind: 'value', output: value };
  if (!Array.isArray(issues)) return { kind: 'malformed' };
  const found: FoundIssue[] = [];
  const count = Math.min(issues.length, MAX_ISSUES_READ);
  for (let i = 0; i < count; i++) found.push(toFoundIssue(issues[i], raw));
  return { kind: 'issues', issues: found };
}

function toFoundIssue(issue: unknown, raw: Readonly<Record<string, string>>): FoundIssue {
  const { message, path } = (issue ?? {}) as { message?: unknown; path?: unknown };
  const segments: PathSegment[] = Array.isArray(path) ? path.map(toSegment) : [];
  const [top] = segments;
  return {
    path: segments,
    missing:
      segments.length === 1 && typeof top === 'string' && !Object.prototype.hasOwnProperty.call(raw, top),
    constraint: 'schema',
    message: typeof message === 'string' ? message : 'is invalid',
  };
}

function toSegment(segment: unknown): PathSegment {
  const key: unknown =
    segment !== null && typeof segment === 'object' ? (segment as { key?: unknown }).key : segment;
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'symbol' ? key : Symbol();
}

/** A failure of the schema as a whole, reported as `(all)`. */
function schemaError(context: Context, message: string): SecretsValidationError {
  return buildValidationError(
    context.name,
    [{ path: [], missing: false, constraint: 'schema', message }],
    { raw: context.raw },
    context.scope,
  );
}

/**
 * The schema threw: each key found to throw alone, or the schema as a whole, and what the
 * schema said of the other keys (`rest`: its result without the keys that throw), so that one
 * error still lists everything to fix.
 */
function thrownError(
  context: Context,
  thrown: unknown,
  thrownBy: ReadonlyMap<string, unknown>,
  search: KeySearch,
  rest: unknown,
): SecretsValidationError {
  const what = describeThrown(thrown);
  const found: FoundIssue[] = search.keys.map((key) => ({
    path: [key],
    missing: false,
    constraint: 'transform',
    message: `a transform or refinement threw ${thrownBy.has(key) ? describeThrown(thrownBy.get(key)) : what}`,
  }));
  const others = rest === undefined ? undefined : attempt(() => readResult(rest, context.raw));
  if (others?.ok === true && others.value.kind === 'issues') {
    const thrower = new Set<PathSegment>(search.keys);
    found.push(...others.value.issues.filter((issue) => !thrower.has(issue.path[0] ?? Symbol())));
  }
  if (search.keys.length === 0 || !search.complete) {
    found.push({
      path: [],
      missing: false,
      constraint: 'transform',
      message: `a transform or refinement of the schema threw ${what}`,
    });
  }
  return buildValidationError(context.name, found, { raw: context.raw }, context.scope);
}

/** A synchronous probe: `undefined` (cannot tell) when the schema answers with a promise. */
function throwsSync(
  schema: StandardSchemaV1,
  values: Record<string, string>,
  record: (thrown: unknown) => void,
): boolean | undefined {
  const run = attempt(() => schema['~standard'].validate(values));
  if (!run.ok) {
    record(run.thrown);
    return true;
  }
  if (!isThenable(run.value)) return false;
  settleQuietly(run.value);
  return undefined;
}

async function throwsEventually(
  schema: StandardSchemaV1,
  values: Record<string, string>,
  record: (thrown: unknown) => void,
): Promise<boolean> {
  const run = attempt(() => schema['~standard'].validate(values));
  if (!run.ok) {
    record(run.thrown);
    return true;
  }
  if (!isThenable(run.value)) return false;
  return Promise.resolve(run.value).then(
    () => false,
    (reason: unknown) => {
      record(reason);
      return true;
    },
  );
}

function schemaName(schema: StandardSchemaV1): string {
  const vendor = attempt(() => schema['~standard'].vendor);
  return vendor.ok && typeof vendor.value === 'string' && VENDOR_SHAPE.test(vendor.value)
    ? `the ${vendor.value} schema`
    : 'the schema';
}
