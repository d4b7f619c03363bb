import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DopplerEmulator } from './doppler-emulator.js';
import type { EmulatorIdentitySeed } from './emulator-seed.js';
import { mintOidcToken, type MintOidcTokenOptions } from './mint-oidc-token.js';

const AUDIENCE = 'https://doppler.shop.test';
const SUBJECT = 'repo:acme/shop:ref:refs/heads/main';
const DOWNLOAD = '/v3/configs/config/secrets/download';
const START = Date.UTC(2026, 5, 1);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });

const identity = (extra: Partial<EmulatorIdentitySeed> = {}): EmulatorIdentitySeed => ({
  id: 'gha',
  project: 'shop',
  config: 'ci',
  audience: AUDIENCE,
  subject: SUBJECT,
  tokenLifetimeSec: 300,
  ...extra,
});

let now = START;
let emulator: DopplerEmulator;
let url: string;

beforeEach(async () => {
  now = START;
  emulator = new DopplerEmulator(
    {
      projects: {
        shop: {
          configs: { ci: { secrets: { API_KEY: 'ci-key' } }, prd: { secrets: { API_KEY: 'prd-key' } } },
        },
      },
      identities: [
        identity(),
        identity({
          id: 'signed-rsa',
          publicKey: rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        }),
        identity({ id: 'signed-ec', publicKey: ec384.publicKey.export({ format: 'jwk' }) }),
      ],
    },
    { now: () => now },
  );
  url = await emulator.start();
});
afterEach(() => emulator.stop());

function jwt(extra: Partial<MintOidcTokenOptions> = {}): string {
  return mintOidcToken({ audience: AUDIENCE, subject: SUBJECT, now, ...extra });
}

