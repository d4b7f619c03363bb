import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { inspect } from 'node:util';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DopplerModule, SecretsService } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { AppModule } from '../sample-app/src/app.module.js';
import { AppSecrets } from '../sample-app/src/app-secrets.js';
import { OutputCapture } from './support/capture-output.js';
import { openClientSockets } from './support/client-sockets.js';
import { useDopplerEnv } from './support/doppler-env.js';
import { FakeClock } from './support/fake-clock.js';
import { onFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';

// Every value and token in this file is a canary: none may appear in anything printed or thrown.
const TOKEN = 'dp.st.dev.CANARY-TOKEN-a8f3e1';
const WRONG_TOKEN = 'dp.st.dev.CANARY-WRONG-77c0d2';
const VALUES = {
  DATABASE_URL: 'postgres://canary:CANARY-DB-PASS-19ad@db.internal:5432/app',
  DATABASE_POOL_SIZE: '7',
  PAYMENTS_API_KEY: 'CANARY-PAYMENTS-KEY-e0b6a4',
  SESSION_SECRET: 'CANARY-SESSION-SECRET-3c9f17d2',
  LOG_LEVEL: 'debug',
  UNDECLARED_SECRET: 'CANARY-UNDECLARED-5d1c',
};
const CANARIES = [
  'CANARY-TOKEN',
  'CANARY-WRONG',
  'CANARY-DB-PASS',
  'CANARY-PAYMENTS',
  'CANARY-SESSION',
  'CANARY-UNDECLARED',
];

const emulator = new DopplerEmulator({
  projects: { 'sample-app': { configs: { dev: { secrets: VALUES } } } },
  tokens: [{ token: TOKEN, project: 'sample-app', config: 'dev' }],
});
let output = new OutputCapture();
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterAll(() => emulator.stop());

// Each test is checked on its own: what it printed and what it threw.
beforeEach(() => {
  output = new OutputCapture().start();
});
afterEach(() => {
  const text = output.stop();
  // The control: something was captured (a log line, an answer, a rendered error).
  expect(text.length).toBeGreaterThan(100);
  for (const canary of CANARIES) expect(text).not.toContain(canary);
  expect(JSON.stringify(emulator.requests)).not.toContain('CANARY');
  emulator.resetRequests();
});

/** Compiles the module on fake time: a hung answer meets its deadline without a real wait. */
function compileOnFakeTime(options: Parameters<typeof DopplerModule.forRoot>[0]): Promise<unknown> {
  const clock = new FakeClock();
  const compiling = Test.createTestingModule({
    imports: [withPipelineDeps(DopplerModule.forRoot(options), { clock })],
  }).compile();
  return onFakeTime(clock, compiling, () => openClientSockets() > 0);
}

async function expectFailure(run: () => Promise<unknown>): Promise<void> {
  const outcome = await run().then(
    () => 'resolved',
    (error: unknown) => {
      output.record(error);
      return 'rejected';
    },
  );
  expect(outcome).toBe('rejected');
}

describe('canary: no token or secret value reaches any output', () => {
  it('the whole successful path: bootstrap logs, HTTP answers, printing the service and secrets', async () => {
    const restore = useDopplerEnv({ DOPPLER_TOKEN: TOKEN, DOPPLER_API_URL: apiUrl });
    let app: INestApplication | undefined;
    try {
      app = await NestFactory.create(AppModule, {
        // A logger of its own: a testing module compiled before (Test.createTestingModule) leaves
        // Nest's static logger a TestingLogger, which prints errors only.
        logger: new ConsoleLogger({ logLevels: ['log', 'warn', 'error', 'debug', 'verbose'] }),
        abortOnError: false,
      });
      await app.init();
      const server = app.getHttpServer();
      for (const path of ['/health', '/config']) {
        const res = await request(server).get(path).expect(200);
        output.record(res.text);
      }
      const signed = await request(server).post('/payments/signature').send({ payload: 'x' }).expect(201);
      output.record(signed.text);

      const secrets = app.get<SecretsService<AppSecrets>>(SecretsService);
      console.log(secrets, secrets.get('DATABASE_URL'), { all: secrets.keys().map((k) => secrets.get(k)) });
      output.record(JSON.stringify(secrets));
      output.record(inspect(secrets, { showHidden: true, depth: Infinity }));
      output.record(`${secrets.get('PAYMENTS_API_KEY')}`);
      // The values really were loaded: the canary check below is not vacuous.
      expect(secrets.get('PAYMENTS_API_KEY').reveal()).toBe(VALUES.PAYMENTS_API_KEY);
      expect(output.text).toContain('Loaded 5 secrets from Doppler');
    } finally {
      await app?.close();
      restore();
    }
  });

  it('a wrong token', async () => {
    const restore = useDopplerEnv({ DOPPLER_TOKEN: WRONG_TOKEN, DOPPLER_API_URL: apiUrl });
    try {
      await expectFailure(() => NestFactory.create(AppModule, { abortOnError: false }));
    } finally {
      restore();
    }
  });

  it('secrets that fail validation, with custom messages', async () => {
    emulator.setSecrets('sample-app', 'dev', {
      ...VALUES,
      DATABASE_URL: 'CANARY-DB-PASS-not-a-url',
      DATABASE_POOL_SIZE: 'CANARY-DB-PASS-nan',
    });
    const restore = useDopplerEnv({ DOPPLER_TOKEN: TOKEN, DOPPLER_API_URL: apiUrl });
    try {
      await expectFailure(() => NestFactory.create(AppModule, { abortOnError: false }));
    } finally {
      restore();
      emulator.setSecrets('sample-app', 'dev', VALUES);
    }
  });

  it.each([
    [
      'a server error echoing the token',
      { kind: 'status' as const, status: 500, body: `{"messages":["token ${TOKEN} broke"]}` },
    ],
    [
      'a malformed body quoting values',
      { kind: 'raw' as const, status: 200, body: `{"DATABASE_URL": "${VALUES.DATABASE_URL}` },
    ],
    [
      'an HTML page quoting values',
      { kind: 'raw' as const, status: 502, body: `<html>${VALUES.SESSION_SECRET} ${TOKEN}</html>` },
    ],
    [
      'a non-string value',
      { kind: 'raw' as const, status: 200, body: `{"A": 1, "B": "${VALUES.PAYMENTS_API_KEY}"}` },
    ],
    ['a hang', { kind: 'hang' as const }],
    ['a reset', { kind: 'reset' as const, afterBytes: 3 }],
    ['a redirect', { kind: 'redirect' as const, location: `http://127.0.0.1:9/${TOKEN}` }],
  ])('%s', async (_name, fault) => {
    emulator.injectFaults(fault);
    await expectFailure(() =>
      compileOnFakeTime({ token: TOKEN, apiUrl, schema: AppSecrets, timeout: 300, retries: 0 }),
    );
  });

  it('an unreachable Doppler', async () => {
    await expectFailure(() =>
      compileOnFakeTime({ token: TOKEN, apiUrl: 'http://127.0.0.1:9', schema: AppSecrets, retries: 1 }),
    );
  });
});
