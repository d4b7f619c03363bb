import { checkSchemaClass } from './check-schema-class.js';
import { isStandardSchema } from './validate-standard-schema.js';
import type { SecretsSchema } from './validate-secrets.js';

/**
 * The keys a schema declares, when they can be known without validating: a class's decorated
 * properties, an object schema's shape (zod's `shape`, valibot's `entries`). Lets `get()` tell a
 * declared key Doppler did not send from a key the schema never declared.
 */
export function declaredKeysOf(schema: SecretsSchema | undefined): ReadonlySet<string> | undefined {
  if (schema === undefined) return undefined;
  if (!isStandardSchema(schema)) return checkSchemaClass(schema).keys;
  const object = schema as unknown as { shape?: unknown; entries?: unknown };
  const shape = isRecord(object.shape) ? object.shape : isRecord(object.entries) ? object.entries : undefined;
  return shape === undefined ? undefined : new Set(Object.keys(shape));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