async function exchange(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/v3/auth/oidc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function read(token: string, project = 'shop', config = 'ci'): Promise<number> {
  const res = await fetch(`${url}${DOWNLOAD}?project=${project}&config=${config}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('POST /v3/auth/oidc', () => {
  it('issues a dp.said. token for its identity config, accepted until it expires on the emulator clock', async () => {
    const { status, json } = await exchange({ identity: 'gha', token: jwt() });
    expect(status).toBe(200);
    expect(json).toMatchObject({ success: true, expires_at: new Date(START + 300_000).toISOString() });
    const token = json['token'] as string;
    expect(token).toMatch(/^dp\.said\.[A-Za-z0-9_-]{43}$/);
    expect(await read(token)).toBe(200);
    expect(await read(token, 'shop', 'prd')).toBe(403);
    now = START + 299_999;
    expect(await read(token)).toBe(200);
    now = START + 300_000;
    expect(await read(token)).toBe(401);
    expect(emulator.identityTokens).toEqual([
      {
        identity: 'gha',
        project: 'shop',
        config: 'ci',
        issuedAt: new Date(START),
        expiresAt: new Date(START + 300_000),
      },
    ]);
    expect(JSON.stringify(emulator.requests)).not.toContain(token.slice(8));
  });

  it('matches aud (a string or an array holding it) and sub exactly: 403 otherwise', async () => {
    expect((await exchange({ identity: 'gha', token: jwt({ audience: ['other', AUDIENCE] }) })).status).toBe(
      200,
    );
    const wrongAud = await exchange({ identity: 'gha', token: jwt({ audience: `${AUDIENCE}/` }) });
    expect(wrongAud).toEqual({
      status: 403,
      json: { success: false, messages: ["The OIDC token's audience does not match the identity"] },
    });
    const wrongSub = await exchange({ identity: 'gha', token: jwt({ subject: 'repo:acme/shop:*' }) });
    expect(wrongSub.status).toBe(403);
    expect(wrongSub.json['messages']).toEqual(["The OIDC token's subject does not match the identity"]);
  });

  it('checks exp (required), nbf and iat with 30 s of leeway: 401', async () => {
    const expired = jwt({ expiresInSec: -31 });
    expect((await exchange({ identity: 'gha', token: expired })).json['messages']).toEqual([
      'Invalid OIDC token: it has expired',
    ]);
    expect((await exchange({ identity: 'gha', token: jwt({ expiresInSec: -29 }) })).status).toBe(200);
    const early = jwt({ claims: { nbf: Math.floor(now / 1000) + 60 } });
    expect((await exchange({ identity: 'gha', token: early })).status).toBe(401);
    const future = jwt({ claims: { iat: Math.floor(now / 1000) + 60 } });
    expect((await exchange({ identity: 'gha', token: future })).status).toBe(401);
    const noExp = jwt({ claims: { exp: undefined } });
    expect((await exchange({ identity: 'gha', token: noExp })).json['messages']).toEqual([
      'Invalid OIDC token: it has no exp claim',
    ]);
  });

  it('with a public key: only a JWT that key signed (RS256, ES384 from a JWK); alg none and other keys get 401', async () => {
    expect(
      (await exchange({ identity: 'signed-rsa', token: jwt({ privateKey: rsa.privateKey }) })).status,
    ).toBe(200);
    expect(
      (await exchange({ identity: 'signed-ec', token: jwt({ privateKey: ec384.privateKey }) })).status,
    ).toBe(200);
    expect((await exchange({ identity: 'signed-rsa', token: jwt() })).status).toBe(401);
    expect(
      (await exchange({ identity: 'signed-rsa', token: jwt({ privateKey: ec384.privateKey }) })).status,
    ).toBe(401);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await exchange({ identity: 'signed-rsa', token: jwt({ privateKey: other.privateKey }) });
    expect(forged.json['messages']).toEqual(['Invalid OIDC token: the signature does not verify']);
    // A valid signature over other claims: the payload was swapped.
    const [header, , signature] = jwt({ privateKey: rsa.privateKey }).split('.');
    const [, payload] = jwt({ subject: 'repo:evil/x' }).split('.');
    expect(
      (await exchange({ identity: 'signed-rsa', token: `${header}.${payload}.${signature}` })).status,
    ).toBe(401);
  });

  it('an unknown identity is a 404; a body without identity or token, or not JSON, is a 400 that echoes nothing', async () => {
    expect((await exchange({ identity: 'nope', token: jwt() })).status).toBe(404);
    expect((await exchange({ token: jwt() })).json).toEqual({
      success: false,
      messages: ['You must specify a identity'],
    });
    expect((await exchange({ identity: 'gha' })).status).toBe(400);
    const garbage = await exchange('{"identity": "gha", "token": "eyJ-secret');
    expect(garbage.status).toBe(400);
    expect(JSON.stringify(garbage.json)).not.toContain('eyJ-secret');
    expect((await exchange({ identity: 'gha', token: 'not-a-jwt' })).status).toBe(401);
  });

  it('addIdentity() learns an identity at runtime; a bad seed is refused naming the field', async () => {
    emulator.addIdentity(identity({ id: 'late', subject: 'late-sub' }));
    expect((await exchange({ identity: 'late', token: jwt({ subject: 'late-sub' }) })).status).toBe(200);
    expect(() => emulator.addIdentity(identity({ id: 'late' }))).toThrow(/duplicates/);
    expect(() => emulator.addIdentity(identity({ id: 'x', tokenLifetimeSec: 0 }))).toThrow(
      /tokenLifetimeSec/,
    );
    expect(() => emulator.addIdentity(identity({ id: 'y', publicKey: 'not a key' }))).toThrow(/publicKey/);
    expect(
      () =>
        new DopplerEmulator({
          projects: {},
          identities: [identity(), identity()],
        }),
    ).toThrow(/identities\[1\]\.id: duplicates identities\[0\]\.id|identities\[1\]\.id.*duplicates/);
    expect(emulator.summary.identities).toBe(4);
  });
});

describe('POST /v3/auth/revoke', () => {
  it('refuses the token from the next request on, idempotently', async () => {
    const token = (await exchange({ identity: 'gha', token: jwt() })).json['token'] as string;
    const revoke = () =>
      fetch(`${url}/v3/auth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    now += 1000;
    expect((await revoke()).status).toBe(200);
    expect(await read(token)).toBe(401);
    expect((await revoke()).status).toBe(200);
    expect(emulator.identityTokens[0]?.revokedAt).toEqual(new Date(START + 1000));
  });

  it('revokeIdentityTokens() ends every live token of an identity early', async () => {
    const a = (await exchange({ identity: 'gha', token: jwt() })).json['token'] as string;
    const b = (await exchange({ identity: 'gha', token: jwt() })).json['token'] as string;
    expect(a).not.toBe(b);
    expect(emulator.revokeIdentityTokens('gha')).toBe(2);
    expect(await read(a)).toBe(401);
    expect(await read(b)).toBe(401);
    expect(emulator.revokeIdentityTokens('gha')).toBe(0);
  });
});

describe('mintOidcToken', () => {
  it('writes the standard claims, and refuses a key that does not fit', () => {
    const token = mintOidcToken({ audience: AUDIENCE, subject: SUBJECT, now: START, expiresInSec: 60 });
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'none', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      aud: AUDIENCE,
      sub: SUBJECT,
      iat: START / 1000,
      nbf: START / 1000,
      exp: START / 1000 + 60,
    });
    expect(signature).toBe('');
    expect(() => mintOidcToken({ audience: AUDIENCE, subject: SUBJECT, privateKey: rsa.publicKey })).toThrow(
      /private key/,
    );
    expect(() =>
      mintOidcToken({ audience: AUDIENCE, subject: SUBJECT, privateKey: rsa.privateKey, algorithm: 'ES256' }),
    ).toThrow(/does not fit ES256/);
  });
});
