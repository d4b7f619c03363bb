import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DopplerEmulator } from './doppler-emulator.js';
import type { EmulatorSeed } from './emulator-seed.js';

const PATH = '/v3/configs/config/secrets/download';
const CANARY_TOKEN = 'dp.st.dev.CANARY-TOKEN-7f3a';
const CANARY_VALUE = 'CANARY-VALUE-91c2';
const SERVICE = 'dp.st.dev.demo123';
const PERSONAL = 'dp.pt.demo456';

const seed = (): EmulatorSeed => ({
  projects: {
    'sample-app': {
      configs: {
        dev: { environment: 'dev', secrets: { PORT: '3000', DATABASE_URL: 'postgres://db', EMPTY: '' } },
        dev_personal: { secrets: { API_KEY: CANARY_VALUE } },
        prd: { environment: 'production', secrets: {} },
      },
    },
    other: { configs: { dev: { secrets: { OTHER: '1' } } } },
  },
  tokens: [
    { token: SERVICE, project: 'sample-app', config: 'dev' },
    { token: CANARY_TOKEN, project: 'sample-app', config: 'dev_personal' },
    { token: PERSONAL },
    { token: 'dp.sa.restricted', project: 'sample-app', config: 'prd' },
    { token: 'dp.scim.x' },
    { token: 'dp.audit.x' },
  ],
});

let emulator: DopplerEmulator;
let url: string;

beforeEach(async () => {
  emulator = new DopplerEmulator(seed());
  url = await emulator.start();
});

afterEach(async () => {
  await emulator.stop();
});

function download(
  query: Record<string, string> = {},
  token: string | null = SERVICE,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) {
    headers.set('authorization', `Bearer ${token}`);
  }
  return fetch(`${url}${PATH}?${new URLSearchParams(query).toString()}`, { ...init, headers });
}

async function expectError(response: Response, status: number, message: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ messages: [message], success: false });
}

