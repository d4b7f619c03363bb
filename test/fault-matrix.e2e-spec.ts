import { ConsoleLogger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerError, DopplerModule, SecretsService, type DopplerModuleOptions } from 'nestjs-doppler';
import { DopplerEmulator, type EmulatorFault } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';

// Canaries: none of these may appear in anything printed or thrown.
const TOKEN = 'dp.st.dev.CANARY-TOKEN-matrix-5e1f';
const PERSONAL = 'dp.pt.CANARY-TOKEN-personal-0c3b';
const WRONG = 'dp.st.dev.CANARY-TOKEN-wrong-9a2d';
const PASSPHRASE = 'CANARY-PASSPHRASE-77e0aa';
const VALUE = 'CANARY-VALUE-matrix-b41c';

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
const output = new OutputCapture();
let apiUrl = '';
let dir = '';
let fallbackPath = '';
let thief: Server;
let thiefRequests = 0;
let closedPort = 0;

/** Options every row starts from: a small deadline so the whole matrix stays quick. */
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
  readonly elapsed: number;
  readonly printed: string;
}

async function boot(options: DopplerModuleOptions): Promise<Outcome> {
  const before = output.text.length;
  const started = performance.now();
  try {
    // Nest's testing logger prints errors only; the warning under test needs a real logger.
    const moduleRef = await Test.createTestingModule({ imports: [DopplerModule.forRoot(options)] })
      .setLogger(new ConsoleLogger())
      .compile();
    const service = moduleRef.get<SecretsService<Secrets>>(SecretsService);
    await moduleRef.close();
    return { service, elapsed: performance.now() - started, printed: output.text.slice(before) };
  } catch (error) {
    output.record(error);
    expect(error).toBeInstanceOf(DopplerError);
    return {
      error: error as DopplerError,
      elapsed: performance.now() - started,
      printed: output.text.slice(before),
    };
  }
}

async function primeFallback(): Promise<void> {
  emulator.clearFaults();
  const { service } = await boot(base());
  expect(service?.metadata.source).toBe('doppler-api');
  expect(existsSync(fallbackPath)).toBe(true);
}

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-matrix-'));
  fallbackPath = join(dir, 'fallback', 'secrets.enc');
  thief = createServer((_req, res) => {
    thiefRequests++;
    res.end('{}');
  });
  await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  output.start();
  await primeFallback();
});

afterEach(async () => {
  emulator.clearFaults();
  emulator.resetRequests();
  if (!existsSync(fallbackPath)) await primeFallback();
});

afterAll(async () => {
  output.stop();
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
    // Room for three 400 ms attempts and the largest backoffs (500 + 1000 ms): always 3 attempts.
    options: () => ({ deadline: 3000 }),
    expected: { servedBy: 'fallback', reason: 'DOPPLER_TIMEOUT', attempts: 3 },
  },
  {
    name: 'headers then a drip',
    persistent: { kind: 'drip', intervalMs: 100, body: `{"API_KEY":"${'x'.repeat(200)}"}` },
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
    // Inflating to the cap takes a moment on a busy machine; the row is about the cap, not the clock.
    options: () => ({ timeout: 3000, deadline: 6000 }),
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

    const outcome = await boot(options);

    // Bounded: never longer than the deadline, plus scheduling slack on a shared machine.
    expect(outcome.elapsed).toBeLessThan((options.deadline ?? 15_000) + 400);
    expect(thiefRequests).toBe(thiefBefore);
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
      expect(outcome.printed.match(/serving the last-known-good secrets/g)).toHaveLength(1);
    } else {
      expect(outcome.error).toBeUndefined();
      expect(outcome.service?.metadata.source).toBe('doppler-api');
      expect(emulator.requestCount).toBe(expected.requests);
    }
  });

  it('an outage with no fallback copy fails with both reasons', async () => {
    await rm(fallbackPath, { force: true });
    emulator.setFault({ kind: 'status', status: 503 });
    const { error } = await boot(base());
    expect(error?.code).toBe('DOPPLER_SERVER_ERROR');
    expect(error?.attempts).toBe(3);
    expect(error?.message).toMatch(/Gave up after 3 attempts/);
    expect(error?.message).toMatch(
      /The fallback copy could not serve either: .*not found|does not exist|no fallback/i,
    );
  });

  it('a copy older than maxAge is refused', async () => {
    emulator.setFault({ kind: 'status', status: 503 });
    const { error } = await boot({
      ...base(),
      fallback: { path: fallbackPath, passphrase: PASSPHRASE, maxAge: 1 },
    });
    expect(error?.code).toBe('DOPPLER_SERVER_ERROR');
    expect(error?.message).toMatch(/could not serve either/);
  });

  it('a successful fetch rewrites the copy with mode 0600', async () => {
    const before = (await stat(fallbackPath)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const { service } = await boot(base());
    expect(service?.metadata.source).toBe('doppler-api');
    const after = await stat(fallbackPath);
    expect(after.mtimeMs).toBeGreaterThan(before);
    expect(after.mode & 0o777).toBe(0o600);
  });

  it('nothing printed or thrown in the whole matrix holds a canary', () => {
    const text = output.text;
    expect(text).toContain('serving the last-known-good secrets');
    for (const canary of ['CANARY-TOKEN', 'CANARY-PASSPHRASE', 'CANARY-VALUE'])
      expect(text).not.toContain(canary);
  });
});
