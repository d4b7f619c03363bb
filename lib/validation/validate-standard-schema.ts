import type { StandardSchemaV1 } from '@standard-schema/spec';
import { createScrubber } from '../utils/scrubber.js';
import { SecretsValidationError, type SecretIssue } from './secrets-validation.error.js';
import type { SecretsScope } from './validate-secrets.js';

/** True for an object implementing the Standard Schema interface (`~standard.validate`). */
export function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  const props = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  return typeof props?.validate === 'function';
}

/**
 * Validates with a Standard Schema (zod, valibot, arktype, ...), reporting failures in the
 * same shape as class-validator's: key, rule message, never a value. The schema's output
 * object is what the app reads, so undeclared keys are exposed only if the schema passes
 * them through.
 */
export function validateStandardSchema(
  schema: StandardSchemaV1,
  plain: Readonly<Record<string, string>>,
  raw: Readonly<Record<string, string>>,
  scope: SecretsScope,
): Record<string, unknown> | Promise<Record<string, unknown>> {
  const result = schema['~standard'].validate(plain);
  const name = `the ${schema['~standard'].vendor} schema`;
  return result instanceof Promise
    ? result.then((r) => settle(r, name, raw, scope))
    : settle(result, name, raw, scope);
}

function settle(
  result: StandardSchemaV1.Result<unknown>,
  name: string,
  raw: Readonly<Record<string, string>>,
  scope: SecretsScope,
): Record<string, unknown> {
  if (result.issues) {
    throw new SecretsValidationError(name, toIssues(result.issues, raw), scope);
  }
  const output = result.value;
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw new SecretsValidationError(
      name,
      [
        {
          key: '(all)',
          missing: false,
          constraints: [{ constraint: 'schema', message: 'must produce an object' }],
        },
      ],
      scope,
    );
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(output)) {
    if (value !== undefined) values[key] = value;
  }
  return values;
}

function toIssues(
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
  raw: Readonly<Record<string, string>>,
): SecretIssue[] {
  const scrubAll = createScrubber(Object.values(raw));
  const byKey = new Map<string, SecretIssue>();
  for (const issue of issues) {
    const path = (issue.path ?? []).map((segment) =>
      String(typeof segment === 'object' ? segment.key : segment),
    );
    const key = path.length > 0 ? path.join('.') : '(all)';
    const top = path[0];
    const own = top !== undefined && raw[top] !== undefined ? [raw[top]] : [];
    // The key's own value is masked at any length, every other value from 4 characters.
    const message = createScrubber(own, Number.MAX_SAFE_INTEGER)(scrubAll(issue.message));
    const missing = top !== undefined && path.length === 1 && !(top in raw);
    const entry = byKey.get(key) ?? { key, missing, constraints: [] };
    byKey.set(key, { ...entry, constraints: [...entry.constraints, { constraint: 'schema', message }] });
  }
  return [...byKey.values()];
}
