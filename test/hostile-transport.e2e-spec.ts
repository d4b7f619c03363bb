/**
 * The transport against hostile or merely real-world infrastructure, all of it real servers
 * on 127.0.0.1 written here (test/support/hostile-servers.ts): a gateway with a path prefix,
 * forward proxies (CONNECT, 407, hanging, refusing, https:), a plain-http port addressed as
 * https:, TLS origins with bad certificates, gateways' own 401/403/404 pages, a dripping
 * server, and a child process under NODE_DEBUG. Every failure is checked for its code,
 * `retryable`, the words that say who failed, the number of attempts, and canaries: the
 * token and the proxy password appear in nothing the error shows, and (for proxies) the
 * token never crosses a proxy in clear text.
 */
import { IsString } from 'class-validator';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerError, DopplerModule, type DopplerModuleOptions } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import {
  DopplerClient,
  type DopplerClientEnvironment,
  type DownloadResult,
} from '../lib/client/doppler-client.js';
import { downloadWithRetries, type RetryPolicy } from '../lib/client/download-with-retries.js';
import type { ClientEnv } from '../lib/client/proxy-route.js';
import { resolveOptions } from '../lib/options/resolve-options.js';
import { openClientSockets } from './support/client-sockets.js';
import { everythingShown } from './support/everything-shown.js';
import { compileForNode } from './support/compile-for-node.js';
import { FakeClock } from './support/fake-clock.js';
import { onFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';
import {
  startFixedAnswer,
  startGateway,
  startProxy,
  type Origin,
  type ProxyBehaviour,
  type RecordingProxy,
} from './support/hostile-servers.js';
import { makeTestCertificates, type KeyPair, type TestCertificates } from './support/test-certificates.js';

const TOKEN = 'dp.st.dev.CANARY-TOKEN-hostile-7f3a';
const VALUE = 'CANARY-VALUE-hostile-2b9e';
const PROXY_USER = 'ci-bot';
const PROXY_PASS = 'CANARY-PROXY-PASS-91c2';
const PROXY_BASIC = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASS}`).toString('base64')}`;

const emulator = new DopplerEmulator({
  projects: { shop: { configs: { dev: { secrets: { API_KEY: VALUE } } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
});
// A few milliseconds with node:crypto; no private key is committed.
const certs = makeTestCertificates();
const running: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  await emulator.start();
});
afterEach(async () => {
  emulator.clearFaults();
  emulator.resetRequests();
  await Promise.all(running.splice(0).map((server) => server.close()));
});
afterAll(() => emulator.stop());

/** Registers a server for closing after the test, and returns it. */
async function use<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const started = await server;
  running.push(started);
  return started;
}

/** An https: origin with this certificate, serving the emulator. */
async function tlsOrigin(pair: KeyPair): Promise<Origin> {
  return use(startGateway(emulator.url, { tls: pair }));
}

/** A proxy whose tunnels and forwarded requests all lead to `to`. */
function proxyTo(to: { port: number }, behaviour: Partial<ProxyBehaviour> = {}): Promise<RecordingProxy> {
  return use(startProxy({ upstream: () => ({ host: '127.0.0.1', port: to.port }), ...behaviour }));
}

type ClientOptions = Partial<DopplerModuleOptions> & { readonly env?: ClientEnv } & Omit<
    DopplerClientEnvironment,
    'env'
  >;

/** A client with its own environment: tests never read or change process.env. */
function client(
  apiUrl: string,
  { env = {}, ca, resolve, clock, ...options }: ClientOptions = {},
): DopplerClient {
  return new DopplerClient(resolveOptions({ token: TOKEN, apiUrl, timeout: 3000, ...options }), {
    env,
    ...(ca !== undefined && { ca }),
    ...(resolve !== undefined && { resolve }),
    ...(clock !== undefined && { clock }),
  });
}

const policy: RetryPolicy = { retries: 2, deadline: 10_000, timeout: 3000, baseDelayMs: 5, random: () => 1 };

