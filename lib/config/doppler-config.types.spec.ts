import { ConfigService } from '@nestjs/config';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Secret } from '../secret.js';
import type { DopplerConfig, DopplerSecretsConfig } from './index.js';

class AppSecrets {
  DATABASE_URL!: string;
  PORT!: number;
  LOG_LEVEL?: string;
}

interface EnvVars {
  NODE_ENV: string;
}

// The expectTypeOf lines are type-checked in `npm test` by test/readme-snippets.e2e-spec.ts (the
// files tsconfig.typecheck.json lists) and by lint's tsc; running them checks that the same paths
// read the values at runtime, from a ConfigService holding what DopplerConfigModule registers.
describe('DopplerConfig typing with ConfigService<..., true> and { infer: true }', () => {
  const url = new Secret('postgres://typed');
  const port = new Secret(5432);

  it('types each key as the Secret of its schema type', () => {
    const config = new ConfigService<EnvVars & DopplerConfig<AppSecrets>, true>({
      NODE_ENV: 'test',
      doppler: { DATABASE_URL: url, PORT: port },
    });

    const db = config.get('doppler.DATABASE_URL', { infer: true });
    expectTypeOf(db).toEqualTypeOf<Secret<string>>();
    expect(db).toBe(url);

    const p = config.getOrThrow('doppler.PORT', { infer: true });
    expectTypeOf(p).toEqualTypeOf<Secret<number>>();
    expect(p.reveal()).toBe(5432);

    // An optional schema property may be absent: the type says so.
    const level = config.get('doppler.LOG_LEVEL', { infer: true });
    expectTypeOf(level).toEqualTypeOf<Secret<string> | undefined>();
    expect(level).toBeUndefined();

    // The whole namespace, and the app's own keys beside it.
    expectTypeOf(config.get('doppler', { infer: true })).toEqualTypeOf<DopplerSecretsConfig<AppSecrets>>();
    expectTypeOf(config.get('NODE_ENV', { infer: true })).toEqualTypeOf<string>();

    // A key the schema does not declare is a compile error.
    // @ts-expect-error 'doppler.NOT_DECLARED' is not a path of the configuration
    config.get('doppler.NOT_DECLARED', { infer: true });
  });

  it('follows a custom namespace', () => {
    const config = new ConfigService<DopplerConfig<AppSecrets, 'secrets'>, true>({
      secrets: { DATABASE_URL: url, PORT: port },
    });
    expectTypeOf(config.get('secrets.PORT', { infer: true })).toEqualTypeOf<Secret<number>>();
    expect(config.get('secrets.PORT', { infer: true }).reveal()).toBe(5432);
    // @ts-expect-error the namespace is 'secrets', not 'doppler'
    config.get('doppler.PORT', { infer: true });
  });

  it('without a validated flag, reads may be undefined, as @nestjs/config types them', () => {
    const config = new ConfigService<DopplerConfig<AppSecrets>>({ doppler: { DATABASE_URL: url } });
    expectTypeOf(config.get('doppler.DATABASE_URL', { infer: true })).toEqualTypeOf<
      Secret<string> | undefined
    >();
  });
});
