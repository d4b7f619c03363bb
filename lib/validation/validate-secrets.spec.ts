import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretsValidationError } from '../errors/secrets-validation.error.js';
import { validateSecretsSync as validateSecrets } from './validate-secrets.js';

const CANARY = 'CANARY-value-91f2';

class AppSecrets {
  @IsUrl({ require_tld: false, protocols: ['postgres'] })
  DATABASE_URL!: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT!: number;

  @IsString()
  @MinLength(8)
  API_KEY!: string;

  @IsOptional()
  @IsString()
  FEATURE_FLAG?: string;
}

class LeakyMessages {
  @IsInt({ message: 'SHORT must be an integer, got "$value"' })
  SHORT!: number;

  @MinLength(100, {
    message: (args) => `LONG is too short: ${String(args.value)} / ${JSON.stringify(args.object)}`,
  })
  LONG!: string;
}

function errorOf(run: () => unknown): SecretsValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretsValidationError);
    return error as SecretsValidationError;
  }
  throw new Error('expected a SecretsValidationError');
}

const valid = {
  DATABASE_URL: 'postgres://db.internal:5432/app',
  PORT: '8080',
  API_KEY: 'k-1234567890',
  DOPPLER_PROJECT: 'shop',
  UNDECLARED: 'hidden',
};

describe('validateSecrets', () => {
  it('transforms to the schema types and keeps only declared keys', () => {
    const values = validateSecrets(AppSecrets, valid);
    expect(values).toEqual({
      DATABASE_URL: 'postgres://db.internal:5432/app',
      PORT: 8080,
      API_KEY: 'k-1234567890',
    });
  });

  it('keeps an empty string as a legal value', () => {
    expect(validateSecrets(AppSecrets, { ...valid, FEATURE_FLAG: '' })['FEATURE_FLAG']).toBe('');
  });

  it('returns every raw key as a string without a schema', () => {
    expect(validateSecrets(undefined, valid)).toEqual(valid);
  });

  it('reports every failing key at once, by name and rule, with no value', () => {
    const error = errorOf(() =>
      validateSecrets(
        AppSecrets,
        { DATABASE_URL: `not a url ${CANARY}`, API_KEY: 'short' },
        { project: 'shop', config: 'prd' },
      ),
    );
    expect(error.code).toBe('DOPPLER_SECRETS_INVALID');
    expect(error.message).toContain('project "shop", config "prd"');
    expect(error.message).toContain('AppSecrets');
    expect(error.message).toContain('DATABASE_URL: must be a URL address');
    expect(error.message).toContain('PORT: is missing');
    expect(error.message).toContain('API_KEY: must be longer than or equal to 8 characters');
    expect(error.issues.map((i) => i.key)).toEqual(['DATABASE_URL', 'PORT', 'API_KEY']);
    expect(error.issues.find((i) => i.key === 'PORT')).toMatchObject({ missing: true });
    expect(error.issues.find((i) => i.key === 'API_KEY')?.constraints).toEqual([
      { constraint: 'minLength', message: 'must be longer than or equal to 8 characters' },
    ]);
    const everything = `${error.message}${error.stack}${inspect(error, { showHidden: true, depth: 10 })}${JSON.stringify(error.issues)}`;
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain('short');
  });

  it('reports a value that does not transform, without it', () => {
    const error = errorOf(() =>
      validateSecrets(AppSecrets, {
        ...valid,
        DATABASE_URL: 'postgres://db.example:5432/app',
        PORT: 'eighty',
      }),
    );
    expect(error.message).toMatch(
      /PORT: must not be greater than 65535, must not be less than 1, must be an integer number/,
    );
    expect(error.message).not.toContain('eighty');
  });

  it('masks a word of a message that happens to occur in another value (the safe side)', () => {
    // "inte" of db.internal is a 4-character fragment of a secret, so "integer" loses it.
    const error = errorOf(() => validateSecrets(AppSecrets, { ...valid, PORT: 'eighty' }));
    expect(error.message).toContain('PORT: must not be greater than 65535');
    expect(error.message).toContain('must be an **********ger number');
  });

  it('masks values that custom messages interpolate ($value or functions)', () => {
    const error = errorOf(() =>
      validateSecrets(LeakyMessages, { SHORT: 'x9', LONG: CANARY, OTHER: 'another-canary-value' }),
    );
    const text = `${error.message}${inspect(error, { depth: 10 })}`;
    expect(text).toContain('SHORT: must be an integer, got "**********"');
    expect(text).toContain('LONG: is too short: **********');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('x9');
    expect(text).not.toContain('another-canary-value');
  });

  it('ignores names that would reach the prototype', () => {
    const raw = JSON.parse(
      `{"__proto__": {"polluted": "yes"}, "constructor": "x", ${JSON.stringify(valid).slice(1)}`,
    ) as Record<string, string>;
    const values = validateSecrets(AppSecrets, raw);
    expect(Object.keys(values).sort()).toEqual(['API_KEY', 'DATABASE_URL', 'PORT']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('names the scope generically when project and config are unknown', () => {
    const error = errorOf(() => validateSecrets(AppSecrets, {}));
    expect(error.message).toContain('the configured project and config');
    expect(error.project).toBeUndefined();
  });

  it('escapes a server-sent project or config with line breaks or terminal escapes', () => {
    const error = errorOf(() =>
      validateSecrets(AppSecrets, {}, { project: 'shop\n[Nest] FORGED', config: 'prd\u001b[31m' }),
    );
    expect(error.message).toContain('project "shop\\u{a}[Nest] FORGED", config "prd\\u{1b}[31m"');
    expect(error.message).not.toMatch(/[\n\u001b]/);
  });
});