/** Reads everything the server sends until it closes the socket, bypassing any HTTP client. */
function rawGet(path: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(emulator.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${token}\r\n\r\n`);
  });
}

async function readBytes(response: Response, count: number): Promise<string> {
  const reader = response.body!.getReader();
  let text = '';
  while (text.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('latin1');
  }
  await reader.cancel();
  return text;
}

describe('lifecycle', () => {
  it('listens on 127.0.0.1 at a random port and reports it', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.url).toBe(url);
    expect(emulator.port).toBeGreaterThan(0);
    expect(url.endsWith(`:${emulator.port}`)).toBe(true);
  });

  it('refuses a second start and tolerates a second stop', async () => {
    await expect(emulator.start()).rejects.toThrow(/already running/);
    await emulator.stop();
    await emulator.stop();
    expect(() => emulator.url).toThrow(/not listening/);
  });

  it('throws on url/port before start', () => {
    const idle = new DopplerEmulator(seed());
    expect(() => idle.port).toThrow(/start\(\)/);
  });

  it('summarises what it serves', () => {
    expect(emulator.summary).toEqual({ projects: 2, configs: 4, tokens: 6, identities: 0 });
  });

  it('stop() ends hung and dripping connections', async () => {
    emulator.injectFaults({ kind: 'hang' }, { kind: 'drip', intervalMs: 5 });
    const hung = download();
    // Sequenced so the hang, not the drip, is consumed by the first request.
    await expect.poll(() => emulator.requestCount).toBe(1);
    const dripping = await download();
    const dripRead = dripping.text();
    await emulator.stop();
    await expect(hung).rejects.toThrow();
    await expect(dripRead).rejects.toThrow();
  });
});

describe('secrets download', () => {
  it('serves a service token its config as sorted JSON with DOPPLER_* keys', async () => {
    const response = await download();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text).toBe(
      '{"DATABASE_URL":"postgres://db","DOPPLER_CONFIG":"dev","DOPPLER_ENVIRONMENT":"dev",' +
        '"DOPPLER_PROJECT":"sample-app","EMPTY":"","PORT":"3000"}',
    );
  });

  it('serves empty string values', async () => {
    const body = (await (await download()).json()) as Record<string, string>;
    expect(body).toHaveProperty('EMPTY', '');
  });

  it('defaults the environment to the config name before the first underscore', async () => {
    const body = (await (
      await download({ project: 'sample-app', config: 'dev_personal' }, PERSONAL)
    ).json()) as Record<string, string>;
    expect(body.DOPPLER_ENVIRONMENT).toBe('dev');
    const prd = (await (await download({ project: 'sample-app', config: 'prd' }, PERSONAL)).json()) as Record<
      string,
      string
    >;
    expect(prd.DOPPLER_ENVIRONMENT).toBe('production');
  });

  it('filters by secrets=, which can drop the DOPPLER_* keys', async () => {
    const response = await download({ secrets: 'PORT, EMPTY,MISSING' });
    expect(await response.json()).toEqual({ EMPTY: '', PORT: '3000' });
    const withMeta = await download({ secrets: 'DOPPLER_CONFIG' });
    expect(await withMeta.json()).toEqual({ DOPPLER_CONFIG: 'dev' });
  });

  it('serves format=env as KEY="value" lines, quotes and backslashes escaped, newlines kept', async () => {
    emulator.setSecret('sample-app', 'dev', 'MULTI', 'a "b"\nc\\d');
    const response = await download({ format: 'env', secrets: 'PORT,EMPTY,MULTI' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('EMPTY=""\nMULTI="a \\"b\\"\nc\\\\d"\nPORT="3000"');
  });

  it('answers 404 for unknown projects and configs', async () => {
    await expectError(
      await download({ project: 'nope', config: 'dev' }, PERSONAL),
      404,
      'Could not find requested project',
    );
    await expectError(
      await download({ project: 'other', config: 'nope' }, PERSONAL),
      404,
      'Could not find requested config',
    );
  });

  it('answers 404 for other paths and 405 for other methods, as JSON', async () => {
    await expectError(await fetch(`${url}/v3/projects`), 404, 'Could not find requested route');
    const post = await download({}, SERVICE, { method: 'POST', body: '{}' });
    expect(post.headers.get('allow')).toBe('GET');
    await expectError(post, 405, 'Method not allowed');
  });
});

describe('download parameters', () => {
  const only = { secrets: 'PORT,DATABASE_URL,EMPTY' };

  it.each([
    ['json', /^application\/json/, '{"DATABASE_URL":"postgres://db","EMPTY":"","PORT":"3000"}'],
    ['dotnet-json', /^application\/json/, '{"DatabaseUrl":"postgres://db","Empty":"","Port":"3000"}'],
    ['env', /^text\/plain/, 'DATABASE_URL="postgres://db"\nEMPTY=""\nPORT="3000"'],
    ['env-no-quotes', /^text\/plain/, 'DATABASE_URL=postgres://db\nEMPTY=\nPORT=3000'],
    ['docker', /^text\/plain/, 'DATABASE_URL=postgres://db\nEMPTY=\nPORT=3000'],
    ['yaml', /^application\/yaml/, '"DATABASE_URL": "postgres://db"\n"EMPTY": ""\n"PORT": "3000"'],
  ])('serves format=%s with its content type, an ETag and a 304', async (format, contentType, text) => {
    const response = await download({ ...only, format });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(contentType);
    expect(await response.text()).toBe(text);
    const etag = response.headers.get('etag')!;
    expect(etag).toBe(`"${createHash('sha256').update(text).digest('hex')}"`);
    expect(
      (await download({ ...only, format }, SERVICE, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
  });

  it.each([
    ['camel', ['databaseUrl', 'dopplerConfig', 'empty', 'port']],
    ['upper-camel', ['DatabaseUrl', 'DopplerConfig', 'Empty', 'Port']],
    ['lower-snake', ['database_url', 'doppler_config', 'empty', 'port']],
    ['tf-var', ['TF_VAR_database_url', 'TF_VAR_doppler_config', 'TF_VAR_empty', 'TF_VAR_port']],
    ['dotnet', ['DatabaseUrl', 'DopplerConfig', 'Empty', 'Port']],
    ['dotnet-env', ['DatabaseUrl', 'DopplerConfig', 'Empty', 'Port']],
    ['lower-kebab', ['database-url', 'doppler-config', 'empty', 'port']],
  ])('renames with name_transformer=%s, after secrets= picked the names', async (transformer, names) => {
    const response = await download({
      secrets: 'PORT,DATABASE_URL,EMPTY,DOPPLER_CONFIG',
      name_transformer: transformer,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(names);
    expect(Object.values(body)).toEqual(['postgres://db', 'dev', '', '3000']);
  });

  it('keeps .NET sections apart: dotnet with ":" and dotnet-env with "__"', async () => {
    emulator.setSecret('sample-app', 'dev', 'SMTP__USER_NAME', 'mailer');
    const dotnet = await download({ secrets: 'SMTP__USER_NAME', name_transformer: 'dotnet' });
    expect(await dotnet.json()).toEqual({ 'Smtp:UserName': 'mailer' });
    const env = await download({ secrets: 'SMTP__USER_NAME', name_transformer: 'dotnet-env', format: 'env' });
    expect(await env.text()).toBe('Smtp__UserName="mailer"');
  });

  it('accepts the dynamic secrets parameters when valid (the emulator has none to add)', async () => {
    const plain = await (await download()).text();
    const valid: Array<Record<string, string>> = [
      { include_dynamic_secrets: 'true', dynamic_secrets_ttl_sec: '1800' },
      { include_dynamic_secrets: 'false' },
      { dynamic_secrets_ttl_sec: '2147483647' },
    ];
    for (const query of valid) {
      const response = await download(query);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(plain);
    }
  });

  it.each([
    [
      { format: 'toml' },
      'Invalid format. Supported formats: json, dotnet-json, env, yaml, docker, env-no-quotes',
    ],
    [
      { format: '' },
      'Invalid format. Supported formats: json, dotnet-json, env, yaml, docker, env-no-quotes',
    ],
    [
      { format: 'JSON' },
      'Invalid format. Supported formats: json, dotnet-json, env, yaml, docker, env-no-quotes',
    ],
    [
      { name_transformer: 'snake' },
      'Invalid name transformer. Supported name transformers: camel, upper-camel, lower-snake, tf-var, dotnet, dotnet-env, lower-kebab',
    ],
    [{ include_dynamic_secrets: 'yes' }, 'Invalid include_dynamic_secrets: must be true or false'],
    [{ include_dynamic_secrets: '' }, 'Invalid include_dynamic_secrets: must be true or false'],
    [
      { dynamic_secrets_ttl_sec: '0' },
      'Invalid dynamic_secrets_ttl_sec: must be a whole number from 1 to 2147483647',
    ],
    [
      { dynamic_secrets_ttl_sec: '-5' },
      'Invalid dynamic_secrets_ttl_sec: must be a whole number from 1 to 2147483647',
    ],
    [
      { dynamic_secrets_ttl_sec: '1.5' },
      'Invalid dynamic_secrets_ttl_sec: must be a whole number from 1 to 2147483647',
    ],
    [
      { dynamic_secrets_ttl_sec: '2147483648' },
      'Invalid dynamic_secrets_ttl_sec: must be a whole number from 1 to 2147483647',
    ],
  ])("answers 400 in Doppler's error shape for %j", async (query, message) => {
    await expectError(await download(query), 400, message);
  });

  it('checks parameters after the token, so a bad token is still a 401', async () => {
    await expectError(await download({ format: 'toml' }, 'dp.st.unknown'), 401, 'Invalid Auth token');
  });
});

describe('routing', () => {
  it("answers 413 in Doppler's error shape for a body over 64 KiB, and keeps the connection usable", async () => {
    const response = await download({}, SERVICE, { method: 'POST', body: 'x'.repeat(64 * 1024 + 1) });
    await expectError(response, 413, 'Request body too large');
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', status: 413 });
    expect((await download()).status).toBe(200);
  });

  it('does not let a fault answer on a path that is not served', async () => {
    emulator.setFault({ kind: 'status', status: 503 });
    await expectError(
      await fetch(`${url}/v3/configs/config/secrets/nope`),
      404,
      'Could not find requested route',
    );
    expect(emulator.requests.at(-1)?.fault).toBeUndefined();
  });
});

describe('authentication', () => {
  it('accepts HTTP basic with the token as user name and an empty password', async () => {
    const basic = `Basic ${Buffer.from(`${SERVICE}:`).toString('base64')}`;
    const response = await download({}, null, { headers: { authorization: basic } });
    expect(response.status).toBe(200);
    expect(emulator.requests.at(-1)).toMatchObject({ auth: 'basic', tokenKind: 'service', status: 200 });
  });

  it('rejects basic auth with a password', async () => {
    const basic = `Basic ${Buffer.from(`${SERVICE}:secret`).toString('base64')}`;
    await expectError(
      await download({}, null, { headers: { authorization: basic } }),
      401,
      'Invalid Auth token',
    );
  });

  it('accepts a lowercase bearer scheme', async () => {
    const response = await download({}, null, { headers: { authorization: `bearer ${SERVICE}` } });
    expect(response.status).toBe(200);
  });

  it.each([
    ['missing', null],
    ['unknown', 'dp.st.unknown'],
    ['not a Doppler token', 'hello'],
  ])('answers 401 for a %s token', async (_label, token) => {
    await expectError(await download({}, token), 401, 'Invalid Auth token');
  });

  it('answers 401 once a token is revoked, and serves a token added later', async () => {
    expect(emulator.revokeToken(SERVICE)).toBe(true);
    expect(emulator.revokeToken(SERVICE)).toBe(false);
    await expectError(await download(), 401, 'Invalid Auth token');
    emulator.addToken({ token: 'dp.ct.new' });
    expect((await download({ project: 'other', config: 'dev' }, 'dp.ct.new')).status).toBe(200);
  });

  it('lets a service token name its own scope but not another one', async () => {
    expect((await download({ project: 'sample-app', config: 'dev' })).status).toBe(200);
    await expectError(
      await download({ project: 'other' }),
      403,
      'This token does not have access to requested project',
    );
    await expectError(
      await download({ project: 'sample-app', config: 'prd' }),
      403,
      'This token does not have access to requested config',
    );
  });

  it.each([
    ['service_account', 'dp.sa.any'],
    ['oidc', 'dp.said.any'],
    ['personal', 'dp.pt.any'],
    ['cli', 'dp.ct.any'],
  ] as const)('lets a %s token read any config given project and config', async (kind, token) => {
    emulator.addToken({ token });
    await expectError(await download({}, token), 400, 'You must specify a project');
    await expectError(await download({ project: 'other' }, token), 400, 'You must specify a config');
    const response = await download({ project: 'other', config: 'dev' }, token);
    expect(await response.json()).toMatchObject({ OTHER: '1', DOPPLER_PROJECT: 'other' });
    expect(emulator.requests.at(-1)).toMatchObject({ auth: 'bearer', tokenKind: kind, status: 200 });
  });

  it('honours a project/config restriction on a non-service token', async () => {
    const token = 'dp.sa.restricted';
    expect((await download({ project: 'sample-app', config: 'prd' }, token)).status).toBe(200);
    await expectError(
      await download({ project: 'other', config: 'prd' }, token),
      403,
      'This token does not have access to requested project',
    );
    await expectError(
      await download({ project: 'sample-app', config: 'dev' }, token),
      403,
      'This token does not have access to requested config',
    );
  });

  it.each(['dp.scim.x', 'dp.audit.x'])('refuses %s tokens with 403', async (token) => {
    await expectError(
      await download({ project: 'sample-app', config: 'dev' }, token),
      403,
      'This token cannot read secrets',
    );
  });
});

describe('ETag', () => {
  it('is the quoted sha256 of the body and yields 304 on If-None-Match', async () => {
    const response = await download();
    const body = await response.text();
    const etag = response.headers.get('etag');
    expect(etag).toBe(`"${createHash('sha256').update(body).digest('hex')}"`);
    const cached = await download({}, SERVICE, { headers: { 'if-none-match': etag! } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe('');
    const weak = await download({}, SERVICE, { headers: { 'if-none-match': `"other", W/${etag!}` } });
    expect(weak.status).toBe(304);
  });

  it('changes after a mutation', async () => {
    const etag = (await download()).headers.get('etag')!;
    emulator.setSecret('sample-app', 'dev', 'PORT', '4000');
    const changed = await download({}, SERVICE, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.json()).toMatchObject({ PORT: '4000' });
  });
});

describe('mutations', () => {
  it('replaces, deletes and creates secrets and configs', async () => {
    emulator.setSecrets('sample-app', 'dev', { ONLY: 'one' });
    expect(emulator.deleteSecret('sample-app', 'dev', 'ONLY')).toBe(true);
    expect(emulator.deleteSecret('sample-app', 'dev', 'ONLY')).toBe(false);
    emulator.setSecrets('sample-app', 'dev', { A: '1', B: '' });
    expect(await (await download()).json()).toEqual({
      A: '1',
      B: '',
      DOPPLER_CONFIG: 'dev',
      DOPPLER_ENVIRONMENT: 'dev',
      DOPPLER_PROJECT: 'sample-app',
    });
    emulator.setSecret('new-app', 'stg_branch', 'X', 'y');
    expect(await (await download({ project: 'new-app', config: 'stg_branch' }, PERSONAL)).json()).toEqual({
      X: 'y',
      DOPPLER_CONFIG: 'stg_branch',
      DOPPLER_ENVIRONMENT: 'stg',
      DOPPLER_PROJECT: 'new-app',
    });
  });

  it('rejects reserved names, non-string values and duplicate tokens without echoing values', () => {
    expect(() => emulator.setSecret('sample-app', 'dev', 'DOPPLER_CONFIG', CANARY_VALUE)).toThrow(/reserved/);
    const bad = { X: 42 } as unknown as Record<string, string>;
    expect(() => emulator.setSecrets('sample-app', 'dev', bad)).toThrow(/"X".*must be a string/);
    const duplicate = { token: CANARY_TOKEN, project: 'sample-app', config: 'dev' };
    expect(() => emulator.addToken(duplicate)).toThrow(/duplicates/);
    expect(() => emulator.addToken(duplicate)).not.toThrow(CANARY_TOKEN);
    expect(() => emulator.addToken({ token: 'dp.st.unscoped' })).toThrow(/project is required/);
  });
});

describe('seed validation', () => {
  function messageOf(action: () => unknown): string {
    try {
      action();
    } catch (error: unknown) {
      return String(error);
    }
    throw new Error('expected a throw');
  }

  it('names the field, never the value', () => {
    const badValue = messageOf(
      () =>
        new DopplerEmulator({
          projects: {
            p: { configs: { c: { secrets: { API_KEY: { nested: CANARY_VALUE } as unknown as string } } } },
          },
        }),
    );
    expect(badValue).toMatch(/projects\["p"\]\.configs\["c"\]\.secrets\["API_KEY"\] must be a string/);
    expect(badValue).not.toContain(CANARY_VALUE);
    const badToken = messageOf(
      () => new DopplerEmulator({ projects: {}, tokens: [{ token: `x${CANARY_TOKEN}` }] }),
    );
    expect(badToken).toMatch(/tokens\[0\]\.token must start with one of dp\.st\./);
    expect(badToken).not.toContain(CANARY_TOKEN);
    const unscoped = messageOf(
      () => new DopplerEmulator({ projects: {}, tokens: [{ token: CANARY_TOKEN }] }),
    );
    expect(unscoped).toMatch(/tokens\[0\]\.project is required/);
    expect(unscoped).not.toContain(CANARY_TOKEN);
    expect(messageOf(() => new DopplerEmulator({} as EmulatorSeed))).toMatch(/projects must be an object/);
  });

  it('loads a seed file and reports unreadable or invalid files without their content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doppler-emulator-'));
    const good = join(dir, 'seed.json');
    writeFileSync(good, JSON.stringify(seed()));
    const fromFile = DopplerEmulator.fromFile(good);
    const fileUrl = await fromFile.start();
    try {
      const response = await fetch(`${fileUrl}${PATH}`, { headers: { authorization: `Bearer ${SERVICE}` } });
      expect(await response.json()).toMatchObject({ PORT: '3000' });
    } finally {
      await fromFile.stop();
    }
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, `{"tokens":[{"token":"${CANARY_TOKEN}"`);
    const invalid = messageOf(() => DopplerEmulator.fromFile(broken));
    expect(invalid).toContain('is not valid JSON');
    expect(invalid).not.toContain(CANARY_TOKEN);
    expect(messageOf(() => DopplerEmulator.fromFile(join(dir, 'missing.json')))).toMatch(
      /Cannot read.*ENOENT/,
    );
  });
});

describe('request log', () => {
  it('records method, path, safe query, auth, token kind and status', async () => {
    await download({
      project: 'sample-app',
      config: 'dev',
      format: 'json',
      secrets: 'PORT',
      include_dynamic_secrets: 'true',
    });
    await download({}, null);
    const [first, second] = emulator.requests;
    expect(first).toMatchObject({
      method: 'GET',
      path: PATH,
      query: { project: 'sample-app', config: 'dev', format: 'json', secrets: 'PORT' },
      auth: 'bearer',
      tokenKind: 'service',
      status: 200,
    });
    expect(Object.keys(first.query)).not.toContain('include_dynamic_secrets');
    expect(first.at).toBeInstanceOf(Date);
    expect(second).toMatchObject({ auth: 'none', tokenKind: 'none', status: 401 });
    expect(emulator.requestCount).toBe(2);
    emulator.resetRequests();
    expect(emulator.requestCount).toBe(0);
    expect(emulator.requests).toEqual([]);
  });

  it('keeps only the newest requestLogLimit requests, and counts them all', async () => {
    const bounded = new DopplerEmulator(seed(), { requestLogLimit: 5 });
    const base = await bounded.start();
    try {
      for (let i = 0; i < 20; i++) await fetch(`${base}/v3/configs/config/secrets/download?n=${i}`);
      expect(bounded.requestCount).toBe(20);
      expect(bounded.requests).toHaveLength(5);
      expect(() => new DopplerEmulator(seed(), { requestLogLimit: 0 })).toThrow(/requestLogLimit/);
    } finally {
      await bounded.stop();
    }
  });

  it('never holds a token or secret value', async () => {
    await download({ project: 'sample-app', config: 'dev_personal' }, CANARY_TOKEN);
    await fetch(`${url}/v3/${CANARY_TOKEN}`, { headers: { authorization: `Bearer ${CANARY_TOKEN}` } });
    await download({ project: CANARY_TOKEN }, CANARY_TOKEN);
    await download({ project: 'sample-app', config: 'dev_personal' }, null, {
      headers: { authorization: `Basic ${Buffer.from(`${CANARY_TOKEN}:`).toString('base64')}` },
    });
    await fetch(`${url}/x/unshaped-presented-token`, {
      headers: { authorization: 'Bearer unshaped-presented-token' },
    });
    await fetch(`${url}/v3/dp.sa.never-seen-CANARY-TOKEN`);
    emulator.revokeToken(CANARY_TOKEN);
    await download({}, CANARY_TOKEN);
    const log = JSON.stringify(emulator.requests);
    expect(emulator.requests.map((entry) => entry.status)).toEqual([200, 404, 403, 200, 404, 404, 401]);
    expect(log).not.toContain(CANARY_TOKEN);
    expect(log).not.toContain('CANARY-TOKEN');
    expect(log).not.toContain('unshaped-presented-token');
    expect(log).not.toContain(CANARY_VALUE);
    expect(log).toContain('[redacted]');
  });
});

describe('faults', () => {
  it('consumes queued faults in order, then answers normally; other paths do not consume them', async () => {
    emulator.injectFaults({ kind: 'status', status: 503 }, { kind: 'status', status: 500, body: 'oops' });
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
    await expectError(await download(), 503, 'Service Unavailable');
    const second = await download();
    expect(second.status).toBe(500);
    expect(await second.text()).toBe('oops');
    expect((await download()).status).toBe(200);
    expect(emulator.requests.map((entry) => entry.fault)).toEqual([undefined, 'status', 'status', undefined]);
  });

  it('answers a status fault with its headers, even before authentication', async () => {
    emulator.injectFaults({ kind: 'status', status: 429, headers: { 'Retry-After': '1' } });
    const response = await download({}, null);
    expect(response.headers.get('retry-after')).toBe('1');
    await expectError(response, 429, 'Too Many Requests');
  });

  it('applies a persistent fault until cleared, after any queued one', async () => {
    emulator.setFault({ kind: 'status', status: 500 });
    emulator.injectFaults({ kind: 'status', status: 502 });
    expect((await download()).status).toBe(502);
    expect((await download()).status).toBe(500);
    expect((await download()).status).toBe(500);
    emulator.setFault(undefined);
    expect((await download()).status).toBe(200);
    emulator.setFault({ kind: 'status', status: 500 });
    emulator.injectFaults({ kind: 'hang' });
    emulator.clearFaults();
    expect((await download()).status).toBe(200);
  });

  it('serves raw bodies as given: HTML, truncated JSON, non-object JSON', async () => {
    emulator.injectFaults(
      {
        kind: 'raw',
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html>Bad gateway</html>',
      },
      { kind: 'raw', body: '{"PORT":"30' },
      { kind: 'raw', body: Buffer.from('[1,2,3]') },
    );
    const html = await download();
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(await html.text()).toBe('<html>Bad gateway</html>');
    expect(await (await download()).text()).toBe('{"PORT":"30');
    expect(await (await download()).text()).toBe('[1,2,3]');
  });

  it('serves a gzip bomb with content-encoding: gzip', async () => {
    const inflated = 2_000_000;
    const bomb = gzipSync(Buffer.alloc(inflated));
    emulator.injectFaults({ kind: 'raw', headers: { 'content-encoding': 'gzip' }, body: bomb });
    const response = await download();
    expect(response.headers.get('content-length')).toBe(String(bomb.length));
    expect((await response.arrayBuffer()).byteLength).toBe(inflated);
  });

  it('hangs without answering, logged with status 0', async () => {
    emulator.injectFaults({ kind: 'hang' });
    await expect(download({}, SERVICE, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(emulator.requests[0]).toMatchObject({ fault: 'hang', status: 0 });
  });

  it('drips a body one byte per interval', async () => {
    const body = '{"A":"1"}';
    emulator.injectFaults({ kind: 'drip', intervalMs: 5, body });
    const started = performance.now();
    const response = await download();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);
    expect(performance.now() - started).toBeGreaterThanOrEqual(body.length * 5 - 5);
  });

  it('drips spaces forever without a body, or repeats a body', async () => {
    emulator.injectFaults(
      { kind: 'drip', intervalMs: 2 },
      { kind: 'drip', intervalMs: 1, body: 'ab', repeat: true },
    );
    const endless = await download();
    expect(endless.headers.get('content-length')).toBeNull();
    expect(await readBytes(endless, 4)).toMatch(/^ {4,}$/);
    expect((await readBytes(await download(), 5)).slice(0, 5)).toBe('ababa');
  });

  it('resets the connection after some bytes of an announced body', async () => {
    emulator.injectFaults({ kind: 'reset', afterBytes: 10 }, { kind: 'reset' });
    const raw = await rawGet(PATH, SERVICE);
    const [head, partial] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head).toMatch(/content-length: 74/i);
    expect(partial).toHaveLength(10);
    const response = await download();
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(emulator.requests.map((entry) => [entry.fault, entry.status])).toEqual([
      ['reset', 200],
      ['reset', 200],
    ]);
  });

  it('redirects with 302 by default or the given status', async () => {
    emulator.injectFaults(
      { kind: 'redirect', location: 'http://127.0.0.1:9/steal' },
      { kind: 'redirect', location: '/moved', status: 307 },
    );
    const first = await download({}, SERVICE, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('http://127.0.0.1:9/steal');
    const second = await download({}, SERVICE, { redirect: 'manual' });
    expect(second.status).toBe(307);
    expect(second.headers.get('location')).toBe('/moved');
  });

  it('rejects faults it could not serve', () => {
    expect(() => emulator.injectFaults({ kind: 'drip', intervalMs: 0 })).toThrow(RangeError);
    expect(() => emulator.injectFaults({ kind: 'status', status: 99 })).toThrow(/status\.status/);
    expect(() => emulator.setFault({ kind: 'redirect', location: '/x', status: 200 })).toThrow(
      /redirect\.status/,
    );
    expect(() => emulator.injectFaults({ kind: 'reset', afterBytes: -1 })).toThrow(/afterBytes/);
  });
});

describe('rate limit', () => {
  it('answers 429 with retry-after per token over the limit', async () => {
    const limited = new DopplerEmulator(seed(), { rateLimit: { requestsPerMinute: 2 } });
    const base = await limited.start();
    const get = (token: string): Promise<Response> =>
      fetch(`${base}${PATH}`, { headers: { authorization: `Bearer ${token}` } });
    try {
      expect((await get(SERVICE)).status).toBe(200);
      expect((await get(SERVICE)).status).toBe(200);
      const over = await get(SERVICE);
      const retryAfter = over.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      await expectError(over, 429, 'Rate limit exceeded');
      expect((await get(CANARY_TOKEN)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('rejects a non-positive limit', () => {
    expect(() => new DopplerEmulator(seed(), { rateLimit: { requestsPerMinute: 0 } })).toThrow(RangeError);
  });
});
