import { ConsoleLogger, type Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DopplerError,
  DopplerModule,
  SecretsService,
  type DopplerModuleOptions,
  type SecretsService as Service,
} from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { FallbackStore } from '../lib/fallback/fallback-store.js';
import { loadDopplerSecretsWith } from '../lib/load-doppler-secrets.js';
import { OutputCapture } from './support/capture-output.js';
import { openClientSockets } from './support/client-sockets.js';
import { everythingShown } from './support/everything-shown.js';
import { FakeClock } from './support/fake-clock.js';
import { onFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';

const DEV = 'dp.st.dev.CANARYdevTOKEN0001';
const DEV_ROTATED = 'dp.st.dev.CANARYdevTOKEN0002';
const PRD = 'dp.st.prd.CANARYprdTOKEN0001';
const PASSPHRASE = 'shared-passphrase-CANARY';
const DEV_VALUE = 'dev-value-CANARY-1234';
const PRD_VALUE = 'prd-value-CANARY-5678';

const emulator = new DopplerEmulator({
  projects: {
    shop: {
      configs: {
        dev: { secrets: { API_KEY: DEV_VALUE } },
        prd: { secrets: { API_KEY: PRD_VALUE } },
      },
    },
  },
  tokens: [
    { token: DEV, project: 'shop', config: 'dev' },
    { token: DEV_ROTATED, project: 'shop', config: 'dev' },
    { token: PRD, project: 'shop', config: 'prd' },
  ],
});
let apiUrl = '';
let dir = '';
let output: OutputCapture;

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doppler-scope-'));
  output = new OutputCapture().start();
});
afterEach(async () => {
  output.stop();
  emulator.clearFaults();
  emulator.resetRequests();
  emulator.setSecrets('shop', 'dev', { API_KEY: DEV_VALUE });
  await rm(dir, { recursive: true, force: true });
});

/** Nothing this test printed or threw holds a token, the passphrase or a value. */
function expectNoCanary(...thrown: unknown[]): void {
  const text = output.text + thrown.map(everythingShown).join('\n');
  for (const canary of [DEV, DEV_ROTATED, PRD, PASSPHRASE, DEV_VALUE, PRD_VALUE, 'CANARY']) {
    expect(text).not.toContain(canary);
  }
}

const fast: Partial<DopplerModuleOptions> = { retries: 0, deadline: 3_000, timeout: 1_000 };

/**
 * loadDopplerSecrets on fake time, logging to stdout (captured) through its own logger, with
 * copies written at 1000 PBKDF2 rounds. `stuck`: what is in flight will not end by itself, so a
 * deadline may fire.
 */
async function load(
  options: DopplerModuleOptions,
  stuck?: () => boolean,
): Promise<Service & { elapsed: number }> {
  const clock = new FakeClock();
  const logger = new ConsoleLogger('DopplerModule', {
    logLevels: ['log', 'warn', 'error'],
    colors: false,
  }) as unknown as Logger;
  const started = clock.now();
  const loading = loadDopplerSecretsWith(options, { clock, logger, fallbackRounds: 1000 });
  const secrets = await onFakeTime(clock, loading, stuck).catch((error: unknown) => {
    throw Object.assign(error as Error, { elapsed: clock.now() - started });
  });
  return Object.assign(secrets, { elapsed: clock.now() - started });
}

