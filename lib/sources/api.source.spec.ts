import type { Logger } from '@nestjs/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openClientSockets } from '../../test/support/client-sockets.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { onFakeTime } from '../../test/support/on-fake-time.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { startDeadline } from '../core/clock.js';
import { ScopePin } from '../core/scope-pin.js';
import { DopplerEmulator } from '../testing/doppler-emulator.js';
import { resolveModuleOptions } from '../options/resolve-options.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import { ApiSource } from './api.source.js';
import type { LoadOutcome, LoadRequest } from './secrets-source.js';

// Against the emulator over real HTTP, on fake time.

const DEV = 'dp.st.dev.api-source-dev-1';
const DEV_ROTATED = 'dp.st.dev.api-source-dev-2';
const PRD = 'dp.st.prd.api-source-prd-1';
const emulator = new DopplerEmulator({
  projects: {
    shop: { configs: { dev: { secrets: { API_KEY: 'dev-value' } }, prd: { secrets: { API_KEY: 'prd' } } } },
  },
  tokens: [
    { token: DEV, project: 'shop', config: 'dev' },
    { token: DEV_ROTATED, project: 'shop', config: 'dev' },
    { token: PRD, project: 'shop', config: 'prd' },
  ],
});
let apiUrl = '';
let dir = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-api-source-'));
});
afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
  // A test may have revoked it.
  emulator.revokeToken(DEV);
  emulator.addToken({ token: DEV, project: 'shop', config: 'dev' });
});
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(message);
  }
}

function source(options: DopplerModuleOptions) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const resolved = resolveModuleOptions({ apiUrl, ...options });
  const token = resolved.credential?.kind === 'static' ? resolved.credential.token : undefined;
  const api = new ApiSource(
    resolved,
    new ScopePin({}, token),
    clock,
    logger as unknown as Logger,
    {},
    () => 0.5,
  );
  /** One load; `hangs` when the server never answers, so its deadlines may fire. */
  const load = (request: Partial<LoadRequest> & { deadlineMs?: number } = {}, hangs = false) => {
    const { deadlineMs = 15_000, ...rest } = request;
    const deadline = startDeadline(clock, deadlineMs);
    const loading: Promise<LoadOutcome> = api.load({
      phase: 'refresh',
      signal: deadline.signal,
      deadlineAt: clock.now() + deadlineMs,
      ...rest,
    });
    return onFakeTime(clock, loading, () => hangs && openClientSockets() > 0).finally(deadline.release);
  };
  return { api, clock, logger, load };
}

async function rejection(promise: Promise<unknown>): Promise<DopplerError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DopplerError);
  return error as DopplerError;
}

describe('ApiSource', () => {
  it("loads Doppler's set with its ETag, and the time of the clock it runs on", async () => {
    const { load, clock } = source({ token: DEV });
    const outcome = await load();
    expect(outcome.kind).toBe('set');
    if (outcome.kind !== 'set') return;
    expect(outcome.set).toMatchObject({ origin: 'doppler-api', raw: { API_KEY: 'dev-value' } });
    expect(outcome.set.etag).toMatch(/.+/);
    expect(outcome.set.fetchedAt.getTime()).toBe(clock.now());
  });

  it('answers a 304 for the ETag it was given as not-modified, without the set', async () => {
    const { load } = source({ token: DEV });
    const first = await load();
    const etag = first.kind === 'set' ? first.set.etag : undefined;
    expect(etag).toBeDefined();
    expect(await load({ ...(etag !== undefined && { etag }) })).toEqual({ kind: 'not-modified', etag });
    expect(emulator.requests.map((r) => r.status)).toEqual([200, 304]);
  });

  it('takes a 304 to a request that named no version as a failure, not as a set', async () => {
    const { load } = source({ token: DEV });
    emulator.setFault({ kind: 'status', status: 304, body: '' });
    const error = await rejection(load());
    // The client refuses it as a 3xx it did not ask for, before the source sees a result.
    expect(error.code).toBe('DOPPLER_REDIRECT');
    expect(error.status).toBe(304);
  });

  it('retries within the deadline at bootstrap; a refresh makes one attempt', async () => {
    const { load } = source({ token: DEV, retries: 2 });
    emulator.setFault({ kind: 'status', status: 503 });
    const bootstrap = await rejection(load({ phase: 'bootstrap' }));
    expect(bootstrap.attempts).toBe(3);
    expect(emulator.requestCount).toBe(3);
    emulator.resetRequests();
    await rejection(load({ phase: 'refresh' }));
    expect(emulator.requestCount).toBe(1);
  });

  it("names the deadline option when the load's own deadline cuts the request", async () => {
    const { load, clock } = source({ token: DEV, timeout: 5_000, deadline: 400 });
    emulator.setFault({ kind: 'hang' });
    const started = clock.now();
    const error = await rejection(load({ deadlineMs: 400 }, true));
    expect(error.code).toBe('DOPPLER_TIMEOUT');
    expect(error.message).toContain(
      'did not answer before the 400 ms deadline (the deadline option) ran out',
    );
    expect(error.message).not.toContain('cancelled');
    expect(clock.now() - started).toBe(400);
  });

  it('re-reads the token file before each load and takes a rotated token of the same config', async () => {
    const tokenFile = join(dir, 'token-same-config');
    await writeFile(tokenFile, `${DEV}\n`);
    const { load, logger } = source({ tokenFile });
    expect((await load()).kind).toBe('set');
    await writeFile(tokenFile, DEV_ROTATED);
    // Were the old token still used, Doppler would now refuse it.
    emulator.revokeToken(DEV);
    expect((await load()).kind).toBe('set');
    expect(logger.lines).toContain('The token file changed; using the new token from now on.');
  });

  it('refuses a rotated token for another config before any request, and keeps the current one', async () => {
    const tokenFile = join(dir, 'token-other-config');
    await writeFile(tokenFile, DEV);
    const { load } = source({ tokenFile });
    expect((await load()).kind).toBe('set');
    await writeFile(tokenFile, PRD);
    emulator.resetRequests();
    const error = await rejection(load());
    expect(error.code).toBe('DOPPLER_SCOPE_MISMATCH');
    expect(error.message).toContain('config "prd"');
    expect(error.message).not.toContain(PRD);
    expect(emulator.requestCount).toBe(0);
    // Back to a token of this config: loads again.
    await writeFile(tokenFile, DEV);
    expect((await load()).kind).toBe('set');
  });

  it('says a token file that cannot be read is a configuration problem', async () => {
    const { load } = source({ tokenFile: join(dir, 'missing-token') });
    const error = await rejection(load());
    expect(error.code).toBe('DOPPLER_INVALID_OPTIONS');
    expect(emulator.requestCount).toBe(0);
  });
});
