import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerEmulator } from '../testing/doppler-emulator.js';
import { resolveOptions } from '../utils/resolve-options.js';
import { DopplerClient } from './doppler-client.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { downloadWithRetries, type RetryPolicy } from './download-with-retries.js';

const TOKEN = 'dp.st.dev.retry-token';
const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: { A: 'a' } } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let client: DopplerClient;

beforeAll(async () => {
  const apiUrl = await emulator.start();
  client = new DopplerClient(resolveOptions({ token: TOKEN, apiUrl }));
});
afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});
afterAll(() => emulator.stop());

const fast: RetryPolicy = { retries: 2, deadline: 5000, timeout: 1000, baseDelayMs: 10, random: () => 1 };

async function failure(policy: RetryPolicy): Promise<DopplerError & { elapsed: number }> {
  const started = performance.now();
  const error = await downloadWithRetries(client, policy).then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DopplerError);
  return Object.assign(error as DopplerError, { elapsed: performance.now() - started });
}

describe('downloadWithRetries', () => {
  it('retries a flapping 5xx and succeeds', async () => {
    emulator.injectFaults({ kind: 'status', status: 502 }, { kind: 'status', status: 503 });
    const result = await downloadWithRetries(client, fast);
    expect(result.kind).toBe('secrets');
    expect(emulator.requests.map((r) => r.status)).toEqual([502, 503, 200]);
  });

  it('gives up after retries + 1 attempts and says so', async () => {
    emulator.setFault({ kind: 'status', status: 500 });
    const e = await failure(fast);
    expect(e.code).toBe('DOPPLER_SERVER_ERROR');
    expect(e.attempts).toBe(3);
    expect(e.message).toMatch(/Gave up after 3 attempts in \d+ ms: no retries left \(retries: 2\)/);
    expect(emulator.requestCount).toBe(3);
  });

  it.each([400, 401, 403, 404])('never retries %i', async (status) => {
    emulator.setFault({ kind: 'status', status });
    const e = await failure(fast);
    expect(e.status).toBe(status);
    expect(e.attempts).toBe(1);
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
    const started = performance.now();
    const result = await downloadWithRetries(client, { ...fast, random: () => 0 });
    expect(result.kind).toBe('secrets');
    // With zero jitter the only wait is the one Doppler asked for.
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(emulator.requestCount).toBe(2);
  });

  it('honours retry-after given as an HTTP date', async () => {
    const inOneSecond = new Date(Date.now() + 1500).toUTCString();
    emulator.injectFaults({ kind: 'status', status: 429, headers: { 'retry-after': inOneSecond } });
    const started = performance.now();
    await downloadWithRetries(client, { ...fast, random: () => 0 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect(emulator.requestCount).toBe(2);
  });

  it('stops at once when retry-after does not fit in the deadline', async () => {
    emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
    const e = await failure({ ...fast, deadline: 2000 });
    expect(e.code).toBe('DOPPLER_RATE_LIMITED');
    expect(e.attempts).toBe(1);
    expect(e.message).toMatch(/Doppler rate-limited .* it asked to wait 60 s, past the 2000 ms deadline/);
    expect(e.elapsed).toBeLessThan(1000);
  });

  it('keeps the whole fetch inside the deadline, however many retries are allowed', async () => {
    emulator.setFault({ kind: 'hang' });
    const e = await failure({ retries: 10, deadline: 700, timeout: 300, baseDelayMs: 10, random: () => 1 });
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.attempts).toBeGreaterThanOrEqual(2);
    expect(e.elapsed).toBeLessThan(700 + 100);
  });

  it('uses full jitter: waits are random up to the doubling ceiling', async () => {
    emulator.setFault({ kind: 'status', status: 503 });
    const draws: number[] = [];
    const random = () => {
      draws.push(0.5);
      return 0.5;
    };
    const started = performance.now();
    await failure({ retries: 2, deadline: 5000, timeout: 1000, baseDelayMs: 100, random });
    // Waits: 0.5 * 100 and 0.5 * 200.
    expect(draws).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150 - 5);
  });
});