async function failure(
  options: DopplerModuleOptions,
  stuck?: () => boolean,
): Promise<DopplerError & { elapsed: number }> {
  const error = await load(options, stuck).then(
    () => new Error('expected the boot to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DopplerError);
  return error as DopplerError & { elapsed: number };
}

/** The download was answered and its connection closed: what still runs is the stuck read. */
const answered = (before: number) => () => emulator.requestCount > before && openClientSockets() === 0;

describe('the scope is pinned', () => {
  it('a dev app with an explicit passphrase and no project/config never boots from a prd copy', async () => {
    const path = join(dir, 'copy');
    await new FallbackStore({ path, passphrase: PASSPHRASE, rounds: 1000 }).write(
      { DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'prd', API_KEY: PRD_VALUE },
      { project: 'shop', config: 'prd' },
    );
    emulator.setFault({ kind: 'status', status: 503 });
    const error = await failure({ token: DEV, apiUrl, ...fast, fallback: { path, passphrase: PASSPHRASE } });
    expect(error.code).toBe('DOPPLER_SERVER_ERROR');
    expect(error.message).toMatch(/holds secrets for config "prd".*but this app expects config "dev"/);
    expectNoCanary(error);
  });

  it('serves its own config’s copy during the same outage', async () => {
    const path = join(dir, 'copy');
    const options = { token: DEV, apiUrl, ...fast, fallback: { path, passphrase: PASSPHRASE } };
    await (await load(options)).close();
    expect(existsSync(path)).toBe(true);
    emulator.setFault({ kind: 'status', status: 503 });
    const secrets = await load(options);
    expect(secrets.metadata).toMatchObject({ source: 'fallback', project: 'shop', config: 'dev' });
    expect(secrets.get('API_KEY').reveal()).toBe(DEV_VALUE);
    await secrets.close();
  });

  it('a token file rotated to another config’s token is refused; the current set and token stay', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${DEV}\n`);
    const secrets = await load({ tokenFile, apiUrl, ...fast });
    await writeFile(tokenFile, PRD);
    emulator.resetRequests();
    const result = await secrets.refresh();
    expect(result).toMatchObject({ kind: 'failed', code: 'DOPPLER_SCOPE_MISMATCH' });
    expect(emulator.requestCount).toBe(0);
    expect(secrets.get('API_KEY').reveal()).toBe(DEV_VALUE);
    expect(secrets.status).toMatchObject({ lastFailureCode: 'DOPPLER_SCOPE_MISMATCH', stale: true });
    // A rotation within the same config is taken.
    await writeFile(tokenFile, DEV_ROTATED);
    expect(await secrets.refresh()).toMatchObject({ kind: 'unchanged' });
    expect(emulator.requestCount).toBe(1);
    await secrets.close();
    expectNoCanary();
  });

  it('a refreshed set for another config is refused and the current set kept', async () => {
    const server = await lyingServer();
    try {
      const secrets = await load({ token: DEV, apiUrl: server.url, ...fast });
      expect(secrets.metadata.config).toBe('dev');
      server.config = 'prd';
      expect(await secrets.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_SCOPE_MISMATCH' });
      expect(secrets.get('API_KEY').reveal()).toBe(DEV_VALUE);
      await secrets.close();
    } finally {
      await server.close();
    }
  });

  it('with bindToToken, a copy written with another token is refused; with the same token it serves', async () => {
    const path = join(dir, 'copy');
    const bound = { apiUrl, ...fast, fallback: { path, passphrase: PASSPHRASE, bindToToken: true } };
    await (await load({ token: DEV, ...bound })).close();
    expect(existsSync(path)).toBe(true);
    emulator.setFault({ kind: 'status', status: 503 });
    const error = await failure({ token: DEV_ROTATED, ...bound });
    expect(error.message).toMatch(/written with another token and is bound to it/);
    // Without bindToToken the reader still honours the copy's own binding.
    const unbound = await failure({
      token: DEV_ROTATED,
      ...bound,
      fallback: { path, passphrase: PASSPHRASE },
    });
    expect(unbound.message).toMatch(/bound to it/);
    const same = await load({ token: DEV, ...bound });
    expect(same.metadata.source).toBe('fallback');
    await same.close();
    expectNoCanary(error, unbound);
  });
});

describe('the fallback copy does not outlive a revoked token', () => {
  it('a 401 during refresh deletes the copy; the set in memory is kept', async () => {
    const path = join(dir, 'copy');
    const token = 'dp.st.dev.CANARYrevokedLater';
    emulator.addToken({ token, project: 'shop', config: 'dev' });
    const secrets = await load({ token, apiUrl, ...fast, fallback: { path } });
    expect(existsSync(path)).toBe(true);
    emulator.revokeToken(token);
    expect(await secrets.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_UNAUTHORIZED' });
    expect(existsSync(path)).toBe(false);
    expect(secrets.get('API_KEY').reveal()).toBe(DEV_VALUE);
    await secrets.close();
  });

  it('a 503 during refresh keeps the copy', async () => {
    const path = join(dir, 'copy');
    const secrets = await load({ token: DEV, apiUrl, ...fast, fallback: { path } });
    expect(existsSync(path)).toBe(true);
    emulator.setFault({ kind: 'status', status: 503 });
    expect(await secrets.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_SERVER_ERROR' });
    expect(existsSync(path)).toBe(true);
    await secrets.close();
  });
});

describe('every await at bootstrap ends by the deadline', () => {
  const fifo = (name: string): string => {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    return path;
  };

  it('a token file that is a FIFO is refused at once, not waited on', async () => {
    const error = await failure({ tokenFile: fifo('token'), apiUrl, ...fast });
    expect(error.code).toBe('DOPPLER_INVALID_OPTIONS');
    expect(error.message).toMatch(/is not a regular file/);
  });

  it('a fallback path that is a FIFO does not hang an outage: the error comes within the deadline', async () => {
    emulator.setFault({ kind: 'status', status: 503 });
    // On fake time with no deadline allowed to fire: a wait on the FIFO would never end.
    const error = await failure({
      token: DEV,
      apiUrl,
      ...fast,
      fallback: { path: fifo('copy'), passphrase: PASSPHRASE },
    });
    expect(error.elapsed).toBeLessThanOrEqual(3_000);
    expect(error.code).toBe('DOPPLER_SERVER_ERROR');
    expect(error.message).toMatch(/is not a regular file/);
  });

  it('with every thread of the pool stuck (a hung volume), an outage fails by the deadline, and a good fetch still boots', async () => {
    const path = join(dir, 'copy');
    const first = await load({
      token: DEV,
      apiUrl,
      ...fast,
      fallback: { path, passphrase: PASSPHRASE },
    });
    await first.close();
    expect(existsSync(path)).toBe(true);
    // Each blocking open of a FIFO without a writer holds one libuv thread, as a hung NFS read does.
    const stuck = Array.from({ length: 4 }, (_, i) => fifo(`stuck-${i}`));
    const holds = stuck.map((p) => open(p, 'r').catch(() => undefined));
    try {
      emulator.setFault({ kind: 'status', status: 503 });
      const error = await failure(
        { token: DEV, apiUrl, ...fast, deadline: 1_500, fallback: { path, passphrase: PASSPHRASE } },
        answered(emulator.requestCount),
      );
      expect(error.elapsed).toBe(1_500);
      expect(error.code).toBe('DOPPLER_SERVER_ERROR');
      expect(error.message).toMatch(/could not be read before the deadline/);

      emulator.clearFaults();
      const booted = await load(
        { token: DEV, apiUrl, ...fast, deadline: 1_500, fallback: { path, passphrase: PASSPHRASE } },
        answered(emulator.requestCount),
      );
      expect(booted.elapsed).toBe(1_500);
      expect(booted.metadata.source).toBe('doppler-api');
      expect(output.text).toMatch(/fallback copy could not be written before the deadline/);
      await booted.close();
    } finally {
      // Release the threads: a writer on each FIFO lets its blocked open return. Opened on this
      // thread, non-blocking: every pool thread is taken.
      for (const p of stuck) closeSync(openSync(p, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const hold of await Promise.all(holds)) await hold?.close();
    }
  });
});

describe('nothing secret in the app object', () => {
  it('forRoot options (token, webhook secret, fallback passphrase) are sealed', async () => {
    const webhookSecret = 'webhook-secret-CANARY-0123456789';
    @Module({
      imports: [
        // The copy's key at 1000 rounds: this test is about what the app object shows.
        withPipelineDeps(
          DopplerModule.forRoot({
            token: DEV,
            apiUrl,
            webhook: { secret: webhookSecret },
            fallback: { path: join(dir, 'copy'), passphrase: PASSPHRASE },
          }),
          { fallbackRounds: 1000 },
        ),
      ],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const printed = inspect(app, { depth: 9, showHidden: true }) + JSON.stringify(app.get(SecretsService));
      for (const canary of [DEV, webhookSecret, PASSPHRASE, DEV_VALUE]) expect(printed).not.toContain(canary);
    } finally {
      await app.close();
    }
  });
});

describe('server-sent names cannot forge log lines', () => {
  it('control characters in DOPPLER_PROJECT, DOPPLER_CONFIG and secret names are escaped in what is logged', async () => {
    const server = await lyingServer();
    try {
      server.project = 'shop\n[Nest] 1 - FORGED LOG LINE';
      server.extraName = 'NAME\u001b[31mRED\r\nFORGED';
      const secrets = await load({ token: DEV, apiUrl: server.url, ...fast });
      server.value = 'changed-value-0001';
      await secrets.refresh();
      await secrets.close();
      const text = output.text;
      expect(text).toContain('Loaded');
      expect(text).not.toMatch(/\n\[Nest\] 1 - FORGED/);
      expect(text).not.toContain('\u001b[31mRED');
      expect(text).not.toMatch(/\r\nFORGED/);
      expect(text).toContain('\\u{a}[Nest] 1 - FORGED LOG LINE');
    } finally {
      await server.close();
    }
  });
});

/** A server that answers the download with whatever scope and names the test sets. */
async function lyingServer(): Promise<{
  url: string;
  project: string;
  config: string;
  value: string;
  extraName: string | undefined;
  close(): Promise<void>;
}> {
  const state = {
    url: '',
    project: 'shop',
    config: 'dev',
    value: DEV_VALUE,
    extraName: undefined as string | undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  let served = 0;
  const server: Server = createServer((_req, res) => {
    const body: Record<string, string> = {
      DOPPLER_PROJECT: state.project,
      DOPPLER_CONFIG: state.config,
      API_KEY: state.value,
    };
    if (state.extraName !== undefined) body[state.extraName] = 'x';
    res.writeHead(200, { 'content-type': 'application/json', etag: `"v${++served}"` });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.closeAllConnections?.();
  return state;
}