/** Fetches as bootstrap does (with retries) and returns the error it ends with, checked for canaries. */
async function failure(
  c: DopplerClient,
  retry: Partial<RetryPolicy> = {},
  drive: (fetching: Promise<DownloadResult>) => Promise<DownloadResult> = (fetching) => fetching,
): Promise<DopplerError> {
  const outcome = await drive(downloadWithRetries(c, { ...policy, ...retry })).then(
    (result: DownloadResult) => result,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(DopplerError);
  const error = outcome as DopplerError;
  const shown = everythingShown(error);
  for (const canary of [
    'CANARY',
    TOKEN,
    PROXY_PASS,
    PROXY_BASIC,
    Buffer.from(`${PROXY_USER}:${PROXY_PASS}`).toString('base64'),
  ]) {
    expect(shown).not.toContain(canary);
  }
  expect(error.cause).toBeUndefined();
  // What a server sent is never printed with control characters.
  expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
  return error;
}

async function secretsFrom(c: DopplerClient): Promise<Readonly<Record<string, string>>> {
  const result = await downloadWithRetries(c, policy);
  if (result.kind !== 'secrets') throw new Error('expected secrets');
  return result.secrets;
}

const ALL_PROXY_VARIABLES = (proxy: RecordingProxy): ClientEnv => ({
  HTTP_PROXY: proxy.url,
  http_proxy: proxy.url,
  HTTPS_PROXY: proxy.url,
  https_proxy: proxy.url,
  ALL_PROXY: proxy.url,
  all_proxy: proxy.url,
});

describe('an apiUrl with a path prefix (a corporate gateway)', () => {
  it.each(['/doppler', '/doppler/', '/corp/doppler'])(
    'requests the prefix %s once, not twice',
    async (prefix) => {
      const gateway = await use(startGateway(emulator.url, { prefix: prefix.replace(/\/$/, '') }));
      const secrets = await secretsFrom(client(`${gateway.url}${prefix}`));
      expect(secrets['API_KEY']).toBe(VALUE);
      expect(gateway.paths).toEqual([
        `${prefix.replace(/\/$/, '')}/v3/configs/config/secrets/download?format=json`,
      ]);
    },
  );

  it("a prefix the gateway does not serve is the gateway's 404, not DOPPLER_NOT_FOUND, and is not retried", async () => {
    const gateway = await use(startGateway(emulator.url, { prefix: '/doppler' }));
    const e = await failure(client(`${gateway.url}/elsewhere`));
    expect(e.code).toBe('DOPPLER_UNEXPECTED_STATUS');
    expect(e.status).toBe(404);
    expect(e.retryable).toBe(false);
    expect(e.attempts).toBe(1);
    expect(e.message).toContain(
      `127.0.0.1:${gateway.port} answered 404 with a body that is not Doppler's (an HTML page?)`,
    );
    expect(e.message).toMatch(/check apiUrl, a gateway or proxy in between/);
    expect(gateway.paths).toHaveLength(1);
  });
});

describe("401/403/404 are Doppler's verdict only in Doppler's own error shape", () => {
  it.each([
    [401, '<html><body>401 Authorization Required</body></html>'],
    [403, '<html><body>403 Forbidden by policy</body></html>'],
    [404, '<html><body>404 Not Found</body></html>'],
    [404, '{"error":"not found"}'],
    [401, '{"messages":["looks like Doppler"]}'],
    [403, ''],
  ])('a gateway answering %i with %j: unexpected status, not retried, not final', async (status, body) => {
    const gateway = await use(startFixedAnswer({ status, body }));
    const e = await failure(client(gateway.url));
    expect(e.code).toBe('DOPPLER_UNEXPECTED_STATUS');
    expect(e.status).toBe(status);
    expect(e.retryable).toBe(false);
    expect(e.attempts).toBe(1);
    expect(e.message).toContain(`answered ${status} with a body that is not Doppler's`);
    expect(e.message).not.toMatch(/Doppler rejected|Doppler refused|Doppler could not find/);
    expect(gateway.paths).toHaveLength(1);
  });

  it("Doppler's own 403, passed on by a gateway, is still DOPPLER_FORBIDDEN", async () => {
    const body = JSON.stringify({
      messages: ['This token does not have access to requested config'],
      success: false,
    });
    const gateway = await use(startFixedAnswer({ status: 403, body, contentType: 'application/json' }));
    const e = await failure(client(gateway.url));
    expect(e.code).toBe('DOPPLER_FORBIDDEN');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('Doppler said: "This token does not have access to requested config"');
  });

  it("a gateway's HTML 502 is retried, and the message does not say Doppler answered it", async () => {
    const gateway = await use(startFixedAnswer({ status: 502, body: '<html>Bad Gateway</html>' }));
    const e = await failure(client(gateway.url));
    expect(e.code).toBe('DOPPLER_SERVER_ERROR');
    expect(e.retryable).toBe(true);
    expect(e.attempts).toBe(3);
    expect(e.message).toContain(`127.0.0.1:${gateway.port} answered 502 with a body that is not Doppler's`);
    expect(gateway.paths).toHaveLength(3);
  });

  it('control characters in what a server says are not printed', async () => {
    const forged = 'bad\u001b[31m\r\nERROR forged line\u0085\u202egnp.exe';
    const body = JSON.stringify({ messages: [forged], success: false });
    const gateway = await use(startFixedAnswer({ status: 404, body, contentType: 'application/json' }));
    const e = await failure(client(gateway.url));
    expect(e.code).toBe('DOPPLER_NOT_FOUND');
    expect(e.message).toContain('Doppler said: "bad [31m  ERROR forged line  gnp.exe"');
  });

  describe('at bootstrap, with a fallback copy', () => {
    class Secrets {
      @IsString()
      API_KEY!: string;
    }
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'doppler-hostile-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    async function boot(options: DopplerModuleOptions): Promise<unknown> {
      // The copy at 1000 PBKDF2 rounds: this is about who may delete it, not its key.
      const registration = withPipelineDeps(DopplerModule.forRoot(options), { fallbackRounds: 1000 });
      return Test.createTestingModule({ imports: [registration] })
        .compile()
        .then(
          async (moduleRef) => moduleRef.close(),
          (error: unknown) => error,
        );
    }

    it("a gateway's HTML 404 does not delete the fallback copy (only Doppler's own 404 would)", async () => {
      const fallback = { path: join(dir, 'copy.enc'), passphrase: 'CANARY-passphrase-hostile' };
      const base = { token: TOKEN, schema: Secrets, fallback, retries: 1, timeout: 2000, deadline: 5000 };
      expect(await boot({ ...base, apiUrl: emulator.url })).toBeUndefined();
      expect(existsSync(fallback.path)).toBe(true);

      const gateway = await use(startFixedAnswer({ status: 404, body: '<html>404</html>' }));
      const error = await boot({ ...base, apiUrl: gateway.url });
      expect(error).toBeInstanceOf(DopplerError);
      expect((error as DopplerError).code).toBe('DOPPLER_UNEXPECTED_STATUS');
      expect(everythingShown(error)).not.toContain('CANARY');
      expect(existsSync(fallback.path)).toBe(true);
    });
  });
});

