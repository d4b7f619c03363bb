import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DopplerAuthError,
  DopplerConfigurationError,
  DopplerModule,
  DopplerUnavailableError,
  SecretsValidationError,
} from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { AppModule } from '../sample-app/src/app.module.js';
import { useDopplerEnv } from './support/doppler-env.js';
import { VALID_SAMPLE_SECRETS } from './support/sample-values.js';

const TOKEN = 'dp.st.dev.bootstrap-failures';
const valid = VALID_SAMPLE_SECRETS;

const emulator = new DopplerEmulator({
  projects: { 'sample-app': { configs: { dev: { secrets: valid } } } },
  tokens: [{ token: TOKEN, project: 'sample-app', config: 'dev' }],
});
let apiUrl = '';
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(() => {
  restoreEnv?.();
  emulator.clearFaults();
  emulator.setSecrets('sample-app', 'dev', valid);
});
afterAll(() => emulator.stop());

async function bootError(env: Parameters<typeof useDopplerEnv>[0]): Promise<Error> {
  restoreEnv = useDopplerEnv(env);
  const started = performance.now();
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await moduleRef.close();
  } catch (error) {
    Object.assign(error as object, { elapsedMs: performance.now() - started });
    return error as Error;
  }
  throw new Error('expected bootstrap to fail');
}

describe('bootstrap of the sample AppModule fails clearly', () => {
  it('for a wrong token', async () => {
    const error = await bootError({ DOPPLER_TOKEN: 'dp.st.dev.wrong', DOPPLER_API_URL: apiUrl });
    expect(error).toBeInstanceOf(DopplerAuthError);
    expect(error).toMatchObject({ code: 'DOPPLER_UNAUTHORIZED', status: 401 });
    expect(error.message).toMatch(/Doppler rejected the token \(401 Unauthorized\)/);
    expect(error.message).not.toContain('dp.st.dev.wrong');
  });

  it('for a revoked token', async () => {
    emulator.addToken({ token: 'dp.st.dev.revoked', project: 'sample-app', config: 'dev' });
    emulator.revokeToken('dp.st.dev.revoked');
    const error = await bootError({ DOPPLER_TOKEN: 'dp.st.dev.revoked', DOPPLER_API_URL: apiUrl });
    expect(error).toMatchObject({ code: 'DOPPLER_UNAUTHORIZED' });
  });

  it('for secrets that do not match the schema, listing every key', async () => {
    emulator.setSecrets('sample-app', 'dev', {
      ...valid,
      DATABASE_URL: 'mysql:/nope',
      DATABASE_POOL_SIZE: '500',
    });
    emulator.deleteSecret('sample-app', 'dev', 'SESSION_SECRET');
    const error = await bootError({ DOPPLER_TOKEN: TOKEN, DOPPLER_API_URL: apiUrl });
    expect(error).toBeInstanceOf(SecretsValidationError);
    expect(error.message).toContain('project "sample-app", config "dev"');
    expect(error.message).toContain('DATABASE_URL: must be a URL address');
    expect(error.message).toContain('DATABASE_POOL_SIZE: must not be greater than 100');
    expect(error.message).toContain('SESSION_SECRET: is missing');
    expect(error.message).not.toContain('mysql:/nope');
    expect((error as SecretsValidationError).issues.map((i) => i.key)).toEqual([
      'DATABASE_URL',
      'DATABASE_POOL_SIZE',
      'SESSION_SECRET',
    ]);
  });

  it('for a missing token, before any request', async () => {
    const before = emulator.requestCount;
    const error = await bootError({ DOPPLER_API_URL: apiUrl });
    expect(error.message).toMatch(/DOPPLER_TOKEN/);
    expect(emulator.requestCount).toBe(before);
  });

  it('for a hung Doppler, within the deadline instead of hanging', async () => {
    emulator.setFault({ kind: 'hang' });
    restoreEnv = useDopplerEnv({});
    const started = performance.now();
    const error = await Test.createTestingModule({
      imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl, timeout: 400, deadline: 1000, retries: 5 })],
    })
      .compile()
      .then(
        () => new Error('expected a timeout'),
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(DopplerUnavailableError);
    // The last attempt is cut by whichever ran out: its 400 ms or what was left of the 1000 ms.
    expect(error.message).toMatch(
      /did not answer (within 400 ms \(timeout option\)|before the 1000 ms start-up deadline ran out)/,
    );
    expect(error.message).toMatch(/Gave up after \d attempts/);
    expect((error as DopplerUnavailableError).attempts).toBeGreaterThanOrEqual(2);
    expect(performance.now() - started).toBeLessThan(1000 + 500);
  });

  it('for a personal token without project and config, before any request', async () => {
    const before = emulator.requestCount;
    const error = await bootError({ DOPPLER_TOKEN: 'dp.pt.personal', DOPPLER_API_URL: apiUrl });
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    expect(error.message).toMatch(/dp\.pt\. token is not bound to one config/);
    expect(emulator.requestCount).toBe(before);
  });
});
