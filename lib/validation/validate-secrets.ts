import type { Type } from '@nestjs/common';
import type { DopplerScope } from '../core/scope.js';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { settleQuietly } from './describe-thrown.js';
import { validateClass } from './validate-class.js';
import { isStandardSchema, validateStandardSchema } from './validate-standard-schema.js';

/**
 * What `schema` accepts: a class decorated with class-validator (the primary path), or a
 * Standard Schema object (zod, valibot, arktype, ...).
 */
export type SecretsSchema = Type<object> | StandardSchemaV1;

// Names that would reach an object's prototype machinery rather than a property.
const UNSAFE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates raw string secrets as a whole against the schema. Without a schema the raw
 * strings are returned as they are. A Standard Schema may validate asynchronously; a
 * class-validator class never does here.
 *
 * Every failure of the values, whatever the schema's own code throws or rejects with, is a
 * {@link SecretsValidationError}; a mistake in the schema itself is a
 * {@link DopplerConfigurationError}. Neither holds a value or the error a schema threw.
 *
 * @throws {DopplerConfigurationError} for a schema class with undecorated properties, no
 *   decorators at all, asynchronous validators, or a transform that returns a promise.
 * @throws {SecretsValidationError} listing every failing key, with no value in it.
 */
export function validateSecrets(
  schema: SecretsSchema | undefined,
  raw: Readonly<Record<string, string>>,
  scope: DopplerScope = {},
): Record<string, unknown> | Promise<Record<string, unknown>> {
  if (schema === undefined) return { ...raw };
  if (isStandardSchema(schema)) return validateStandardSchema(schema, withoutUnsafeNames(raw), raw, scope);
  // class-transformer and class-validator only read it: a copy is needed only to drop a name.
  return validateClass(schema, hasUnsafeName(raw) ? withoutUnsafeNames(raw) : raw, raw, scope);
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
  scope: DopplerScope = {},
): Record<string, unknown> {
  const result = validateSecrets(schema, raw, scope);
  if (result instanceof Promise) {
    // Nobody will look at it: keep a rejection from becoming an unhandled one.
    settleQuietly(result);
    throw new DopplerConfigurationError(
      'The schema answered with a promise, so the values cannot be checked synchronously here: it validates ' +
        'asynchronously, or (zod does this) a transform or refinement threw and it retried asynchronously. ' +
        'Use a schema without async refinements, or validate through DopplerModule, which waits.',
    );
  }
  return result;
}

function hasUnsafeName(raw: Readonly<Record<string, string>>): boolean {
  for (const name of UNSAFE_NAMES) if (Object.prototype.hasOwnProperty.call(raw, name)) return true;
  return false;
}

/** Names that would reach an object's prototype machinery are dropped before any schema sees them. */
function withoutUnsafeNames(raw: Readonly<Record<string, string>>): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!UNSAFE_NAMES.has(name)) plain[name] = value;
  }
  return plain;
}