describe('TLS failures are final and say what is wrong', () => {
  it('a plain-http port addressed as https: "does not speak TLS", not retried', async () => {
    const e = await failure(client(`https://127.0.0.1:${emulator.port}`));
    expect(e.code).toBe('DOPPLER_UNREACHABLE');
    expect(e.retryable).toBe(false);
    expect(e.attempts).toBe(1);
    expect(e.reason).toBe('EPROTO');
    expect(e.message).toContain(
      `127.0.0.1:${emulator.port} does not speak TLS on that port: check the apiUrl scheme (https:) and port`,
    );
    expect(emulator.requestCount).toBe(0);
  });

  describe('certificates (made at test time, no private key is committed)', () => {
    it.each<[string, (c: TestCertificates) => KeyPair, boolean, string, RegExp]>([
      ['self-signed', (c) => c.selfSigned, false, 'DEPTH_ZERO_SELF_SIGNED_CERT', /it is self-signed/],
      [
        'signed by an unknown CA',
        (c) => c.good,
        false,
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        /not signed by a certificate authority this process trusts/,
      ],
      ['expired', (c) => c.expired, true, 'CERT_HAS_EXPIRED', /it has expired/],
      [
        'for another name',
        (c) => c.wrongName,
        true,
        'ERR_TLS_CERT_ALTNAME_INVALID',
        /issued for another host name/,
      ],
    ])('%s: %s', async (_name, pick, trustCa, code, words) => {
      const origin = await tlsOrigin(pick(certs));
      const e = await failure(client(origin.url, trustCa ? { ca: certs.ca.cert } : {}));
      expect(e.code).toBe('DOPPLER_UNREACHABLE');
      expect(e.reason).toBe(code);
      expect(e.retryable).toBe(false);
      expect(e.attempts).toBe(1);
      expect(e.message).toContain(`The TLS certificate of 127.0.0.1:${origin.port} was not accepted`);
      expect(e.message).toMatch(words);
      expect(e.message).toMatch(/intercepts TLS, give Node its CA with NODE_EXTRA_CA_CERTS/);
      expect(origin.paths).toEqual([]);
    });

    it('a good certificate from a trusted CA works (the scenarios above fail for their reason only)', async () => {
      const origin = await tlsOrigin(certs.good);
      expect((await secretsFrom(client(origin.url, { ca: certs.ca.cert })))['API_KEY']).toBe(VALUE);
      expect(origin.authorizations).toEqual([`Bearer ${TOKEN}`]);
    });
  });
});

