import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
import { openClientSockets } from './support/client-sockets.js';
import { compileForNode } from './support/compile-for-node.js';
import { useDopplerEnv } from './support/doppler-env.js';
import { FakeClock } from './support/fake-clock.js';
import { onFakeTime } from './support/on-fake-time.js';
import { stuckThreadPool } from './support/stuck-thread-pool.js';
import { withPipelineDeps } from './support/pipeline-deps.js';
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
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await moduleRef.close();
  } catch (error) {
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
    // Fake time: the deadlines fire while the requests hang, and the numbers are exact.
    const clock = new FakeClock();
    const started = clock.now();
    const compiling = Test.createTestingModule({
      imports: [
        withPipelineDeps(
          DopplerModule.forRoot({ token: TOKEN, apiUrl, timeout: 400, deadline: 1000, retries: 5 }),
          { clock, random: () => 0.5 },
        ),
      ],
    }).compile();
    const error = await onFakeTime(clock, compiling, () => openClientSockets() > 0).then(
      () => new Error('expected a timeout'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(DopplerUnavailableError);
    // 400 ms, a 250 ms wait, then the 350 ms left of the deadline: the last attempt is cut by it.
    expect(error.message).toContain(
      'did not answer before the 1000 ms start-up deadline ran out (deadline option; 350 ms of it were left for this attempt)',
    );
    expect(error.message).toMatch(/Gave up after 2 attempts in 1000 ms/);
    expect((error as DopplerUnavailableError).attempts).toBe(2);
    expect(clock.now() - started).toBe(1000);
  });

  // The bootstrap's deadline is armed only when something waits outside the download (a lazy
  // deadline): these two are what it bounds, and it must end them at the same time an eager one would.
  it('for an asynchronous schema that never settles, within the deadline', async () => {
    restoreEnv = useDopplerEnv({});
    let validating = false;
    const neverSettles = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => ((validating = true), new Promise<never>(() => undefined)),
      },
    };
    const clock = new FakeClock();
    const started = clock.now();
    const compiling = Test.createTestingModule({
      imports: [
        withPipelineDeps(
          DopplerModule.forRoot({ token: TOKEN, apiUrl, deadline: 1000, schema: neverSettles }),
          {
            clock,
          },
        ),
      ],
    }).compile();
    // Stuck only once the download is in and the schema holds the set: the deadline must not cut the request.
    const error = await onFakeTime(clock, compiling, () => validating).then(
      () => new Error('expected a timeout'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(DopplerUnavailableError);
    expect(error).toMatchObject({ code: 'DOPPLER_TIMEOUT' });
    expect(error.message).toMatch(
      /Validating the secrets against the schema did not finish before the deadline/,
    );
    expect(clock.now() - started).toBe(1000);
  });

  it('for a token file on a hung volume, within the deadline', async () => {
    restoreEnv = useDopplerEnv({});
    const dir = mkdtempSync(join(tmpdir(), 'doppler-hung-token-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, TOKEN);
    const before = emulator.requestCount;
    const clock = new FakeClock();
    const started = clock.now();
    const stuck = stuckThreadPool(dir);
    try {
      const compiling = Test.createTestingModule({
        imports: [withPipelineDeps(DopplerModule.forRoot({ tokenFile, apiUrl, deadline: 1000 }), { clock })],
      }).compile();
      // Every thread of the pool is taken: the read of the token file cannot finish by itself.
      const error = await onFakeTime(clock, compiling, () => true).then(
        () => new Error('expected a timeout'),
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(DopplerUnavailableError);
      expect(error.message).toMatch(/The token file .* could not be read before the deadline/);
      expect(clock.now() - started).toBe(1000);
      expect(emulator.requestCount).toBe(before);
    } finally {
      await stuck.release();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('for an unreachable Doppler in a script with nothing else to do: the error, not a silent exit mid-retry', async () => {
    // A port nothing listens on: each attempt is refused at once, and the retry's backoff is the
    // only thing left to wait on, on a timer that does not hold the process open by itself.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dir = await compileForNode(['lib/load-doppler-secrets.ts']);
    try {
      const script = `
        import { loadDopplerSecrets } from './lib/load-doppler-secrets.js';
        await loadDopplerSecrets({ token: '${TOKEN}', apiUrl: 'http://127.0.0.1:${port}', retries: 1, deadline: 3000 }).then(
          () => console.log('loaded'),
          (error) => console.log('failed with ' + error.code),
        );
      `;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '--eval', script],
        {
          cwd: dir,
          timeout: 60_000,
        },
      );
      expect(stdout).toContain('failed with DOPPLER_UNREACHABLE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('for a personal token without project and config, before any request', async () => {
    const before = emulator.requestCount;
    const error = await bootError({ DOPPLER_TOKEN: 'dp.pt.personal', DOPPLER_API_URL: apiUrl });
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    expect(error.message).toMatch(/dp\.pt\. token is not bound to one config/);
    expect(emulator.requestCount).toBe(before);
  });
});
