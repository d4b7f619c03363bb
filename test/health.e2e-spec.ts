import { Controller, Get, type INestApplication, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { IsString, MinLength } from 'class-validator';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerModule, SecretsService, type DopplerModuleOptions } from 'nestjs-doppler';
import { DopplerHealthIndicator } from 'nestjs-doppler/health';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { FakeClock } from './support/fake-clock.js';
import { advanceOnFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';

// The age the check judges, the refresh timer and its backoff all run on a FakeClock each test
// moves: "older than maxAgeMs" is reached by moving the clock, not by sleeping.

const TOKEN = 'dp.st.dev.health-token-1';
const VALUES = { API_KEY: 'canary-health-api-key-0001', DB_PASSWORD: 'canary-health-db-password-0002' };
/** The strict route's threshold: small, so a test can outlive it. */
const STRICT_MS = 300;

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;

  @IsString()
  DB_PASSWORD!: string;
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly doppler: DopplerHealthIndicator,
  ) {}

  @Get('strict')
  @HealthCheck()
  strict() {
    return this.health.check([() => this.doppler.isHealthy('doppler', { maxAgeMs: STRICT_MS })]);
  }

  @Get('lenient')
  @HealthCheck()
  lenient() {
    return this.health.check([() => this.doppler.isHealthy('doppler', { maxAgeMs: 60_000 })]);
  }
}

/** Keeps every log line, to prove no value reaches the logs (Terminus logs a failed check). */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  #record = (...args: unknown[]) => {
    this.lines.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
  };
  log = this.#record;
  error = this.#record;
  warn = this.#record;
  debug = this.#record;
  verbose = this.#record;
  fatal = this.#record;
}

const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: VALUES } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';
let dir = '';
let app: INestApplication | undefined;
let logger = new RecordingLogger();
let clock = new FakeClock();
/** Moves the app's fake clock, letting every refresh that falls due finish its request. */
const elapse = (ms: number) => advanceOnFakeTime(clock, ms);

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-health-'));
});
afterEach(async () => {
  // Whatever happened, neither a body nor a log line held a value.
  const logs = logger.lines.join('\n');
  for (const value of Object.values(VALUES)) expect(logs).not.toContain(value);
  await app?.close();
  app = undefined;
  emulator.clearFaults();
  emulator.setSecrets('p', 'dev', VALUES);
});
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(options: Partial<DopplerModuleOptions> = {}): Promise<SecretsService<Secrets>> {
  clock = new FakeClock();
  @Module({
    imports: [
      // The first refresh check comes at half the interval, then every interval.
      withPipelineDeps(
        DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, ...options, isGlobal: true }),
        { clock, random: () => 0.5, fallbackRounds: 1000 },
      ),
      TerminusModule.forRoot(),
    ],
    controllers: [HealthController],
    providers: [DopplerHealthIndicator],
  })
  class AppModule {}
  logger = new RecordingLogger();
  app = await NestFactory.create(AppModule, { logger, abortOnError: false });
  await app.init();
  return app.get<SecretsService<Secrets>>(SecretsService);
}

const get = (path: string) => request(app?.getHttpServer()).get(path);

function expectNoValue(text: string): void {
  for (const value of Object.values(VALUES)) expect(text).not.toContain(value);
}

describe('DopplerHealthIndicator with Terminus', () => {
  it('is up when the secrets are fresh, and stays up at any age while nothing failed', async () => {
    await start();
    const res = await get('/health/strict').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: { doppler: expect.objectContaining({ status: 'up' }) },
      error: {},
      details: { doppler: expect.objectContaining({ status: 'up' }) },
    });
    expect(res.body.details.doppler).toEqual({
      status: 'up',
      source: 'doppler-api',
      version: 1,
      ageMs: expect.any(Number),
      maxAgeMs: STRICT_MS,
      stale: false,
      consecutiveFailures: 0,
      lastSuccessAt: expect.any(String),
    });
    expectNoValue(res.text);

    // Without refresh the set is never re-checked; that alone is not a failure.
    await elapse(STRICT_MS + 50);
    const later = await get('/health/strict').expect(200);
    expect(later.body.details.doppler.ageMs).toBe(STRICT_MS + 50);
  });

  it('answers 503 when refreshes have failed for longer than maxAgeMs, and recovers', async () => {
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    emulator.setFault({ kind: 'status', status: 503 });
    await elapse(50);
    expect(secrets.status.consecutiveFailures).toBe(1);

    // Stale, but within the lenient threshold: still up, and it says it is stale.
    const lenient = await get('/health/lenient').expect(200);
    expect(lenient.body.details.doppler).toMatchObject({
      status: 'up',
      stale: true,
      lastFailureCode: 'DOPPLER_SERVER_ERROR',
    });

    // Still within the strict threshold (checks at 50 and 250 ms fail): up, though stale.
    await elapse(STRICT_MS - 50);
    await get('/health/strict').expect(200);
    await elapse(1);
    const res = await get('/health/strict').expect(503);
    expect(res.body.status).toBe('error');
    expect(res.body.error.doppler).toMatchObject({
      status: 'down',
      source: 'doppler-api',
      version: 1,
      maxAgeMs: STRICT_MS,
      stale: true,
      lastFailureCode: 'DOPPLER_SERVER_ERROR',
      lastFailureAt: expect.any(String),
      message: expect.stringMatching(/^Doppler has not confirmed the secrets for \d+ ms \(limit 300 ms\)/),
    });
    expect(res.body.error.doppler.ageMs).toBe(STRICT_MS + 1);
    expect(res.body.error.doppler.consecutiveFailures).toBe(2);
    expectNoValue(res.text);
    // Terminus logged the failed check; the afterEach hook checks those lines hold no value.
    expect(logger.lines.join('\n')).toContain('DOPPLER_SERVER_ERROR');

    emulator.clearFaults();
    // The next check, 400 ms after the second failure: Doppler confirms the set again.
    await elapse(650 - (STRICT_MS + 1));
    expect(secrets.status.stale).toBe(false);
    const recovered = await get('/health/strict').expect(200);
    expect(recovered.body.details.doppler).toMatchObject({
      status: 'up',
      stale: false,
      consecutiveFailures: 0,
    });
  });

  it('answers 503 when the fallback copy served and is older than maxAgeMs, 200 within it', async () => {
    const fallback = { path: join(dir, 'fallback.enc'), passphrase: 'health-fallback-passphrase' };
    await start({ fallback });
    await app?.close();

    emulator.setFault({ kind: 'status', status: 503 });
    const secrets = await start({ fallback, retries: 0 });
    expect(secrets.metadata.source).toBe('fallback');
    await elapse(STRICT_MS + 1);
    expect(secrets.status.ageMs).toBe(STRICT_MS + 1);

    const lenient = await get('/health/lenient').expect(200);
    expect(lenient.body.details.doppler).toMatchObject({
      status: 'up',
      source: 'fallback',
      stale: true,
      fallbackReason: 'DOPPLER_SERVER_ERROR',
    });

    const res = await get('/health/strict').expect(503);
    expect(res.body.error.doppler).toMatchObject({
      status: 'down',
      source: 'fallback',
      version: 1,
      stale: true,
      fallbackReason: 'DOPPLER_SERVER_ERROR',
      message: expect.stringContaining('Serving the fallback copy of the Doppler secrets'),
    });
    expectNoValue(res.text);
    expectNoValue(lenient.text);
  });
});