describe('proxies: loopback never, https: only through a CONNECT tunnel', () => {
  it.each(['127.0.0.1', 'localhost'])(
    'a loopback apiUrl (%s) goes direct even with every proxy variable set',
    async (host) => {
      const proxy = await use(startProxy({ upstream: () => ({ host: '127.0.0.1', port: emulator.port }) }));
      const secrets = await secretsFrom(
        client(`http://${host}:${emulator.port}`, { env: ALL_PROXY_VARIABLES(proxy) }),
      );
      expect(secrets['API_KEY']).toBe(VALUE);
      expect(proxy.connections).toBe(0);
    },
  );

  it('a loopback apiUrl ([::1]) goes direct even with every proxy variable set', async ({ skip }) => {
    const proxy = await use(startProxy({ upstream: () => ({ host: '127.0.0.1', port: emulator.port }) }));
    const onIpv6 = new DopplerEmulator(
      {
        projects: { shop: { configs: { dev: { secrets: { API_KEY: VALUE } } } } },
        tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
      },
      { host: '::1' },
    );
    const started = await onIpv6.start().then(
      () => true,
      () => false,
    );
    if (!started) skip('no IPv6 loopback on this machine');
    running.push({ close: () => onIpv6.stop() });
    const secrets = await secretsFrom(
      client(`http://[::1]:${onIpv6.port}`, { env: ALL_PROXY_VARIABLES(proxy) }),
    );
    expect(secrets['API_KEY']).toBe(VALUE);
    expect(proxy.connections).toBe(0);
  });

  it('a loopback apiUrl that fails is blamed on the local server, not on a proxy or Doppler', async () => {
    const proxy = await use(startProxy({ upstream: () => ({ host: '127.0.0.1', port: 9 }) }));
    const closed = await use(startFixedAnswer({ status: 200, body: '' }));
    await closed.close();
    const e = await failure(client(closed.url, { env: ALL_PROXY_VARIABLES(proxy) }));
    expect(e.reason).toBe('ECONNREFUSED');
    expect(e.retryable).toBe(true);
    expect(e.attempts).toBe(3);
    expect(e.message).toMatch(/loopback address, reached directly \(never through a proxy\)/);
    expect(proxy.connections).toBe(0);
  });

  describe('https: targets', () => {
    it('go through a CONNECT tunnel: the proxy sees the host name, never the token', async () => {
      const origin = await tlsOrigin(certs.good);
      const proxy = await proxyTo(origin);
      const secrets = await secretsFrom(
        client('https://doppler.test', { env: { HTTPS_PROXY: proxy.url }, ca: certs.ca.cert }),
      );
      expect(secrets['API_KEY']).toBe(VALUE);
      expect(proxy.requests).toEqual([{ method: 'CONNECT', target: 'doppler.test:443' }]);
      expect(proxy.sawInClear(TOKEN)).toBe(false);
      expect(proxy.sawInClear('/v3/configs')).toBe(false);
      expect(origin.authorizations).toEqual([`Bearer ${TOKEN}`]);
    });

    it('send the credentials of the proxy URL as Proxy-Authorization on the CONNECT only', async () => {
      const origin = await tlsOrigin(certs.good);
      const proxy = await proxyTo(origin, { requireAuthorization: PROXY_BASIC });
      const env = { https_proxy: `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${proxy.port}` };
      const secrets = await secretsFrom(client('https://doppler.test:8443', { env, ca: certs.ca.cert }));
      expect(secrets['API_KEY']).toBe(VALUE);
      expect(proxy.requests).toEqual([
        { method: 'CONNECT', target: 'doppler.test:8443', proxyAuthorization: PROXY_BASIC },
      ]);
      expect(proxy.sawInClear(TOKEN)).toBe(false);
    });

    it('work through an https: proxy too (TLS to the proxy, TLS inside the tunnel)', async () => {
      const origin = await tlsOrigin(certs.good);
      const proxy = await proxyTo(origin, { tls: certs.good });
      const secrets = await secretsFrom(
        client('https://doppler.test', { env: { ALL_PROXY: proxy.url }, ca: certs.ca.cert }),
      );
      expect(secrets['API_KEY']).toBe(VALUE);
      expect(proxy.requests).toEqual([{ method: 'CONNECT', target: 'doppler.test:443' }]);
      expect(proxy.sawInClear(TOKEN)).toBe(false);
    });

    it('NO_PROXY exempts a host: it is reached directly (here: not at all, doppler.test does not resolve)', async () => {
      const proxy = await use(startProxy({ upstream: () => ({ host: '127.0.0.1', port: 9 }) }));
      const e = await failure(
        client('https://api.doppler.test', {
          env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,.doppler.test' },
        }),
      );
      expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(e.reason);
      expect(e.message).toMatch(/NO_PROXY exempts this host, so it was reached directly/);
      expect(proxy.connections).toBe(0);
    });
  });

  it('407 from the proxy: its credentials, not Doppler, final', async () => {
    const proxy = await use(
      startProxy({ upstream: () => ({ host: '127.0.0.1', port: 9 }), requireAuthorization: 'Basic other' }),
    );
    const env = { HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${proxy.port}` };
    const e = await failure(client('https://api.doppler.test', { env }));
    expect(e.code).toBe('DOPPLER_UNREACHABLE');
    expect(e.reason).toBe('PROXY_AUTH_REQUIRED');
    expect(e.status).toBeUndefined();
    expect(e.retryable).toBe(false);
    expect(e.attempts).toBe(1);
    expect(e.message).toContain(
      `the proxy at 127.0.0.1:${proxy.port} asked for authentication (407 Proxy Authentication Required); check the credentials in HTTPS_PROXY`,
    );
    expect(e.message).not.toMatch(/Doppler answered|Doppler rejected/);
    expect(proxy.requests).toEqual([
      { method: 'CONNECT', target: 'api.doppler.test:443', proxyAuthorization: PROXY_BASIC },
    ]);
    expect(proxy.sawInClear(TOKEN)).toBe(false);
  });

  it('a proxy that refuses connections is named, and retried', async () => {
    const closed = await use(startFixedAnswer({ status: 200, body: '' }));
    await closed.close();
    const e = await failure(
      client('https://api.doppler.test', { env: { https_proxy: `http://127.0.0.1:${closed.port}` } }),
    );
    expect(e.code).toBe('DOPPLER_UNREACHABLE');
    expect(e.reason).toBe('ECONNREFUSED');
    expect(e.retryable).toBe(true);
    expect(e.attempts).toBe(3);
    expect(e.message).toContain(
      `Could not reach the proxy at 127.0.0.1:${closed.port} (https_proxy) on the way to Doppler at api.doppler.test`,
    );
  });

  // The one test of a hung CONNECT against the real clock's deadline: the tunnel is cut by it.
  it('a proxy that never answers the CONNECT times out as the proxy, within the timeout option', async () => {
    const proxy = await use(startProxy({ upstream: () => ({ host: '127.0.0.1', port: 9 }), hang: true }));
    const e = await failure(client('https://api.doppler.test', { env: { HTTPS_PROXY: proxy.url } }), {
      timeout: 200,
      retries: 0,
    });
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.reason).toBe('PROXY_TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(e.attempts).toBe(1);
    expect(e.message).toContain(
      `The proxy at 127.0.0.1:${proxy.port} (HTTPS_PROXY) did not open a tunnel to api.doppler.test within 200 ms (timeout option)`,
    );
    expect(proxy.requests.map((r) => r.method)).toEqual(['CONNECT']);
    expect(proxy.sawInClear(TOKEN)).toBe(false);
  });

  it.each([
    [502, true, 3],
    [403, false, 1],
  ])('a proxy refusing the tunnel with %i: named, retryable %s', async (status, retryable, attempts) => {
    const proxy = await use(
      startProxy({ upstream: () => ({ host: '127.0.0.1', port: 9 }), refuseWith: status }),
    );
    const e = await failure(client('https://api.doppler.test', { env: { HTTPS_PROXY: proxy.url } }));
    expect(e.reason).toBe(`PROXY_${status}`);
    expect(e.retryable).toBe(retryable);
    expect(e.attempts).toBe(attempts);
    expect(e.message).toContain(
      `the proxy at 127.0.0.1:${proxy.port} (HTTPS_PROXY) refused to open a tunnel to it (${status} `,
    );
    expect(e.status).toBeUndefined();
    expect(proxy.sawInClear(TOKEN)).toBe(false);
  });

  it('a socks proxy is a configuration error before any request', async () => {
    const e = await failure(
      client('https://api.doppler.test', { env: { HTTPS_PROXY: 'socks5://127.0.0.1:1080' } }),
    );
    expect(e.code).toBe('DOPPLER_INVALID_OPTIONS');
    expect(e.attempts).toBe(1);
    expect(e.message).toMatch(/HTTPS_PROXY names a socks5: proxy/);
  });

  describe('plain http: to a host that is not loopback (dangerouslyAllowInsecureHttp)', () => {
    it('goes through lowercase http_proxy in absolute form (clear text, as the option says)', async () => {
      const proxy = await proxyTo(emulator);
      const c = client('http://doppler.invalid', {
        env: { http_proxy: proxy.url },
        dangerouslyAllowInsecureHttp: true,
      });
      expect((await secretsFrom(c))['API_KEY']).toBe(VALUE);
      expect(proxy.requests).toEqual([
        { method: 'GET', target: 'http://doppler.invalid/v3/configs/config/secrets/download?format=json' },
      ]);
      // What the option's name warns of: the proxy read the token.
      expect(proxy.sawInClear(`Bearer ${TOKEN}`)).toBe(true);
    });

    it('ignores uppercase HTTP_PROXY (httpoxy): straight to the host, which here does not resolve', async () => {
      const proxy = await proxyTo(emulator);
      const e = await failure(
        client('http://doppler.invalid', {
          env: { HTTP_PROXY: proxy.url },
          dangerouslyAllowInsecureHttp: true,
        }),
      );
      expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(e.reason);
      expect(proxy.connections).toBe(0);
    });

    it("a forward proxy's 407 names the proxy and its variable", async () => {
      const proxy = await proxyTo(emulator, { requireAuthorization: PROXY_BASIC });
      const e = await failure(
        client('http://doppler.invalid', {
          env: { http_proxy: proxy.url },
          dangerouslyAllowInsecureHttp: true,
        }),
      );
      expect(e.reason).toBe('PROXY_AUTH_REQUIRED');
      expect(e.retryable).toBe(false);
      expect(e.attempts).toBe(1);
      expect(e.message).toContain(
        `the proxy at 127.0.0.1:${proxy.port} asked for authentication (407 Proxy Authentication Required); check the credentials in http_proxy`,
      );
    });
  });
});

