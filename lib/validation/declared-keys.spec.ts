import { IsOptional, IsString } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DopplerError } from '../errors/doppler.errors.js';
import { createSecretsService } from '../testing/create-secrets-service.js';
import { declaredKeysOf } from './declared-keys.js';

class Secrets {
  @IsString()
  API_KEY!: string;

  @IsOptional()
  @IsString()
  FEATURE_FLAG?: string;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DopplerError);
    return (error as DopplerError).code;
  }
  return undefined;
}

describe('get() of a key the set does not hold says what is true', () => {
  it.each([
    ['a class schema', Secrets],
    ['a zod object', z.object({ API_KEY: z.string(), FEATURE_FLAG: z.string().optional() })],
  ])('with %s: a declared optional key Doppler did not send, and a key never declared', (_name, schema) => {
    const secrets = createSecretsService({ schema, values: { API_KEY: 'value-0001' } });
    expect(secrets.has('FEATURE_FLAG')).toBe(false);
    expect(codeOf(() => secrets.get('FEATURE_FLAG'))).toBe('DOPPLER_SECRET_NOT_SENT');
    expect(() => secrets.get('FEATURE_FLAG')).toThrow(
      /declared by the schema as optional.*Doppler did not send it/,
    );
    expect(codeOf(() => secrets.get('NOT_IN_SCHEMA' as 'API_KEY'))).toBe('DOPPLER_SECRET_NOT_DECLARED');
  });

  it('knows the declared keys of classes and object schemas, and nothing of other schemas', () => {
    expect([...(declaredKeysOf(Secrets) ?? [])].sort()).toEqual(['API_KEY', 'FEATURE_FLAG']);
    expect(declaredKeysOf(z.string())).toBeUndefined();
    expect(declaredKeysOf(undefined)).toBeUndefined();
  });
});
