import type { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerError } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { loadDopplerSecretsWith } from '../lib/load-doppler-secrets.js';
import { FakeClock } from './support/fake-clock.js';
import { advanceOnFakeTime, onFakeTime } from './support/on-fake-time.js';

/*
 * The timer rows of the hostile-input list, against a real server on 127.0.0.1 on fake time:
 * a retry-after no timer can hold, or one that says "now", must never turn into a tight loop.
 * Bounds are counts of requests at exact points of the fake clock.
 */

const TOKEN = 'dp.st.dev.timers-token';
const HOUR = 60 * 60_000;
const emulator = new DopplerEmulator({
  projects: { shop: { configs: { dev: { secrets: { API_KEY: 'value-0001' } } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
});
const quiet = { log: () => undefined, warn: () => undefined } as unknown as Logger;
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});
afterAll(() => emulator.stop());

/** The pipeline on fake time, its jitter at the middle of its range. */
function deps(clock: FakeClock) {
  return { clock, logger: quiet, random: () => 0.5 };
}

describe.each([
  // [name, retry-after, whether it is longer than any deadline and capped at an hour in refresh]
  ['2147484 s (past what a Node timer holds)', () => '2147484', true],
  ['a date a year away', () => new Date(Date.now() + 365 * 86_400_000).toUTCString(), true],
  ['0', () => '0', false],
  ['a date in the past', () => new Date(Date.now() - 60_000).toUTCString(), false],
])('429 with retry-after %s', (_name, retryAfter, huge) => {
  it('refresh: the next check waits at least the backoff, at most an hour; no tight loop', async () => {
    const clock = new FakeClock();
    const secrets = await onFakeTime(
      clock,
      loadDopplerSecretsWith({ token: TOKEN, apiUrl, refresh: { interval: 100, jitter: 0 } }, deps(clock)),
    );
    try {
      emulator.resetRequests();
      emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': retryAfter() } });
      await advanceOnFakeTime(clock, 1_000);
      // A clamped 1 ms timer would have made hundreds of requests here. The first check comes at
      // 50 ms; then the backoff from a 100 ms interval (200, 400 ms...) or the hour retry-after is capped at.
      expect(emulator.requestCount).toBe(huge ? 1 : 3);
      expect(secrets.status.lastFailureCode).toBe('DOPPLER_RATE_LIMITED');
      if (huge) {
        // An hour after the failed check at 50 ms, and not before: the next one.
        await advanceOnFakeTime(clock, HOUR + 49 - 1_000);
        expect(emulator.requestCount).toBe(1);
        await advanceOnFakeTime(clock, 1);
        expect(emulator.requestCount).toBe(2);
      }
    } finally {
      await secrets.close();
    }
  });

  it('bootstrap: the retry loop never waits less than its backoff and stops by the deadline', async () => {
    emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': retryAfter() } });
    const clock = new FakeClock();
    const started = clock.now();
    const error = await onFakeTime(
      clock,
      loadDopplerSecretsWith({ token: TOKEN, apiUrl, retries: 10, deadline: 1_000 }, deps(clock)),
    ).then(
      () => new Error('expected a failure'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DopplerError);
    expect((error as DopplerError).code).toBe('DOPPLER_RATE_LIMITED');
    // Eleven attempts in 49 ms was the defect. A wait past the deadline ends the loop at once;
    // "now" still waits the backoff (250 ms, then 500 ms), and the next (1 s) no longer fits.
    expect(emulator.requestCount).toBe(huge ? 1 : 3);
    expect(clock.now() - started).toBe(huge ? 0 : 750);
  });
});
