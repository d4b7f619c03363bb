import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerEmulator } from '../testing/doppler-emulator.js';
import { resolveOptions } from '../options/resolve-options.js';
import { DopplerClient } from './doppler-client.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { openClientSockets } from '../../test/support/client-sockets.js';
import { everythingShown } from '../../test/support/everything-shown.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { onFakeTime } from '../../test/support/on-fake-time.js';

const TOKEN = 'dp.st.dev.CANARYTOKEN4c1d9e';
const VALUE = 'CANARY-VALUE-0b7e55';

const emulator = new DopplerEmulator({
  projects: {
    shop: {
      configs: {
        dev: { secrets: { DATABASE_URL: `postgres://${VALUE}@db/shop`, EMPTY: '' } },
        prd: { secrets: {} },
      },
    },
  },
  tokens: [
    { token: TOKEN, project: 'shop', config: 'dev' },
    { token: 'dp.pt.CANARYpersonal', project: undefined },
  ],
});
let url = '';

beforeAll(async () => {
  url = await emulator.start();
});
afterAll(() => emulator.stop());
afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});

function client(overrides: Record<string, unknown> = {}): DopplerClient {
  return new DopplerClient(resolveOptions({ token: TOKEN, apiUrl: url, timeout: 1000, ...overrides }));
}

/** Runs a download expected to fail; checks the error never carries a canary. */
async function failure(c: DopplerClient = client(), run = () => c.download()): Promise<DopplerError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(DopplerError);
    const e = error as DopplerError;
    const everything = everythingShown(e);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain('CANARYTOKEN');
    expect(everything).not.toContain(VALUE);
    expect(everything).not.toContain('Authorization');
    expect(e.cause).toBeUndefined();
    return e;
  }
  throw new Error('expected the download to fail');
}

