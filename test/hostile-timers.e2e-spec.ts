import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerError, loadDopplerSecrets } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';

/*
 * The timer rows of the hostile-input list, against a real server on 127.0.0.1 and real time:
 * a retry-after no timer can hold, or one that says "now", must never turn into a tight loop.
 * Bounds are counts of requests, never durations.
 */

const TOKEN = 'dp.st.dev.timers-token';
const emulator = new DopplerEmulator({
  projects: { shop: { configs: { dev: { secrets: { API_KEY: 'value-0001' } } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
  Logger.overrideLogger(false);
});
afterAll(() => emulator.stop());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['2147484 s (past what a Node timer holds)', '2147484'],
  ['a date a year away', new Date(Date.now() + 365 * 86_400_000).toUTCString()],
  ['0', '0'],
  ['a date in the past', new Date(Date.now() - 60_000).toUTCString()],
])('429 with retry-after %s', (_name, retryAfter) => {
  it('refresh: the next check waits at least the backoff, at most an hour; no tight loop', async () => {
    emulator.clearFaults();
    const secrets = await loadDopplerSecrets({ token: TOKEN, apiUrl, refresh: { interval: 100, jitter: 0 } });
    try {
      emulator.resetRequests();
      emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': retryAfter } });
      await pause(1_000);
      // A clamped 1 ms timer would have made hundreds of requests here; the backoff from a 100 ms
      // interval allows at most a handful (first check within 100 ms, then 200, 400, ...).
      expect(emulator.requestCount).toBeGreaterThanOrEqual(1);
      expect(emulator.requestCount).toBeLessThanOrEqual(5);
      expect(secrets.status.lastFailureCode).toBe('DOPPLER_RATE_LIMITED');
    } finally {
      await secrets.close();
      emulator.clearFaults();
    }
  });

  it('bootstrap: the retry loop never waits less than its backoff and stops by the deadline', async () => {
    emulator.resetRequests();
    emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': retryAfter } });
    try {
      const error = await loadDopplerSecrets({ token: TOKEN, apiUrl, retries: 10, deadline: 1_000 }).then(
        () => new Error('expected a failure'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DopplerError);
      expect((error as DopplerError).code).toBe('DOPPLER_RATE_LIMITED');
      // Eleven attempts in 49 ms was the defect; full-jitter backoff from 500 ms allows a few.
      expect(emulator.requestCount).toBeLessThan(8);
    } finally {
      emulator.clearFaults();
    }
  });
});
