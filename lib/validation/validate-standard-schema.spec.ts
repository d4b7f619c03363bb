import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { everythingShown } from '../../test/support/everything-shown.js';
import { SecretsValidationError } from '../errors/secrets-validation.error.js';
import { validateSecrets, validateSecretsSync } from './validate-secrets.js';

const CANARY = 'CANARY-51ab-value';

async function validationFailure(run: () => unknown): Promise<SecretsValidationError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SecretsValidationError);
  const error = caught as SecretsValidationError;
  expect(error.code).toBe('DOPPLER_SECRETS_INVALID');
  expect(error.cause).toBeUndefined();
  for (const text of [everythingShown(error), JSON.stringify(error.issues)]) {
    expect(text).not.toContain('CANARY');
    expect(text).not.toContain('51ab');
  }
  return error;
}

/** A hand-written Standard Schema, to reach what no library does on purpose. */
function schemaOf(validate: (value: unknown) => unknown): StandardSchemaV1 {
  return {
    '~standard': { version: 1, vendor: 'hand', validate },
  } as unknown as StandardSchemaV1;
}

const keysAndRules = (error: SecretsValidationError): [string, string[]][] =>
  error.issues.map((i) => [i.key, i.constraints.map((c) => `${c.constraint}: ${c.message}`)]);

describe('Standard Schema: transforms and refinements that throw', () => {
  it('names the key whose zod transform threw (zod rejects), and reports the other keys too', async () => {
    const schema = z.object({
      SERVICE_URL: z.string().transform((s) => new URL(s)),
      CONFIG: z.string().transform((s) => JSON.parse(s) as unknown),
      NAME: z.string(),
    });
    const error = await validationFailure(() =>
      validateSecrets(schema, { SERVICE_URL: `not a url ${CANARY}`, CONFIG: `{"a": ${CANARY}` }),
    );
    expect(keysAndRules(error)).toEqual([
      ['SERVICE_URL', ['transform: a transform or refinement threw TypeError']],
      ['CONFIG', ['transform: a transform or refinement threw SyntaxError']],
      ['NAME', ['schema: Invalid input: expected string, received undefined']],
    ]);
    expect(error.issues.find((i) => i.key === 'NAME')?.missing).toBe(true);
  });

  it('names the key when a schema answers with a rejected promise holding the value', async () => {
    // (A zod async refinement that throws cannot be used here: zod's synchronous first attempt
    // already runs it and drops the promise, an unhandled rejection outside this library.)
    const schema = schemaOf((value) => {
      const record = value as Record<string, string>;
      return record['API_KEY'] === undefined
        ? Promise.resolve({ value })
        : Promise.reject(new RangeError(record['API_KEY']));
    });
    const error = await validationFailure(() => validateSecrets(schema, { API_KEY: CANARY, OTHER: 'x1' }));
    expect(keysAndRules(error)).toEqual([
      ['API_KEY', ['transform: a transform or refinement threw RangeError']],
    ]);
  });

  it('names the key when a schema throws synchronously, also for a synchronous caller', async () => {
    const schema = schemaOf((value) => {
      const record = value as Record<string, string>;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- what this test is about
      if (record['BAD'] !== undefined) throw { leaked: record['BAD'] };
      return { value };
    });
    const raw = { GOOD: 'x1', BAD: CANARY };
    const error = await validationFailure(() => validateSecretsSync(schema, raw));
    expect(keysAndRules(error)).toEqual([['BAD', ['transform: a transform or refinement threw an object']]]);
  });

  it('reports the schema as a whole when it throws whatever the keys', async () => {
    const schema = schemaOf(() => {
      throw new TypeError(CANARY);
    });
    const error = await validationFailure(() => validateSecrets(schema, { A: CANARY }));
    expect(error.message).toContain(
      'do not match the hand schema: (all): a transform or refinement of the schema threw TypeError',
    );
  });

  it('reports a result that is not a Standard Schema result, or cannot be read', async () => {
    const garbage = await validationFailure(() =>
      validateSecrets(
        schemaOf(() => ({ issues: CANARY })),
        {},
      ),
    );
    expect(keysAndRules(garbage)).toEqual([['(all)', ['schema: did not return a Standard Schema result']]]);
    const hostile = schemaOf(() => ({
      get issues(): unknown {
        throw new SyntaxError(CANARY);
      },
    }));
    const unreadable = await validationFailure(() => validateSecrets(hostile, { A: CANARY }));
    expect(keysAndRules(unreadable)).toEqual([
      ['(all)', ["schema: reading the schema's result threw SyntaxError"]],
    ]);
  });

  it('tells a synchronous caller why a zod schema that threw answered with a promise', () => {
    const schema = z.object({ URL: z.string().transform((s) => new URL(s)) });
    expect(() => validateSecretsSync(schema, { URL: CANARY })).toThrow(DopplerConfigurationError);
    expect(() => validateSecretsSync(schema, { URL: CANARY })).toThrow(/a transform or refinement threw/);
  });
});

describe('Standard Schema: what a message and a key path may show', () => {
  it('masks the keys of a JSON secret in the issue path, and prints schema names that occur in no value', async () => {
    const schema = z.object({
      WEIGHTS: z
        .string()
        .transform((s) => JSON.parse(s) as unknown)
        .pipe(z.record(z.string(), z.number())),
      DB: z
        .string()
        .transform((s) => JSON.parse(s) as unknown)
        .pipe(z.object({ host: z.string(), port: z.number() })),
    });
    const error = await validationFailure(() =>
      validateSecrets(schema, {
        WEIGHTS: '{"CANARY_51ab_tenant": "heavy", "ok": 1}',
        DB: '{"host": "db.internal"}',
      }),
    );
    expect(error.issues.map((i) => i.key)).toEqual(['WEIGHTS.**********', 'DB.port']);
  });

  it('masks a split element, a trimmed value and a value quoted by a refinement message', async () => {
    const schema = z.object({
      HOSTS: z
        .string()
        .transform((s) => s.split(','))
        .pipe(
          z.array(
            z
              .string()
              .refine((h) => h.endsWith('.internal'), { error: (i) => `bad host ${String(i.input)}` }),
          ),
        ),
      NAME: z
        .string()
        .trim()
        .min(40, { error: (i) => `too short: "${String(i.input)}"` }),
      TOKEN: z
        .string()
        .refine((s) => s.startsWith('tok_'), { error: (i) => `not a token: ${JSON.stringify(i.input)}` }),
    });
    const error = await validationFailure(() =>
      validateSecrets(schema, {
        HOSTS: 'a.internal,CANARY-51ab-node,b.internal',
        NAME: '   NAMED-51ab-name   ',
        TOKEN: 'CANARY-51ab-"tok"',
      }),
    );
    expect(keysAndRules(error)).toEqual([
      ['HOSTS.1', ['schema: bad host **********']],
      ['NAME', ['schema: too short: "**********"']],
      ['TOKEN', ['schema: not a token: "**********"']],
    ]);
  });

  it('lists 100 keys, then says how many more', async () => {
    const shape: Record<string, z.ZodString> = {};
    for (let i = 0; i < 150; i++) shape[`KEY_${i}`] = z.string();
    const error = await validationFailure(() => validateSecrets(z.object(shape), {}));
    expect(error.issues).toHaveLength(100);
    expect(error.unlistedIssues).toBe(50);
    expect(error.message).toMatch(/KEY_99: is missing; and 50 more\. Fix the values/);
  });
});
