import type { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../test/support/fake-clock.js';
import { onFakeTime } from '../../test/support/on-fake-time.js';
import { stuckThreadPool } from '../../test/support/stuck-thread-pool.js';
import { waitFor } from '../../test/support/wait-for.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { startDeadline } from '../core/clock.js';
import { ScopePin } from '../core/scope-pin.js';
import type { LoadOutcome } from '../sources/secrets-source.js';
import { ApiSource } from '../sources/api.source.js';
import { DopplerEmulator } from '../testing/doppler-emulator.js';
import { resolveModuleOptions } from '../options/resolve-options.js';
import { FallbackPolicy } from './fallback-policy.js';
import { FallbackStore } from './fallback-store.js';

// The policy around a real ApiSource and the emulator, on fake time. Copies at 1000 PBKDF2
// rounds: none of this is about the key's cost.

const TOKEN = 'dp.st.dev.policy-token';
const PASSPHRASE = 'a passphrase';
const ROUNDS = 1000;
const emulator = new DopplerEmulator({
  projects: { shop: { configs: { dev: { secrets: { API_KEY: 'value-1' } } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
});
let apiUrl = '';
let dir = '';
let path = '';

class RecordingLogger {
  readonly warnings: string[] = [];
  log(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
}

beforeAll(async () => {
  apiUrl = await emulator.start();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doppler-policy-'));
  path = join(dir, 'copy');
});
afterEach(async () => {
  emulator.clearFaults();
  emulator.resetRequests();
  await rm(dir, { recursive: true, force: true });
});
afterAll(() => emulator.stop());

function policy() {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const resolved = resolveModuleOptions({
    token: TOKEN,
    apiUrl,
    retries: 0,
    fallback: { path, passphrase: PASSPHRASE },
  });
  const pin = new ScopePin({}, TOKEN);
  const quiet = logger as unknown as Logger;
  const api = new ApiSource(resolved, pin, clock, quiet);
  if (!resolved.fallback) throw new Error('no fallback');
  const fallback = new FallbackPolicy(api, resolved.fallback, pin, clock, quiet, ROUNDS);
  return { fallback, clock, logger };
}

type Policy = ReturnType<typeof policy>;

/** A bootstrap load and, for a set from Doppler, the copy written after it (as bootstrap does). */
async function boot({ fallback, clock }: Policy, stuck?: () => boolean): Promise<LoadOutcome> {
  const deadline = startDeadline(clock, 10_000);
  const signal = deadline.signal;
  const run = async () => {
    const outcome = await fallback.load({ phase: 'bootstrap', signal, deadlineAt: clock.now() + 10_000 });
    if (outcome.kind === 'set') {
      const metadata = { source: outcome.set.origin, fetchedAt: outcome.set.fetchedAt };
      await fallback.accepted(outcome.set, { ...metadata, project: 'shop', config: 'dev' }, signal);
    }
    return outcome;
  };
  return onFakeTime(clock, run(), stuck).finally(deadline.release);
}

async function writeCopy(): Promise<void> {
  await new FallbackStore({ path, passphrase: PASSPHRASE, rounds: ROUNDS }).write(
    { API_KEY: 'from-the-copy', DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'dev' },
    { project: 'shop', config: 'dev' },
  );
}

async function rejection(promise: Promise<unknown>): Promise<DopplerError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DopplerError);
  return error as DopplerError;
}

describe('FallbackPolicy', () => {
  it("writes a copy of Doppler's set, and derives the key at most once per boot", async () => {
    const first = policy();
    expect(await boot(first)).toMatchObject({ kind: 'set', set: { origin: 'doppler-api' } });
    expect(existsSync(path)).toBe(true);
    expect(first.fallback.derivations).toBe(1);
    // A later boot reads the copy (one derivation) and writes with the same key.
    const second = policy();
    expect(await boot(second)).toMatchObject({ kind: 'set', set: { origin: 'doppler-api' } });
    expect(second.fallback.derivations).toBe(1);
    emulator.setFault({ kind: 'status', status: 503 });
    const third = policy();
    expect(await boot(third)).toMatchObject({ kind: 'set', set: { origin: 'fallback' } });
    expect(third.fallback.derivations).toBe(1);
  });

  it('serves the copy when Doppler fails with a retryable error, saying why and how old it is', async () => {
    await writeCopy();
    emulator.setFault({ kind: 'status', status: 503 });
    const p = policy();
    const outcome = await boot(p);
    if (outcome.kind !== 'set') throw new Error('expected a set');
    expect(outcome.set.origin).toBe('fallback');
    expect(outcome.set.raw['API_KEY']).toBe('from-the-copy');
    expect(outcome.set.fallback).toMatchObject({
      reason: 'DOPPLER_SERVER_ERROR',
      attempts: 1,
      format: 'nestjs-doppler',
    });
    expect(p.logger.warnings).toEqual([
      expect.stringContaining('serving the last-known-good secrets from the fallback copy written'),
    ]);
  });

  it('does not serve the copy for a failure a retry cannot heal, and keeps it', async () => {
    await writeCopy();
    emulator.setFault({ kind: 'raw', status: 200, body: '{"API_KEY": 1}' });
    const error = await rejection(boot(policy()));
    expect(error.code).toBe('DOPPLER_MALFORMED_RESPONSE');
    expect(existsSync(path)).toBe(true);
  });

  it('deletes the copy when Doppler rejects the token at bootstrap, as the Doppler CLI does', async () => {
    await writeCopy();
    emulator.setFault({ kind: 'status', status: 401 });
    const error = await rejection(boot(policy()));
    expect(error.code).toBe('DOPPLER_UNAUTHORIZED');
    expect(existsSync(path)).toBe(false);
  });

  it('deletes the copy when a refresh meets a 403 or 404, and keeps it on other failures', async () => {
    const p = policy();
    await boot(p);
    const signal = new AbortController().signal;
    await p.fallback.failed(new DopplerError('DOPPLER_SERVER_ERROR', 'down', { status: 503 }), signal);
    expect(existsSync(path)).toBe(true);
    await p.fallback.failed(new DopplerError('DOPPLER_FORBIDDEN', 'elsewhere', { status: 403 }), signal);
    expect(existsSync(path)).toBe(false);
  });

  it('gives the copy a 250 ms head start, then downloads even if the copy is still loading', async () => {
    await writeCopy();
    const p = policy();
    const pool = stuckThreadPool(dir);
    try {
      const loading = p.fallback.load({
        phase: 'bootstrap',
        signal: new AbortController().signal,
        deadlineAt: p.clock.now() + 10_000,
      });
      loading.catch(() => undefined);
      await settle();
      await p.clock.advance(249);
      expect(emulator.requestCount).toBe(0);
      await p.clock.advance(1);
      await waitFor('the download', () => emulator.requestCount === 1);
      expect(await loading).toMatchObject({ kind: 'set', set: { origin: 'doppler-api' } });
    } finally {
      await pool.release();
    }
  });

  it('bounds the write of the copy by the caller\u2019s deadline: a hung volume costs a warning, not the set', async () => {
    const p = policy();
    const outcome = await boot(p);
    if (outcome.kind !== 'set') throw new Error('expected a set');
    const pool = stuckThreadPool(dir);
    try {
      const deadline = startDeadline(p.clock, 500);
      const metadata = { source: 'doppler-api' as const, fetchedAt: outcome.set.fetchedAt };
      const writing = p.fallback.accepted(outcome.set, metadata, deadline.signal);
      // Only the stuck write is in flight: the deadline may fire.
      await onFakeTime(p.clock, writing, () => true);
      expect(p.logger.warnings).toEqual([
        'The Doppler fallback copy could not be written before the deadline (a slow or hung volume?); the secrets are loaded all the same.',
      ]);
    } finally {
      await pool.release();
    }
  });
});
