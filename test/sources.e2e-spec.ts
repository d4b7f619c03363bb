import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DopplerModule, SecretsService, SecretsValidationError } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { AppModule } from '../sample-app/src/app.module.js';
import { AppSecrets } from '../sample-app/src/app-secrets.js';
import { useDopplerEnv } from './support/doppler-env.js';
import { VALID_SAMPLE_SECRETS } from './support/sample-values.js';

const TOKEN = 'dp.st.dev.sources-token';
const VALUES = VALID_SAMPLE_SECRETS;
const RUN_ENV = {
  ...VALUES,
  DOPPLER_PROJECT: 'sample-app',
  DOPPLER_CONFIG: 'dev',
  DOPPLER_ENVIRONMENT: 'dev',
};

const emulator = new DopplerEmulator({
  projects: { 'sample-app': { configs: { dev: { secrets: VALUES } } } },
  tokens: [{ token: TOKEN, project: 'sample-app', config: 'dev' }],
});
let apiUrl = '';
const saved = { ...process.env };

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  emulator.resetRequests();
});
afterAll(() => emulator.stop());

async function secretsOf<T extends object = Record<string, string>>(
  imports: unknown[],
): Promise<SecretsService<T>> {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
  const secrets = moduleRef.get<SecretsService<T>>(SecretsService);
  await moduleRef.close();
  return secrets;
}

describe("source 'env' (doppler run)", () => {
  it("the README's quick-start registration (token from ConfigService.get) boots under `doppler run`, with no token", async () => {
    Object.assign(process.env, RUN_ENV);
    delete process.env['DOPPLER_TOKEN'];
    const secrets = await secretsOf<AppSecrets>([
      ConfigModule.forRoot(),
      DopplerModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          token: config.get<string>('DOPPLER_TOKEN'),
          schema: AppSecrets,
        }),
        isGlobal: true,
      }),
    ]);
    expect(secrets.metadata.source).toBe('environment');
    expect(secrets.get('DATABASE_URL').reveal()).toBe(VALUES['DATABASE_URL']);
    expect(emulator.requestCount).toBe(0);
  });

  it('the sample AppModule under `doppler run` reads the environment, validated and masked, with no request', async () => {
    const restore = useDopplerEnv({ DOPPLER_PROJECT: 'sample-app', DOPPLER_CONFIG: 'dev' });
    Object.assign(process.env, VALUES, { DOPPLER_ENVIRONMENT: 'dev', UNRELATED: 'not a secret' });
    try {
      const secrets = await secretsOf([AppModule]);
      expect(secrets.metadata).toMatchObject({
        source: 'environment',
        project: 'sample-app',
        config: 'dev',
        environment: 'dev',
      });
      expect(secrets.get('DATABASE_POOL_SIZE').reveal()).toBe(4);
      expect(secrets.keys().sort()).toEqual([
        'DATABASE_POOL_SIZE',
        'DATABASE_URL',
        'PAYMENTS_API_KEY',
        'SESSION_SECRET',
      ]);
      expect(inspect(secrets)).not.toContain(VALUES.PAYMENTS_API_KEY);
      expect(emulator.requestCount).toBe(0);
    } finally {
      restore();
    }
  });

  it('fails with the same validation error format as the API path', async () => {
    Object.assign(process.env, RUN_ENV, { DATABASE_URL: 'CANARY-not-a-url' });
    const error = await secretsOf([DopplerModule.forRoot({ source: 'env', schema: AppSecrets })]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecretsValidationError);
    expect((error as Error).message).toContain('project "sample-app", config "dev"');
    expect((error as Error).message).toContain('DATABASE_URL: must be a URL address');
    expect((error as Error).message).not.toContain('CANARY');
  });

  it('needs a schema', async () => {
    Object.assign(process.env, RUN_ENV);
    await expect(secretsOf([DopplerModule.forRoot({ source: 'env' })])).rejects.toThrow(
      /'env' source needs a schema/,
    );
  });
});

describe("source 'auto'", () => {
  it('uses the API when a token is configured, even under doppler run', async () => {
    Object.assign(process.env, RUN_ENV);
    const secrets = await secretsOf([DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: AppSecrets })]);
    expect(secrets.metadata.source).toBe('doppler-api');
    expect(emulator.requestCount).toBe(1);
  });

  it('explains both ways to run when there is neither a token nor a doppler run environment', async () => {
    delete process.env['DOPPLER_PROJECT'];
    delete process.env['DOPPLER_CONFIG'];
    await expect(secretsOf([DopplerModule.forRoot({ schema: AppSecrets })])).rejects.toThrow(
      /No Doppler token and no `doppler run` environment.*DOPPLER_TOKEN.*doppler run --/,
    );
  });

  it("source 'api' without a token says the token is missing", async () => {
    Object.assign(process.env, RUN_ENV);
    await expect(secretsOf([DopplerModule.forRoot({ source: 'api', schema: AppSecrets })])).rejects.toThrow(
      /token is missing/,
    );
  });
});

describe('Standard Schema (zod)', () => {
  const schema = z.object({
    DATABASE_URL: z.string().url(),
    DATABASE_POOL_SIZE: z.coerce.number().int().max(100),
    PAYMENTS_API_KEY: z.string().min(16),
  });

  it('validates, types and masks like a class schema', async () => {
    const secrets = await secretsOf<z.infer<typeof schema>>([
      DopplerModule.forRoot({ token: TOKEN, apiUrl, schema }),
    ]);
    const pool: number = secrets.get('DATABASE_POOL_SIZE').reveal();
    expect(pool).toBe(4);
    expect(secrets.keys().sort()).toEqual(['DATABASE_POOL_SIZE', 'DATABASE_URL', 'PAYMENTS_API_KEY']);
    expect(String(secrets.get('PAYMENTS_API_KEY'))).toBe('**********');
  });

  it('reports failures by name and message, never a value (also from messages that quote the input)', async () => {
    const leaky = z.object({
      DATABASE_URL: z
        .string()
        .refine((v) => v.startsWith('mysql:'), { error: (issue) => `bad url ${String(issue.input)}` }),
      MISSING_ONE: z.string(),
    });
    const error = await secretsOf([DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: leaky })]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecretsValidationError);
    const message = (error as Error).message;
    expect(message).toContain('the zod schema');
    expect(message).toMatch(/DATABASE_URL: bad url \*{10}/);
    expect(message).toMatch(/MISSING_ONE: is missing/);
    expect(`${message}${inspect(error, { depth: 10 })}`).not.toContain(VALUES.DATABASE_URL);
    expect((error as SecretsValidationError).issues.find((i) => i.key === 'MISSING_ONE')).toMatchObject({
      missing: true,
    });
  });
});
