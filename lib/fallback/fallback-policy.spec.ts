import type { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { ScopePin } from '../core/scope-pin.js';
import { ApiSource } from '../sources/api.source.js';
import { DopplerEmulator } from '../testing/doppler-emulator.js';
import { resolveModuleOptions } from '../utils/resolve-options.js';
import { FallbackPolicy } from './fallback-policy.js';

const TOKEN = 'dp.st.dev.policy-token';
const emulator = new DopplerEmulator({
  projects: { shop: { configs: { dev: { secrets: { API_KEY: 'value-1' } } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
});
const quiet = { log: () => undefined, warn: () => undefined } as unknown as Logger;
let apiUrl = '';
let dir = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-policy-'));
});
afterEach(() => emulator.clearFaults());
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

function policy(path: string): FallbackPolicy {
  const resolved = resolveModuleOptions({
    token: TOKEN,
    apiUrl,
    retries: 0,
    fallback: { path, passphrase: 'a passphrase' },
  });
  const pin = new ScopePin({}, TOKEN);
  const api = new ApiSource(resolved, pin, systemClock, quiet);
  if (!resolved.fallback) throw new Error('no fallback');
  return new FallbackPolicy(api, resolved.fallback, pin, systemClock, quiet);
}

async function boot(p: FallbackPolicy): Promise<string> {
  const signal = AbortSignal.timeout(10_000);
  const outcome = await p.load({ phase: 'bootstrap', signal, deadlineAt: Date.now() + 10_000 });
  if (outcome.kind !== 'set') throw new Error('expected a set');
  await p.accepted(
    outcome.set,
    { source: outcome.set.origin, fetchedAt: new Date(), project: 'shop', config: 'dev' },
    signal,
  );
  return outcome.set.origin;
}

describe('FallbackPolicy', () => {
  it('derives the PBKDF2 key at most once per boot: for the first write, and for a read then a write', async () => {
    const path = join(dir, 'once');
    const first = policy(path);
    expect(await boot(first)).toBe('doppler-api');
    expect(existsSync(path)).toBe(true);
    expect(first.derivations).toBe(1);
    // A later boot reads the copy (one derivation) and writes with the same key.
    const second = policy(path);
    expect(await boot(second)).toBe('doppler-api');
    expect(second.derivations).toBe(1);
    emulator.setFault({ kind: 'status', status: 503 });
    const third = policy(path);
    expect(await boot(third)).toBe('fallback');
    expect(third.derivations).toBe(1);
    // Three real 500,000-round derivations: seconds on a loaded two-core machine.
  }, 60_000);
});
