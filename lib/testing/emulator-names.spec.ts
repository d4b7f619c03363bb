import DopplerSDK from '@dopplerhq/node-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DopplerEmulator } from './doppler-emulator.js';

const PATH = '/v3/configs/config/secrets/names';
const SERVICE = 'dp.st.dev.names-test';
const ACCOUNT = 'dp.sa.names-test';

let emulator: DopplerEmulator;
let url: string;

beforeEach(async () => {
  emulator = new DopplerEmulator({
    projects: {
      shop: { configs: { dev: { secrets: { PORT: '3000', API_KEY: 'names-secret-value', EMPTY: '' } } } },
      other: { configs: { prd: { secrets: { OTHER: '1' } } } },
    },
    tokens: [
      { token: SERVICE, project: 'shop', config: 'dev' },
      { token: ACCOUNT },
      { token: 'dp.scim.names-test' },
    ],
  });
  url = await emulator.start();
});

afterEach(() => emulator.stop());

function names(query: Record<string, string> = {}, token: string | null = SERVICE): Promise<Response> {
  const headers = token === null ? undefined : { authorization: `Bearer ${token}` };
  return fetch(`${url}${PATH}?${new URLSearchParams(query).toString()}`, { headers });
}

async function expectError(response: Response, status: number, message: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ messages: [message], success: false });
}

const ALL = ['API_KEY', 'DOPPLER_CONFIG', 'DOPPLER_ENVIRONMENT', 'DOPPLER_PROJECT', 'EMPTY', 'PORT'];

describe('secret names endpoint', () => {
  it('answers {"names": [...]} sorted, managed names included, no value anywhere', async () => {
    const response = await names();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ names: ALL });
    expect(text).not.toContain('names-secret-value');
  });

  it('leaves out the managed names with include_managed_secrets=false', async () => {
    expect(await (await names({ include_managed_secrets: 'false' })).json()).toEqual({
      names: ['API_KEY', 'EMPTY', 'PORT'],
    });
    expect(await (await names({ include_managed_secrets: 'true' })).json()).toEqual({ names: ALL });
  });

  it('accepts include_dynamic_secrets, which changes nothing without dynamic secrets', async () => {
    expect(await (await names({ include_dynamic_secrets: 'true' })).json()).toEqual({ names: ALL });
  });

  it('follows the download: a service token may name its own scope only, other tokens must name it', async () => {
    expect((await names({ project: 'shop', config: 'dev' })).status).toBe(200);
    await expectError(
      await names({ project: 'other' }),
      403,
      'This token does not have access to requested project',
    );
    await expectError(await names({}, ACCOUNT), 400, 'You must specify a project');
    await expectError(await names({ project: 'other' }, ACCOUNT), 400, 'You must specify a config');
    expect(await (await names({ project: 'other', config: 'prd' }, ACCOUNT)).json()).toEqual({
      names: ['DOPPLER_CONFIG', 'DOPPLER_ENVIRONMENT', 'DOPPLER_PROJECT', 'OTHER'],
    });
    await expectError(
      await names({ project: 'nope', config: 'dev' }, ACCOUNT),
      404,
      'Could not find requested project',
    );
    await expectError(
      await names({ project: 'shop', config: 'nope' }, ACCOUNT),
      404,
      'Could not find requested config',
    );
  });

  it("answers 401, 403 and 400 in Doppler's error shape", async () => {
    await expectError(await names({}, null), 401, 'Invalid Auth token');
    await expectError(await names({}, 'dp.st.unknown'), 401, 'Invalid Auth token');
    await expectError(
      await names({ project: 'shop', config: 'dev' }, 'dp.scim.names-test'),
      403,
      'This token cannot read secrets',
    );
    await expectError(
      await names({ include_managed_secrets: 'no' }),
      400,
      'Invalid include_managed_secrets: must be true or false',
    );
    await expectError(
      await names({ include_dynamic_secrets: '1' }),
      400,
      'Invalid include_dynamic_secrets: must be true or false',
    );
  });

  it("shares the rate limit with the download, and is not answered by the download's faults", async () => {
    const limited = new DopplerEmulator(
      {
        projects: { shop: { configs: { dev: {} } } },
        tokens: [{ token: SERVICE, project: 'shop', config: 'dev' }],
      },
      { rateLimit: { requestsPerMinute: 2 } },
    );
    const base = await limited.start();
    const auth = { headers: { authorization: `Bearer ${SERVICE}` } };
    try {
      limited.setFault({ kind: 'status', status: 503 });
      expect((await fetch(`${base}${PATH}`, auth)).status).toBe(200);
      expect((await fetch(`${base}/v3/configs/config/secrets/download`, auth)).status).toBe(503);
      limited.setFault(undefined);
      expect((await fetch(`${base}/v3/configs/config/secrets/download`, auth)).status).toBe(200);
      const over = await fetch(`${base}${PATH}`, auth);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.stop();
    }
  });

  it('answers 405 with Allow for another method', async () => {
    const response = await fetch(`${url}${PATH}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${SERVICE}` },
    });
    expect(response.headers.get('allow')).toBe('GET');
    await expectError(response, 405, 'Method not allowed');
  });

  it('logs the request without the token', async () => {
    await names();
    expect(emulator.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: PATH,
      tokenKind: 'service',
      status: 200,
    });
    expect(JSON.stringify(emulator.requests)).not.toContain(SERVICE);
  });
});

describe('the official Node SDK (@dopplerhq/node-sdk) against the emulator', () => {
  function sdk(token: string): DopplerSDK {
    const client = new DopplerSDK({ accessToken: token });
    client.setBaseUrl(url);
    return client;
  }

  it('lists names with secrets.names, for a service token and for an account token', async () => {
    // A service token needs no scope; the SDK wants the arguments and leaves empty ones out.
    expect(await sdk(SERVICE).secrets.names('', '')).toEqual({ names: ALL });
    expect(await sdk(ACCOUNT).secrets.names('other', 'prd')).toEqual({
      names: ['DOPPLER_CONFIG', 'DOPPLER_ENVIRONMENT', 'DOPPLER_PROJECT', 'OTHER'],
    });
    expect(emulator.requests.map((entry) => [entry.path, entry.status])).toEqual([
      [PATH, 200],
      [PATH, 200],
    ]);
  });

  it("gets the emulator's errors as its own HTTP errors", async () => {
    await expect(sdk('dp.st.unknown').secrets.names('', '')).rejects.toMatchObject({ statusCode: 401 });
    await expect(sdk(SERVICE).secrets.names('other', '')).rejects.toMatchObject({ statusCode: 403 });
    await expect(sdk(ACCOUNT).secrets.names('nope', 'dev')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('downloads with secrets.download, with a name transformer and a secrets filter', async () => {
    expect(await sdk(SERVICE).secrets.download('', '', { format: 'json' })).toMatchObject({
      PORT: '3000',
      API_KEY: 'names-secret-value',
      DOPPLER_CONFIG: 'dev',
    });
    expect(
      await sdk(SERVICE).secrets.download('', '', {
        format: 'json',
        nameTransformer: 'camel',
        secrets: 'API_KEY,PORT',
      }),
    ).toEqual({ apiKey: 'names-secret-value', port: '3000' });
    expect(
      await sdk(ACCOUNT).secrets.download('other', 'prd', { format: 'dotnet-json', secrets: 'OTHER' }),
    ).toEqual({ Other: '1' });
    expect(emulator.requests.at(-1)?.query).toEqual({
      project: 'other',
      config: 'prd',
      format: 'dotnet-json',
      secrets: 'OTHER',
    });
  });
});
