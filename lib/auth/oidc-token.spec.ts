import { IsString, MinLength } from 'class-validator';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../test/support/fake-clock.js';
import { waitFor } from '../../test/support/wait-for.js';
import { DopplerError } from '../errors/doppler.errors.js';
import type {
  DopplerModuleOptions,
  DopplerOidcOptions,
} from '../interfaces/doppler-module-options.interface.js';
import { bootstrapSecrets, type Bootstrapped } from '../load-doppler-secrets.js';
import { DopplerEmulator, mintOidcToken } from '../testing/index.js';
import { resolveModuleOptions } from '../options/resolve-options.js';
import { OidcToken, RENEW_MARGIN_MS, REVOKE_DEADLINE_MS } from './oidc-token.js';

const AUDIENCE = 'https://doppler.shop.test';
const SUBJECT = 'system:serviceaccount:shop:api';
const LIFETIME_SEC = 600;
const DEADLINE = 5_000;
const CANARY = 'CANARY-oidc-token-5c1e';

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;
}

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

let clock: FakeClock;
const emulator = new DopplerEmulator(
  {
    projects: { shop: { configs: { prd: { secrets: { API_KEY: `${CANARY}-value` } } } } },
    identities: [
      {
        id: 'pod',
        project: 'shop',
        config: 'prd',
        audience: AUDIENCE,
        subject: SUBJECT,
        tokenLifetimeSec: LIFETIME_SEC,
        publicKey: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      },
    ],
  },
  { now: () => clock.now() },
);
let apiUrl = '';
let dir = '';
let jwtFile = '';
let logger: RecordingLogger;
let booted: Bootstrapped<Secrets> | undefined;

/** A JWT the identity accepts, issued now on the fake clock. */
function podJwt(overrides: { subject?: string; expiresInSec?: number; signedBy?: typeof keys } = {}): string {
  return mintOidcToken({
    audience: [AUDIENCE, 'https://kubernetes.default.svc'],
    subject: overrides.subject ?? SUBJECT,
    expiresInSec: overrides.expiresInSec ?? 3600,
    privateKey: (overrides.signedBy ?? keys).privateKey,
    now: clock.now(),
  });
}

function options(oidc: DopplerOidcOptions, extra: Partial<DopplerModuleOptions> = {}): DopplerModuleOptions {
  return { oidc, project: 'shop', config: 'prd', apiUrl, schema: Secrets, deadline: DEADLINE, ...extra };
}

async function boot(oidc: DopplerOidcOptions, extra: Partial<DopplerModuleOptions> = {}) {
  booted = await bootstrapSecrets<Secrets>(options(oidc, extra), { clock, logger: logger as never });
  return booted.service;
}

/** What Doppler was asked, by path. */
function calls(path: string): number[] {
  return emulator.requests.filter((r) => r.path === path).map((r) => r.status);
}

