import { ConsoleLogger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DopplerError, DopplerModule, SecretsService, type DopplerModuleOptions } from 'nestjs-doppler';
import { DopplerEmulator, type EmulatorFault } from 'nestjs-doppler/testing';
import { FallbackStore } from '../lib/fallback/fallback-store.js';
import { OutputCapture } from './support/capture-output.js';
import { openClientSockets } from './support/client-sockets.js';
import { FakeClock } from './support/fake-clock.js';
import { onFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';

// Real HTTP to real servers on 127.0.0.1, fake time: every retry wait and every deadline runs on
// a FakeClock, so "bounded by the deadline" is exact, and a loaded machine cannot tip a row.

// Canaries: none of these may appear in anything printed or thrown.
const TOKEN = 'dp.st.dev.CANARY-TOKEN-matrix-5e1f';
const PERSONAL = 'dp.pt.CANARY-TOKEN-personal-0c3b';
const WRONG = 'dp.st.dev.CANARY-TOKEN-wrong-9a2d';
const PASSPHRASE = 'CANARY-PASSPHRASE-77e0aa';
const VALUE = 'CANARY-VALUE-matrix-b41c';
const CANARIES = ['CANARY-TOKEN', 'CANARY-PASSPHRASE', 'CANARY-VALUE'];
/** The fallback copy's rounds: the matrix is about when a copy serves, not about its key's cost. */
const ROUNDS = 1000;

class Secrets {
  @IsString()
  API_KEY!: string;
}

const emulator = new DopplerEmulator({
  projects: {
    shop: { configs: { dev: { secrets: { API_KEY: VALUE } }, prd: { secrets: { API_KEY: 'x' } } } },
  },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }, { token: PERSONAL }],
});
let apiUrl = '';
let dir = '';
/** A copy of the dev config's secrets written a minute before each boot's fake start. */
let template = '';
let fallbackPath = '';
let thief: Server;
let thiefRequests = 0;
let closedPort = 0;

/** Options every row starts from: a small deadline, as an app that must start fast would set. */
function base(): DopplerModuleOptions {
  return {
    token: TOKEN,
    apiUrl,
    schema: Secrets,
    timeout: 400,
    deadline: 1500,
    retries: 2,
    fallback: { path: fallbackPath, passphrase: PASSPHRASE },
  };
}

interface Outcome {
  readonly service?: SecretsService<Secrets>;
  readonly error?: DopplerError;
  /** Fake milliseconds the boot took. */
  readonly elapsed: number;
  /** Everything printed during the boot, and everything the error shows. */
  readonly printed: string;
  readonly clock: FakeClock;
}

/**
 * Boots the module on a fresh fake clock. `hangs`: the server never finishes an answer, so a
 * deadline may fire while a request is open; otherwise deadlines fire only on stuck work.
 */
async function boot(options: DopplerModuleOptions, hangs = false): Promise<Outcome> {
  const clock = new FakeClock();
  const output = new OutputCapture().start();
  const started = clock.now();
  try {
    // Nest's testing logger prints errors only; the warning under test needs a real logger.
    const compiling = Test.createTestingModule({
      imports: [
        withPipelineDeps(DopplerModule.forRoot(options), {
          clock,
          fallbackRounds: ROUNDS,
          random: () => 0.5,
        }),
      ],
    })
      .setLogger(new ConsoleLogger())
      .compile();
    const moduleRef = await onFakeTime(clock, compiling, () => hangs && openClientSockets() > 0);
    const service = moduleRef.get<SecretsService<Secrets>>(SecretsService);
    await moduleRef.close();
    return { service, elapsed: clock.now() - started, printed: output.stop(), clock };
  } catch (error) {
    output.record(error);
    expect(error).toBeInstanceOf(DopplerError);
    return { error: error as DopplerError, elapsed: clock.now() - started, printed: output.stop(), clock };
  }
}

function expectNoCanary(outcome: Outcome): void {
  for (const canary of CANARIES) expect(outcome.printed).not.toContain(canary);
}

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-matrix-'));
  template = join(dir, 'template.enc');
  await new FallbackStore({
    path: template,
    passphrase: PASSPHRASE,
    rounds: ROUNDS,
    now: () => new FakeClock().now() - 60_000,
  }).write(
    { API_KEY: VALUE, DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'dev' },
    { project: 'shop', config: 'dev' },
  );
  thief = createServer((_req, res) => {
    thiefRequests++;
    res.end('{}');
  });
  await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
});

// Each test starts from its own copy of the last-known-good secrets.
beforeEach(async (context) => {
  fallbackPath = join(dir, context.task.id, 'secrets.enc');
  await mkdir(join(dir, context.task.id));
  await copyFile(template, fallbackPath);
});

afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});

