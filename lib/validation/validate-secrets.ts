import type { Type } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { DopplerConfigurationError } from '../client/doppler.errors.js';
import { createScrubber } from '../utils/scrubber.js';
import {
  SecretsValidationError,
  type SecretConstraintIssue,
  type SecretIssue,
} from './secrets-validation.error.js';
import { isStandardSchema, validateStandardSchema } from './validate-standard-schema.js';

/**
 * What `schema` accepts: a class decorated with class-validator (the primary path), or a
 * Standard Schema object (zod, valibot, arktype, ...).
 */
export type SecretsSchema = Type<object> | StandardSchemaV1;

/** Where a set of secrets belongs; only used to say so in errors. */
export interface SecretsScope {
  readonly project?: string;
  readonly config?: string;
}

// Names that would reach an object's prototype machinery rather than a property.
const UNSAFE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates raw string secrets as a whole against the schema. Without a schema the raw
 * strings are returned as they are. A Standard Schema may validate asynchronously; a
 * class-validator class never does here.
 *
 * @throws {SecretsValidationError} listing every failing key, with no value in it.
 */
export function validateSecrets(
  schema: SecretsSchema | undefined,
  raw: Readonly<Record<string, string>>,
  scope: SecretsScope = {},
): Record<string, unknown> | Promise<Record<string, unknown>> {
  if (schema === undefined) return { ...raw };
  if (isStandardSchema(schema)) return validateStandardSchema(schema, withoutUnsafeNames(raw), raw, scope);
  return validateClass(schema, raw, scope);
}

/**
 * {@link validateSecrets} for callers that cannot wait (building a test double).
 *
 * @throws {DopplerConfigurationError} when the schema validates asynchronously.
 * @throws {SecretsValidationError} listing every failing key, with no value in it.
 */
export function validateSecretsSync(
  schema: SecretsSchema | undefined,
  raw: Readonly<Record<string, string>>,
  scope: SecretsScope = {},
): Record<string, unknown> {
  const result = validateSecrets(schema, raw, scope);
  if (result instanceof Promise) {
    // Nobody will look at it: keep a rejection from becoming an unhandled one.
    result.catch(() => undefined);
    throw new DopplerConfigurationError(
      'The schema validates asynchronously, so the values cannot be checked synchronously here; use a schema without async refinements.',
    );
  }
  return result;
}

/** Names that would reach an object's prototype machinery are dropped before any schema sees them. */
function withoutUnsafeNames(raw: Readonly<Record<string, string>>): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!UNSAFE_NAMES.has(name)) plain[name] = value;
  }
  return plain;
}

/**
 * Transforms raw string secrets into the schema class and validates them with
 * class-validator. Only keys the class declares (with at least one decorator) survive;
 * they come back typed as the class transformed them (`@Type(() => Number)` gives a number).
 */
function validateClass(
  schema: Type<object>,
  raw: Readonly<Record<string, string>>,
  scope: SecretsScope,
): Record<string, unknown> {
  const plain = withoutUnsafeNames(raw);
  const instance = plainToInstance(schema, plain, { exposeDefaultValues: true }) as Record<string, unknown>;
  const errors = validateSync(instance, {
    whitelist: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    const scrubAll = createScrubber(Object.values(raw));
    throw new SecretsValidationError(
      schema.name,
      collectIssues(errors, '', plain, instance, scrubAll),
      scope,
    );
  }
  const values: Record<string, unknown> = {};
  // Class fields are own properties even when unset (ES2022 define semantics): an optional
  // key Doppler did not send is absent, not a secret holding undefined.
  for (const key of Object.keys(instance)) {
    if (instance[key] !== undefined) values[key] = instance[key];
  }
  return values;
}

function collectIssues(
  errors: readonly ValidationError[],
  prefix: string,
  plain: Readonly<Record<string, unknown>>,
  instance: Readonly<Record<string, unknown>>,
  scrubAll: (text: string) => string,
): SecretIssue[] {
  const issues: SecretIssue[] = [];
  for (const error of errors) {
    const key = `${prefix}${error.property}`;
    const rawValue = plain[error.property];
    const ownValues = [rawValue, instance[error.property]]
      .filter((v) => v !== undefined && v !== null && typeof v !== 'object')
      .map(String);
    // The key's own value is masked at any length, every other value from 4 characters.
    const scrubOwn = createScrubber(ownValues, Number.MAX_SAFE_INTEGER);
    const constraints: SecretConstraintIssue[] = Object.entries(error.constraints ?? {}).map(
      ([constraint, message]) => ({
        constraint,
        message: scrubOwn(scrubAll(withoutPropertyName(message, error.property))),
      }),
    );
    if (constraints.length > 0) {
      issues.push({ key, missing: prefix === '' && !(error.property in plain), constraints });
    }
    if (error.children && error.children.length > 0) {
      const nested = (instance[error.property] ?? {}) as Record<string, unknown>;
      issues.push(...collectIssues(error.children, `${key}.`, nested, nested, scrubAll));
    }
  }
  return issues;
}

/** class-validator starts its messages with the property name; the key is shown already. */
function withoutPropertyName(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