describe('clear text only where the connection really is loopback', () => {
  const answering =
    (...addresses: string[]): NonNullable<DopplerClientEnvironment['resolve']> =>
    (_host, _options, callback) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  it.each([[['192.0.2.10']], [['127.0.0.1', '10.0.0.1']]])(
    'a localhost name resolving to %j is refused before anything is sent',
    async (addresses) => {
      const e = await failure(
        client(`http://localhost:${emulator.port}`, { resolve: answering(...addresses) }),
      );
      expect(e.code).toBe('DOPPLER_UNREACHABLE');
      expect(e.reason).toBe('NOT_LOOPBACK');
      expect(e.retryable).toBe(false);
      expect(e.attempts).toBe(1);
      expect(e.message).toContain(`the name resolves to ${addresses.join(', ')}, not a loopback address`);
      expect(e.message).toContain('Nothing was sent');
      expect(emulator.requestCount).toBe(0);
    },
  );

  it('a *.localhost name that resolves to loopback only is accepted', async () => {
    const c = client(`http://emulator.localhost:${emulator.port}`, {
      resolve: answering('127.0.0.1', '::1'),
    });
    expect((await secretsFrom(c))['API_KEY']).toBe(VALUE);
  });
});

describe('timeouts name the setting that ran out', () => {
  // On fake time: a server that never finishes answering, cut by deadlines on a FakeClock.
  async function cutOnFakeTime(retry: Partial<RetryPolicy>): Promise<DopplerError & { elapsed: number }> {
    const clock = new FakeClock();
    const started = clock.now();
    const e = await failure(client(emulator.url, { clock }), { ...retry, clock }, (fetching) =>
      onFakeTime(clock, fetching, () => openClientSockets() > 0),
    );
    return Object.assign(e, { elapsed: clock.now() - started });
  }

  it('the per-request timeout: "within <timeout> ms (timeout option)", whatever is left of the deadline', async () => {
    emulator.setFault({ kind: 'hang' });
    const e = await cutOnFakeTime({ retries: 1, timeout: 300, deadline: 10_000 });
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(e.attempts).toBe(2);
    expect(e.message).toContain('did not answer within 300 ms (timeout option)');
    expect(e.message.match(/\d+ ms \(timeout option\)/g)).toEqual(['300 ms (timeout option)']);
    // Two 300 ms attempts and a 5 ms wait between them.
    expect(e.elapsed).toBe(605);
  });

  it('the overall deadline: "the <deadline> ms start-up deadline ran out"', async () => {
    emulator.setFault({ kind: 'hang' });
    const e = await cutOnFakeTime({ retries: 0, timeout: 5000, deadline: 400 });
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.attempts).toBe(1);
    expect(e.message).toContain(
      'did not answer before the 400 ms start-up deadline ran out (deadline option;',
    );
    expect(e.message).not.toContain('(timeout option)');
    expect(e.elapsed).toBe(400);
  });

  it('a dripping server is cut at the timeout, and the message names the timeout option', async () => {
    emulator.setFault({ kind: 'drip', intervalMs: 50, body: JSON.stringify({ API_KEY: 'x'.repeat(400) }) });
    const e = await cutOnFakeTime({ retries: 0, timeout: 400 });
    expect(e.code).toBe('DOPPLER_TIMEOUT');
    expect(e.attempts).toBe(1);
    expect(e.message).toContain('did not answer within 400 ms (timeout option)');
    expect(e.elapsed).toBe(400);
  });
});