function bootFailure(oidc: DopplerOidcOptions, extra: Partial<DopplerModuleOptions> = {}): Promise<unknown> {
  return boot(oidc, extra).then(
    () => {
      throw new Error('bootstrap was expected to fail');
    },
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-oidc-'));
  jwtFile = join(dir, 'token');
});
beforeEach(() => {
  clock = new FakeClock();
  logger = new RecordingLogger();
  emulator.resetRequests();
  emulator.clearFaults();
});
afterEach(async () => {
  await booted?.service.close();
  booted = undefined;
  expect(logger.lines.join('\n')).not.toContain(CANARY);
});
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the OIDC exchange at bootstrap', () => {
  it('boots from a projected token file: one exchange, the dp.said. token reads the config', async () => {
    await writeFile(jwtFile, `${podJwt()}\n`);
    const service = await boot({ identity: 'pod', tokenFile: jwtFile });
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-value`);
    expect(calls('/v3/auth/oidc')).toEqual([200]);
    const download = emulator.requests.find((r) => r.path.endsWith('/download'));
    expect(download).toMatchObject({ status: 200, auth: 'bearer', tokenKind: 'oidc' });
    expect(emulator.identityTokens.at(-1)).toMatchObject({
      identity: 'pod',
      expiresAt: new Date(clock.now() + LIFETIME_SEC * 1000),
    });
  });

  it('boots from getToken, called once per exchange', async () => {
    let asked = 0;
    const service = await boot({ identity: 'pod', getToken: () => Promise.resolve((asked++, podJwt())) });
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-value`);
    expect(asked).toBe(1);
  });

  it('a subject the identity does not accept: DOPPLER_FORBIDDEN naming aud and sub, not retried', async () => {
    const error = await bootFailure({ identity: 'pod', getToken: () => podJwt({ subject: 'repo:evil/x' }) });
    expect(error).toBeInstanceOf(DopplerError);
    expect(error).toMatchObject({ code: 'DOPPLER_FORBIDDEN', status: 403 });
    expect((error as Error).message).toMatch(
      /audience or subject does not match.*identity "pod"|identity "pod".*audience or subject/,
    );
    expect(calls('/v3/auth/oidc')).toEqual([403]);
  });

  it('a JWT signed by another key: DOPPLER_UNAUTHORIZED, not retried, nothing downloaded', async () => {
    const error = await bootFailure({ identity: 'pod', getToken: () => podJwt({ signedBy: otherKeys }) });
    expect(error).toMatchObject({ code: 'DOPPLER_UNAUTHORIZED', status: 401 });
    expect((error as Error).message).toContain('oidc.identity');
    expect(calls('/v3/auth/oidc')).toEqual([401]);
    expect(calls('/v3/configs/config/secrets/download')).toEqual([]);
  });

  it('an identity Doppler does not have: DOPPLER_NOT_FOUND naming oidc.identity', async () => {
    const error = await bootFailure({ identity: 'no-such-identity', getToken: () => podJwt() });
    expect(error).toMatchObject({ code: 'DOPPLER_NOT_FOUND', status: 404 });
    expect((error as Error).message).toMatch(/no identity "no-such-identity".*oidc\.identity/);
  });

  it('a JWT file that is missing or empty: DOPPLER_OIDC_JWT_UNAVAILABLE before any request', async () => {
    const missing = await bootFailure({ identity: 'pod', tokenFile: join(dir, 'absent') });
    expect(missing).toMatchObject({ code: 'DOPPLER_OIDC_JWT_UNAVAILABLE', reason: 'JWT_FILE_MISSING' });
    expect((missing as Error).message).toMatch(/does not exist.*projected serviceAccountToken volume/);
    await writeFile(jwtFile, '\n');
    const empty = await bootFailure({ identity: 'pod', tokenFile: jwtFile });
    expect(empty).toMatchObject({ code: 'DOPPLER_OIDC_JWT_UNAVAILABLE', reason: 'JWT_EMPTY' });
    expect((empty as Error).message).toContain('is the projected volume mounted?');
    expect(emulator.requests).toEqual([]);
  });

  it('a getToken that never returns: DOPPLER_TIMEOUT at the deadline on the injected clock', async () => {
    const pending = bootFailure({ identity: 'pod', getToken: () => new Promise<string>(() => undefined) });
    await clock.advance(DEADLINE);
    const error = await pending;
    expect(error).toMatchObject({ code: 'DOPPLER_TIMEOUT', reason: 'GET_TOKEN_STALLED' });
    expect((error as Error).message).toContain('deadline');
  });
});

describe('an exchange that hangs', () => {
  it('at bootstrap: DOPPLER_TIMEOUT at the deadline on the injected clock, naming the exchange', async () => {
    const hanging = await startHanger(apiUrl, '/v3/auth/oidc');
    try {
      const pending = bootFailure({ identity: 'pod', getToken: () => podJwt() }, { apiUrl: hanging.url });
      await waitFor('the exchange to reach the server', () => hanging.hung() === 1);
      await clock.advance(DEADLINE);
      const error = await pending;
      expect(error).toBeInstanceOf(DopplerError);
      expect(error).toMatchObject({ code: 'DOPPLER_TIMEOUT' });
      expect((error as Error).message).toContain('OIDC');
    } finally {
      await hanging.close();
    }
  });
});