describe('DopplerClient against the emulator', () => {
  it('downloads the flat secrets object with Bearer auth, keeping empty strings', async () => {
    const result = await client().download();
    expect(result.kind).toBe('secrets');
    if (result.kind !== 'secrets') return;
    expect(result.secrets['DATABASE_URL']).toBe(`postgres://${VALUE}@db/shop`);
    expect(result.secrets['EMPTY']).toBe('');
    expect(result.secrets['DOPPLER_PROJECT']).toBe('shop');
    expect(result.secrets['DOPPLER_CONFIG']).toBe('dev');
    expect(result.etag).toMatch(/^".+"$/);
    expect(emulator.requests[0]).toMatchObject({ auth: 'bearer', tokenKind: 'service' });
    expect(emulator.requests[0]?.query).toMatchObject({ format: 'json' });
  });

  it('answers not-modified when the ETag is current', async () => {
    const first = await client().download();
    if (first.kind !== 'secrets' || first.etag === undefined) throw new Error('expected an etag');
    const second = await client().download({ etag: first.etag });
    expect(second).toEqual({ kind: 'not-modified', etag: first.etag });
  });

  it('sends project and config for tokens that need them', async () => {
    const result = await client({ token: 'dp.pt.CANARYpersonal', project: 'shop', config: 'prd' }).download();
    expect(result.kind === 'secrets' && result.secrets['DOPPLER_CONFIG']).toBe('prd');
    expect(emulator.requests[0]?.query).toMatchObject({ project: 'shop', config: 'prd' });
  });

  it('401: an unknown token is final, and says what to check', async () => {
    const e = await failure(client({ token: 'dp.st.dev.CANARYTOKENwrong' }));
    expect(e.code).toBe('DOPPLER_UNAUTHORIZED');
    expect(e.status).toBe(401);
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/wrong, revoked, or belongs to another workplace/);
    expect(e.message).toContain('Doppler said: "Invalid Auth token"');
  });

  it('403: a service token asked for another config', async () => {
    const e = await failure(client({ config: 'prd' }));
    expect(e.code).toBe('DOPPLER_FORBIDDEN');
    expect(e.message).toMatch(/scoped to a different project or config/);
  });

  it('404: an unknown project', async () => {
    const e = await failure(client({ token: 'dp.pt.CANARYpersonal', project: 'nope', config: 'prd' }));
    expect(e.code).toBe('DOPPLER_NOT_FOUND');
    expect(e.message).toContain('project "nope", config "prd"');
  });

  it('429: rate limited, retryable, with the wait Doppler asked for', async () => {
    emulator.injectFaults({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const e = await failure();
    expect(e.code).toBe('DOPPLER_RATE_LIMITED');
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBe(7000);
    expect(e.message).toContain('wait 7 s');
  });

  it.each([500, 502, 503])('%i: Doppler trouble is retryable', async (status) => {
    emulator.injectFaults({ kind: 'status', status });
    const e = await failure();
    expect(e.code).toBe('DOPPLER_SERVER_ERROR');
    expect(e.status).toBe(status);
    expect(e.retryable).toBe(true);
  });

  it('scrubs a token that a lying server echoes in its error messages', async () => {
    emulator.injectFaults({
      kind: 'status',
      status: 500,
      body: JSON.stringify({ messages: [`bad token ${TOKEN} and dp.st.other.CANARYTOKENx`], success: false }),
    });
    const e = await failure();
    expect(e.message).toContain('bad token [token] and [token]');
  });

  it('a hung server hits the deadline', async () => {
    emulator.injectFaults({ kind: 'hang' });
    // Fake time: the deadline fires while the request hangs, at exactly 300 ms.
    const clock = new FakeClock();
    const c = new DopplerClient(resolveOptions({ token: TOKEN, apiUrl: url, timeout: 300 }), { clock });
    const started = clock.now();
    const e = await failure(c, () => onFakeTime(clock, c.download(), () => openClientSockets() > 0));
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.message).toContain('within 300 ms (timeout option)');
    expect(clock.now() - started).toBe(300);
  });

  // The one test of a real socket against the real clock's deadline. The body would take 20 s to
  // drip; an idle timer (axios' `timeout`) is reset by every byte and would let it run that long,
  // past this test's timeout. Ending at all, with a timeout, is the proof that the deadline cut it.
  it('a server dripping the body is cut at the deadline, not kept alive by each byte', async () => {
    emulator.injectFaults({ kind: 'drip', intervalMs: 20, body: '{"A":"' + 'x'.repeat(1000) + '"}' });
    const e = await failure(client({ timeout: 200 }));
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.message).toContain('within 200 ms (timeout option)');
  });

  it('a connection reset mid-body is a retryable connection error', async () => {
    emulator.injectFaults({ kind: 'reset', afterBytes: 5 });
    const e = await failure();
    expect(e.code).toBe('DOPPLER_UNREACHABLE');
    expect(e.retryable).toBe(true);
  });

  it.each([
    ['truncated JSON', '{"DATABASE_URL": "postgres://CANARY-VALUE-0b7e55', /not valid JSON/],
    [
      'an HTML error page',
      `<html><body>502 Bad Gateway ${VALUE}</body></html>`,
      /not valid JSON .*content-type text\/html/,
    ],
    ['a JSON array', `["${VALUE}"]`, /is an array, not an object of secrets/],
    ['JSON null', 'null', /is null, not an object/],
    [
      'a non-string value',
      `{"PORT": 3000, "X": "${VALUE}"}`,
      /holds a number for "PORT"; every secret must be a string/,
    ],
    ['a nested object', `{"NESTED": {"a": "${VALUE}"}}`, /holds an object for "NESTED"/],
  ])('refuses %s as a malformed response', async (_name, body, pattern) => {
    const type = body.startsWith('<') ? 'text/html' : 'application/json';
    emulator.injectFaults({ kind: 'raw', status: 200, headers: { 'content-type': type }, body });
    const e = await failure();
    expect(e.code).toBe('DOPPLER_MALFORMED_RESPONSE');
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(pattern);
  });

  it('refuses a body over the size cap', async () => {
    const big = JSON.stringify({ A: 'x'.repeat(4096) });
    emulator.injectFaults({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    const e = await failure(client({ maxResponseBytes: 1024 }));
    expect(e.code).toBe('DOPPLER_RESPONSE_TOO_LARGE');
  });

  it('refuses a gzip bomb by its decompressed size', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ A: 'x'.repeat(20 * 1024 * 1024) })));
    expect(bomb.length).toBeLessThan(64 * 1024);
    emulator.injectFaults({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    const e = await failure();
    expect(e.code).toBe('DOPPLER_RESPONSE_TOO_LARGE');
  });

  it('does not follow a redirect, so the token goes nowhere else', async () => {
    let stolen = 0;
    const thief: Server = createServer((_req, res) => {
      stolen++;
      res.end('{}');
    });
    await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
    const port = (thief.address() as AddressInfo).port;
    try {
      emulator.injectFaults({ kind: 'redirect', location: `http://127.0.0.1:${port}/steal` });
      const e = await failure();
      expect(e.code).toBe('DOPPLER_REDIRECT');
      expect(e.message).toMatch(/not followed/);
      expect(stolen).toBe(0);
    } finally {
      await new Promise((r) => thief.close(r));
    }
  });

  it('connection refused is a retryable unreachable error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await failure(client({ apiUrl: `http://127.0.0.1:${port}` }));
    expect(e.code).toBe('DOPPLER_UNREACHABLE');
    expect(e.reason).toBe('ECONNREFUSED');
    expect(e.message).toMatch(/connection was refused/);
  });

  it('an unresolvable host is an unreachable error naming DNS', async () => {
    const e = await failure(client({ apiUrl: 'https://doppler.invalid' }));
    expect(e.code).toBe('DOPPLER_UNREACHABLE');
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(e.reason);
    expect(e.message).toMatch(/DNS/);
  });
});