describe("NODE_DEBUG output never holds the token or the proxy's credentials", () => {
  let dir = '';
  beforeAll(async () => {
    dir = await compileForNode(['lib/client/doppler-client.ts', 'lib/options/resolve-options.ts']);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('direct http, direct https and a CONNECT tunnel with credentials, under NODE_DEBUG=http,https,net,tls,http2', async () => {
    const origin = await tlsOrigin(certs.good);
    const proxy = await proxyTo(origin, { requireAuthorization: PROXY_BASIC });
    const plain = await use(startGateway(emulator.url));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, certs.ca.cert);
    const script = `
        import { readFileSync } from 'node:fs';
        import { DopplerClient } from './lib/client/doppler-client.js';
        import { resolveOptions } from './lib/options/resolve-options.js';
        const [plain, origin, proxy, caFile] = JSON.parse(process.argv[1]);
        const token = process.env.CHILD_DOPPLER_TOKEN;
        const ca = readFileSync(caFile, 'utf8');
        const make = (apiUrl, env) => new DopplerClient(resolveOptions({ token, apiUrl, timeout: 5000 }), { env, ca });
        const kinds = [];
        for (const c of [make(plain, {}), make(origin, {}), make('https://doppler.test', { HTTPS_PROXY: proxy })]) {
          kinds.push((await c.download()).kind);
        }
        console.log('kinds ' + kinds.join(','));
      `;
    const proxyUrl = `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${proxy.port}`;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'reflect-metadata',
        '--input-type=module',
        '-e',
        script,
        JSON.stringify([plain.url, origin.url, proxyUrl, caFile]),
      ],
      {
        cwd: dir,
        timeout: 30_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env['PATH'],
          NODE_DEBUG: 'http,https,net,tls,http2',
          CHILD_DOPPLER_TOKEN: TOKEN,
        },
      },
    );
    expect(stdout).toContain('kinds secrets,secrets,secrets');
    // Debug output was really on, and printed the request options it prints.
    expect(stderr).toMatch(/^HTTP \d+: createConnection /m);
    expect(stderr).toMatch(/^NET \d+: createConnection /m);
    expect(stderr).toMatch(/^TLS \d+: client /m);
    const printed = stdout + stderr;
    expect(printed).not.toContain(TOKEN);
    expect(printed).not.toContain('CANARY');
    expect(printed).not.toContain(PROXY_BASIC.slice('Basic '.length));
    // ...while the token did go on the wire, to the origins only.
    expect(plain.authorizations).toEqual([`Bearer ${TOKEN}`]);
    expect(origin.authorizations).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(proxy.requests).toEqual([
      { method: 'CONNECT', target: 'doppler.test:443', proxyAuthorization: PROXY_BASIC },
    ]);
    expect(proxy.sawInClear(TOKEN)).toBe(false);
  });
});