describe('renewal', () => {
  it('exchanges again 60 s before expires_at, re-reading the rotated token file', async () => {
    // The kubelet's token outlives the first exchange only briefly: the second must read the new file.
    await writeFile(jwtFile, podJwt({ expiresInSec: 120 }));
    const service = await boot({ identity: 'pod', tokenFile: jwtFile });
    const renewAt = LIFETIME_SEC * 1000 - RENEW_MARGIN_MS;

    await clock.advance(renewAt - 1);
    expect(await service.refresh()).toEqual({ kind: 'unchanged' });
    expect(calls('/v3/auth/oidc')).toEqual([200]);

    await clock.advance(1);
    await writeFile(jwtFile, podJwt());
    expect(await service.refresh()).toEqual({ kind: 'unchanged' });
    expect(calls('/v3/auth/oidc')).toEqual([200, 200]);
    // Every download was accepted: the old token was never used past its end.
    expect(calls('/v3/configs/config/secrets/download')).toEqual([200, 304, 304]);
    const [first, second] = emulator.identityTokens.slice(-2);
    expect(second.expiresAt.getTime()).toBe(clock.now() + LIFETIME_SEC * 1000);
    expect(first.expiresAt.getTime()).toBeGreaterThan(clock.now());
  });

  it('a failed renewal keeps the current token until it expires, then the refresh fails typed', async () => {
    await writeFile(jwtFile, podJwt({ expiresInSec: 120 }));
    const service = await boot({ identity: 'pod', tokenFile: jwtFile });
    // The file is not rotated: its JWT has expired by the time the renewal comes.
    await clock.advance(LIFETIME_SEC * 1000 - RENEW_MARGIN_MS);
    expect(await service.refresh()).toEqual({ kind: 'unchanged' });
    expect(calls('/v3/auth/oidc')).toEqual([200, 401]);
    expect(logger.lines.join('\n')).toMatch(
      /warn Exchanging the OIDC token again failed \(DOPPLER_UNAUTHORIZED\)/,
    );

    await clock.advance(RENEW_MARGIN_MS);
    expect(await service.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_UNAUTHORIZED' });
    expect(service.status).toMatchObject({ consecutiveFailures: 1, lastFailureCode: 'DOPPLER_UNAUTHORIZED' });
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-value`);
  });

  it('concurrent callers share one exchange', async () => {
    const resolved = resolveModuleOptions(options({ identity: 'pod', getToken: () => podJwt() }));
    let asked = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const credential = resolved.credential;
    if (credential?.kind !== 'oidc') throw new Error('expected an oidc credential');
    const provider = new OidcToken(
      {
        identity: credential.identity,
        jwt: { kind: 'function', get: async () => (asked++, await gate, podJwt()) },
      },
      { resolved, clock, logger: logger as never },
    );
    const signal = new AbortController().signal;
    try {
      const first = Array.from({ length: 10 }, () => provider.token({ signal }));
      await settle();
      release();
      const tokens = await Promise.all(first);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).toMatch(/^dp\.said\./);
      expect(asked).toBe(1);

      await clock.advance(LIFETIME_SEC * 1000 - RENEW_MARGIN_MS);
      const renewed = await Promise.all(Array.from({ length: 10 }, () => provider.token({ signal })));
      expect(new Set(renewed).size).toBe(1);
      expect(renewed[0]).not.toBe(tokens[0]);
      expect(asked).toBe(2);
      expect(calls('/v3/auth/oidc')).toEqual([200, 200]);
    } finally {
      await provider.close();
    }
    expect(emulator.identityTokens.slice(-1)[0]?.revokedAt).toBeDefined();
  });
});

describe('a 401 during a refresh', () => {
  it('a token revoked before its expiry: exchanged again once, and the refresh succeeds', async () => {
    const service = await boot({ identity: 'pod', getToken: () => podJwt() });
    expect(emulator.revokeIdentityTokens('pod')).toBeGreaterThanOrEqual(1);
    expect(await service.refresh()).toEqual({ kind: 'unchanged' });
    expect(calls('/v3/auth/oidc')).toEqual([200, 200]);
    expect(calls('/v3/configs/config/secrets/download')).toEqual([200, 401, 304]);
    expect(logger.lines.join('\n')).toContain('exchanging the OIDC token again, once');
  });

  it('a 401 that persists: exactly one re-exchange, then the refresh fails typed', async () => {
    const service = await boot({ identity: 'pod', getToken: () => podJwt() });
    emulator.setFault({ kind: 'status', status: 401 });
    expect(await service.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_UNAUTHORIZED' });
    expect(calls('/v3/auth/oidc')).toEqual([200, 200]);
    expect(calls('/v3/configs/config/secrets/download')).toEqual([200, 401, 401]);
    expect(service.status.lastFailureCode).toBe('DOPPLER_UNAUTHORIZED');
  });
});

describe('shutdown', () => {
  it('revokes the exchanged token', async () => {
    const service = await boot({ identity: 'pod', getToken: () => podJwt() });
    await service.close();
    booted = undefined;
    expect(calls('/v3/auth/revoke')).toEqual([200]);
    expect(emulator.identityTokens.at(-1)?.revokedAt).toEqual(new Date(clock.now()));
    expect(logger.lines.join('\n')).toContain('Revoked the Doppler token from the OIDC exchange.');
  });

  it('a revocation that hangs ends within 2 s of the injected clock, with a warning', async () => {
    const hanging = await startHanger(apiUrl, '/v3/auth/revoke');
    try {
      booted = await bootstrapSecrets<Secrets>(
        options({ identity: 'pod', getToken: () => podJwt() }, { apiUrl: hanging.url }),
        {
          clock,
          logger: logger as never,
        },
      );
      let closed = false;
      const closing = booted.service.close().then(() => (closed = true));
      booted = undefined;
      await waitFor('the revocation to reach the server', () => hanging.hung() === 1);
      await clock.advance(REVOKE_DEADLINE_MS - 1);
      expect(closed).toBe(false);
      await clock.advance(1);
      await closing;
      expect(logger.lines.join('\n')).toMatch(
        /warn Could not revoke the Doppler token from the OIDC exchange at shutdown \(DOPPLER_TIMEOUT.*\); it expires by itself\./,
      );
    } finally {
      await hanging.close();
    }
  });
});

/** Forwards to the emulator, except requests to `hangPath`, which it takes and never answers. */
async function startHanger(
  upstream: string,
  hangPath: string,
): Promise<{ url: string; hung(): number; close(): Promise<void> }> {
  let hung = 0;
  const sockets = new Set<Socket>();
  const target = new URL(upstream);
  const server: Server = createServer((req: IncomingMessage, res) => {
    if (req.url === hangPath) {
      hung++;
      req.resume();
      return;
    }
    const out = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hung: () => hung,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
