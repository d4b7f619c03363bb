import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openClientSockets } from '../../test/support/client-sockets.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { onFakeTime } from '../../test/support/on-fake-time.js';
import { DopplerEmulator } from '../testing/doppler-emulator.js';
import { resolveOptions } from '../options/resolve-options.js';
import { DopplerClient, type DownloadResult } from './doppler-client.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { downloadWithRetries, type RetryPolicy } from './download-with-retries.js';

// Real HTTP to the emulator, fake time: every wait and every deadline is on the test's clock,
// so the numbers below are exact, whatever the machine's load.

const TOKEN = 'dp.st.dev.retry-token';
const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: { A: 'a' } } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});
afterAll(() => emulator.stop());

const fast: Omit<RetryPolicy, 'clock'> = {
  retries: 2,
  deadline: 5000,
  timeout: 1000,
  baseDelayMs: 10,
  random: () => 1,
};

interface Run {
  readonly outcome: DownloadResult | DopplerError;
  /** Fake milliseconds the fetch took: its waits and its cut requests. */
  readonly elapsed: number;
}

/** One fetch on a fresh fake clock; `hangs` when the server never answers, so deadlines may fire. */
async function run(policy: Omit<RetryPolicy, 'clock'>, hangs = false): Promise<Run> {
  const clock = new FakeClock();
  const client = new DopplerClient(resolveOptions({ token: TOKEN, apiUrl }), { clock });
  const started = clock.now();
  const fetching = downloadWithRetries(client, { ...policy, clock });
  const outcome = await onFakeTime(clock, fetching, () => hangs && openClientSockets() > 0).catch(
    (error: unknown) => {
      expect(error).toBeInstanceOf(DopplerError);
      return error as DopplerError;
    },
  );
  return { outcome, elapsed: clock.now() - started };
}

async function failure(policy: Omit<RetryPolicy, 'clock'>, hangs = false): Promise<DopplerError & Run> {
  const result = await run(policy, hangs);
  expect(result.outcome).toBeInstanceOf(DopplerError);
  return Object.assign(result.outcome as DopplerError, result);
}

describe('downloadWithRetries', () => {
  it('retries a flapping 5xx and succeeds', async () => {
    emulator.injectFaults({ kind: 'status', status: 502 }, { kind: 'status', status: 503 });
    const { outcome, elapsed } = await run(fast);
    expect(outcome).toMatchObject({ kind: 'secrets' });
    expect(emulator.requests.map((r) => r.status)).toEqual([502, 503, 200]);
    // Full jitter at its ceiling: 10 ms, then 20 ms.
    expect(elapsed).toBe(30);
  });

  it('gives up after retries + 1 attempts and says so', async () => {
    emulator.setFault({ kind: 'status', status: 500 });
    const e = await failure(fast);
    expect(e.code).toBe('DOPPLER_SERVER_ERROR');
    expect(e.attempts).toBe(3);
    expect(e.message).toContain('Gave up after 3 attempts in 30 ms: no retries left (retries: 2)');
    expect(emulator.requestCount).toBe(3);
  });

  it.each([400, 401, 403, 404])('never retries %i', async (status) => {
    emulator.setFault({ kind: 'status', status });
    const e = await failure(fast);
    expect(e.status).toBe(status);
    expect(e.attempts).toBe(1);
    expect(e.elapsed).toBe(0);
    expect(emulator.requestCount).toBe(1);
  });

  it('never retries a malformed answer', async () => {
    emulator.setFault({ kind: 'raw', status: 200, body: '{"A": 1}' });
    const e = await failure(fast);
    expect(e.code).toBe('DOPPLER_MALFORMED_RESPONSE');
    expect(emulator.requestCount).toBe(1);
  });

  it('honours retry-after when it fits in the deadline', async () => {
    emulator.injectFaults({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const { outcome, elapsed } = await run({ ...fast, random: () => 0 });
    expect(outcome).toMatchObject({ kind: 'secrets' });
    // With zero jitter the only wait is the one Doppler asked for.
    expect(elapsed).toBe(1000);
    expect(emulator.requestCount).toBe(2);
  });

  it('honours retry-after given as an HTTP date', async () => {
    // HTTP dates have whole seconds: this one is 0.5 s to 1.5 s away.
    const inOneSecond = new Date(Date.now() + 1500).toUTCString();
    emulator.injectFaults({ kind: 'status', status: 429, headers: { 'retry-after': inOneSecond } });
    const { outcome, elapsed } = await run({ ...fast, random: () => 0 });
    expect(outcome).toMatchObject({ kind: 'secrets' });
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThanOrEqual(1500);
    expect(emulator.requestCount).toBe(2);
  });

  it('stops at once when retry-after does not fit in the deadline', async () => {
    emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
    const e = await failure({ ...fast, deadline: 2000 });
    expect(e.code).toBe('DOPPLER_RATE_LIMITED');
    expect(e.attempts).toBe(1);
    expect(e.message).toMatch(/Doppler rate-limited .* it asked to wait 60 s, past the 2000 ms deadline/);
    expect(e.elapsed).toBe(0);
  });

  it('keeps the whole fetch inside the deadline, however many retries are allowed', async () => {
    emulator.setFault({ kind: 'hang' });
    const e = await failure(
      { retries: 10, deadline: 700, timeout: 300, baseDelayMs: 10, random: () => 1 },
      true,
    );
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    // 300 ms, a 10 ms wait, 300 ms, a 20 ms wait, then the 70 ms left of the deadline.
    expect(e.attempts).toBe(3);
    expect(e.elapsed).toBe(700);
    expect(e.message).toContain('before the 700 ms start-up deadline ran out (deadline option; 70 ms');
  });

  it('uses full jitter: waits are random up to the doubling ceiling', async () => {
    emulator.setFault({ kind: 'status', status: 503 });
    const draws: number[] = [];
    const random = () => {
      draws.push(0.5);
      return 0.5;
    };
    const e = await failure({ retries: 2, deadline: 5000, timeout: 1000, baseDelayMs: 100, random });
    // Waits: 0.5 * 100 and 0.5 * 200.
    expect(draws).toHaveLength(2);
    expect(e.elapsed).toBe(150);
  });
});