describe("axios 1.21's own environment proxies, measured (why the client sets proxy: false)", () => {
  it('axios alone tunnels https: through CONNECT, but sends a loopback http: request and its token to HTTP_PROXY', async () => {
    const proxy = await proxyTo(emulator);
    const script = `
      const axios = (await import('axios')).default;
      const [loopback] = JSON.parse(process.argv[1]);
      await axios.get(loopback, { headers: { Authorization: 'Bearer ' + process.env.CHILD_DOPPLER_TOKEN }, maxRedirects: 0 }).catch(() => {});
      await axios.get('https://doppler.test/x', { maxRedirects: 0, timeout: 2000 }).catch(() => {});
    `;
    const root = fileURLToPath(new URL('..', import.meta.url));
    await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        script,
        JSON.stringify([`${emulator.url}/v3/configs/config/secrets/download`]),
      ],
      {
        cwd: root,
        timeout: 20_000,
        env: {
          PATH: process.env['PATH'],
          HTTP_PROXY: proxy.url,
          HTTPS_PROXY: proxy.url,
          CHILD_DOPPLER_TOKEN: TOKEN,
        },
      },
    );
    const [loopbackRequest, httpsRequest] = proxy.requests;
    expect(loopbackRequest?.method).toBe('GET');
    expect(loopbackRequest?.target).toBe(`${emulator.url}/v3/configs/config/secrets/download`);
    expect(proxy.sawInClear(`Bearer ${TOKEN}`)).toBe(true);
    expect(httpsRequest).toEqual({ method: 'CONNECT', target: 'doppler.test:443' });
  });
});