afterAll(async () => {
  await emulator.stop();
  await new Promise((r) => thief.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** How a row ends: an error nothing covers, the fallback serving, or Doppler serving. */
type Expected =
  | { readonly error: string; readonly attempts: number; readonly fallbackFile: 'kept' | 'deleted' }
  | { readonly servedBy: 'fallback'; readonly reason: string; readonly attempts: number }
  | { readonly servedBy: 'doppler-api'; readonly requests: number };

interface Row {
  readonly name: string;
  readonly faults?: readonly EmulatorFault[];
  readonly persistent?: EmulatorFault;
  readonly options?: () => Partial<DopplerModuleOptions>;
  /** The server never finishes an answer: only a deadline ends each attempt. */
  readonly hangs?: boolean;
  readonly expected: Expected;
}

const truncated = `{"API_KEY": "${VALUE}`;
const rows: readonly Row[] = [
  {
    name: '401 wrong token',
    options: () => ({ token: WRONG }),
    expected: { error: 'DOPPLER_UNAUTHORIZED', attempts: 1, fallbackFile: 'deleted' },
  },
  {
    name: '403 token scoped elsewhere',
    options: () => ({ config: 'prd' }),
    expected: { error: 'DOPPLER_FORBIDDEN', attempts: 1, fallbackFile: 'deleted' },
  },
  {
    name: '404 unknown project',
    options: () => ({ token: PERSONAL, project: 'nope', config: 'dev' }),
    expected: { error: 'DOPPLER_NOT_FOUND', attempts: 1, fallbackFile: 'deleted' },
  },
  {
    name: '429 with retry-after',
    persistent: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    options: () => ({ deadline: 3500 }),
    expected: { servedBy: 'fallback', reason: 'DOPPLER_RATE_LIMITED', attempts: 3 },
  },
  {
    name: '429 without retry-after',
    persistent: { kind: 'status', status: 429 },
    expected: { servedBy: 'fallback', reason: 'DOPPLER_RATE_LIMITED', attempts: 3 },
  },
  {
    name: '500/502/503 flapping then success',
    faults: [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 503 },
    ],
    options: () => ({ retries: 3, deadline: 5000 }),
    expected: { servedBy: 'doppler-api', requests: 4 },
  },
  {
    name: 'hang before headers',
    persistent: { kind: 'hang' },
    hangs: true,
    // Room for three 400 ms attempts and the largest backoffs (500 + 1000 ms): always 3 attempts.
    options: () => ({ deadline: 3000 }),
    expected: { servedBy: 'fallback', reason: 'DOPPLER_TIMEOUT', attempts: 3 },
  },
  {
    name: 'headers then a drip',
    persistent: { kind: 'drip', intervalMs: 100, body: `{"API_KEY":"${'x'.repeat(200)}"}` },
    hangs: true,
    options: () => ({ deadline: 3000 }),
    expected: { servedBy: 'fallback', reason: 'DOPPLER_TIMEOUT', attempts: 3 },
  },
  {
    name: 'reset mid-body',
    persistent: { kind: 'reset', afterBytes: 8 },
    expected: { servedBy: 'fallback', reason: 'DOPPLER_UNREACHABLE', attempts: 3 },
  },
  {
    name: 'truncated JSON',
    persistent: {
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: truncated,
    },
    expected: { error: 'DOPPLER_MALFORMED_RESPONSE', attempts: 1, fallbackFile: 'kept' },
  },
  {
    name: 'HTML error page',
    persistent: {
      kind: 'raw',
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: `<html>${TOKEN} ${VALUE}</html>`,
    },
    expected: { servedBy: 'fallback', reason: 'DOPPLER_SERVER_ERROR', attempts: 3 },
  },
  {
    name: 'non-object JSON',
    persistent: { kind: 'raw', status: 200, body: `["${VALUE}"]` },
    expected: { error: 'DOPPLER_MALFORMED_RESPONSE', attempts: 1, fallbackFile: 'kept' },
  },
  {
    name: 'non-string values',
    persistent: { kind: 'raw', status: 200, body: `{"API_KEY": ["${VALUE}"]}` },
    expected: { error: 'DOPPLER_MALFORMED_RESPONSE', attempts: 1, fallbackFile: 'kept' },
  },
  {
    name: 'a body over the cap',
    persistent: { kind: 'raw', status: 200, body: JSON.stringify({ API_KEY: VALUE.repeat(500) }) },
    options: () => ({ maxResponseBytes: 4096 }),
    expected: { error: 'DOPPLER_RESPONSE_TOO_LARGE', attempts: 1, fallbackFile: 'kept' },
  },
  {
    name: 'a gzip bomb',
    persistent: {
      kind: 'raw',
      status: 200,
      headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
      body: gzipSync(JSON.stringify({ API_KEY: 'x'.repeat(8 * 1024 * 1024) })),
    },
    expected: { error: 'DOPPLER_RESPONSE_TOO_LARGE', attempts: 1, fallbackFile: 'kept' },
  },
  {
    name: 'a redirect to another port',
    persistent: { kind: 'redirect', location: 'THIEF' },
    expected: { error: 'DOPPLER_REDIRECT', attempts: 1, fallbackFile: 'kept' },
  },
  {
    name: 'connection refused',
    options: () => ({ apiUrl: `http://127.0.0.1:${closedPort}` }),
    expected: { servedBy: 'fallback', reason: 'DOPPLER_UNREACHABLE', attempts: 3 },
  },
  {
    name: 'unresolvable host',
    options: () => ({ apiUrl: 'https://doppler-emulator.invalid' }),
    expected: { servedBy: 'fallback', reason: 'DOPPLER_UNREACHABLE', attempts: 3 },
  },
];

describe('fault matrix: every failure is typed, bounded by the deadline, and leaks nothing', () => {
  it.each(rows)('$name', async (row) => {
    const thiefPort = (thief.address() as AddressInfo).port;
    const resolveFault = (fault: EmulatorFault): EmulatorFault =>
      fault.kind === 'redirect' ? { ...fault, location: `http://127.0.0.1:${thiefPort}/steal` } : fault;
    if (row.faults) emulator.injectFaults(...row.faults.map(resolveFault));
    if (row.persistent) emulator.setFault(resolveFault(row.persistent));
    const options = { ...base(), ...row.options?.() };
    const thiefBefore = thiefRequests;

    const outcome = await boot(options, row.hangs);

    // Bounded: the library never waited past its deadline, in its own time.
    expect(outcome.elapsed).toBeLessThanOrEqual(options.deadline ?? 15_000);
    expect(thiefRequests).toBe(thiefBefore);
    expectNoCanary(outcome);
    const expected = row.expected;
    if ('error' in expected) {
      expect(outcome.service).toBeUndefined();
      expect(outcome.error?.code).toBe(expected.error);
      expect(outcome.error?.attempts).toBe(expected.attempts);
      expect(existsSync(fallbackPath)).toBe(expected.fallbackFile === 'kept');
    } else if (expected.servedBy === 'fallback') {
      expect(outcome.error).toBeUndefined();
      const metadata = outcome.service?.metadata;
      expect(metadata?.source).toBe('fallback');
      expect(metadata?.fallback).toMatchObject({
        reason: expected.reason,
        attempts: expected.attempts,
        format: 'nestjs-doppler',
      });
      expect(outcome.service?.get('API_KEY').reveal()).toBe(VALUE);
      // The copy was written a minute before the boot began, and served when the retries ended.
      expect(metadata?.fallback?.ageMs).toBe(60_000 + outcome.elapsed);
      expect(
        outcome.printed.match(/serving the last-known-good secrets from the fallback copy written 1m/g),
      ).toHaveLength(1);
    } else {
      expect(outcome.error).toBeUndefined();
      expect(outcome.service?.metadata.source).toBe('doppler-api');
      expect(emulator.requestCount).toBe(expected.requests);
    }
  });

  it('an outage with no fallback copy fails with both reasons', async () => {
    await rm(fallbackPath, { force: true });
    emulator.setFault({ kind: 'status', status: 503 });
    const outcome = await boot(base());
    const { error } = outcome;
    expect(error?.code).toBe('DOPPLER_SERVER_ERROR');
    expect(error?.attempts).toBe(3);
    expect(error?.message).toMatch(/Gave up after 3 attempts/);
    expect(error?.message).toMatch(
      /The fallback copy could not serve either: .*not found|does not exist|no fallback/i,
    );
    expectNoCanary(outcome);
  });

  it('a copy older than maxAge is refused', async () => {
    emulator.setFault({ kind: 'status', status: 503 });
    const outcome = await boot({
      ...base(),
      // The copy is a minute old.
      fallback: { path: fallbackPath, passphrase: PASSPHRASE, maxAge: 59_000 },
    });
    expect(outcome.error?.code).toBe('DOPPLER_SERVER_ERROR');
    expect(outcome.error?.message).toMatch(/could not serve either/);
    expectNoCanary(outcome);
  });

  it('a successful fetch rewrites the copy with mode 0600', async () => {
    const outcome = await boot(base());
    expect(outcome.service?.metadata.source).toBe('doppler-api');
    expect((await stat(fallbackPath)).mode & 0o777).toBe(0o600);
    // The copy on disk is the one this boot wrote, at its own time, not the template.
    const copy = await new FallbackStore({ path: fallbackPath, passphrase: PASSPHRASE }).read();
    expect(copy.writtenAt.getTime()).toBe(outcome.clock.now());
    expect(copy.secrets['API_KEY']).toBe(VALUE);
    expectNoCanary(outcome);
  });
});
