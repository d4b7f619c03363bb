import { type INestApplication, type Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsString,
  MinLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDopplerWebhookController,
  DopplerModule,
  SecretsService,
  type DopplerModuleOptions,
  type SecretsChange,
} from 'nestjs-doppler';
import { DopplerEmulator, signDopplerWebhook } from 'nestjs-doppler/testing';
import { FallbackStore } from '../lib/fallback/fallback-store.js';
import { FakeClock } from './support/fake-clock.js';
import { advanceOnFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';
import { waitFor } from './support/wait-for.js';

// Real HTTP to the emulator and real Nest apps; the refresh timer, the webhook's coalescing and
// every deadline run on a FakeClock that each test moves, so intervals are exact.

const TOKEN = 'dp.st.dev.refresh-token-1';
const WEBHOOK_SECRET = 'webhook-signing-secret-0123456789';

let validations = 0;

/** Counts how often the schema is validated, to prove a 304 costs none. */
@ValidatorConstraint({ name: 'counted' })
class Counted implements ValidatorConstraintInterface {
  validate(): boolean {
    validations++;
    return true;
  }
}

class Secrets {
  @IsString()
  @MinLength(8)
  @Validate(Counted)
  API_KEY!: string;

  @Type(() => Number)
  @IsInt()
  POOL!: number;
}

const initial = { API_KEY: 'key-version-1', POOL: '5' };
const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: initial } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';
let dir = '';
let app: INestApplication | undefined;
let clock = new FakeClock();

/** Keeps what the pipeline and the webhook handler log, instead of printing it. */
class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(message);
  }
  error(message: string): void {
    this.lines.push(message);
  }
}
let logs = new RecordingLogger();

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-refresh-'));
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  emulator.clearFaults();
  emulator.resetRequests();
  emulator.setSecrets('p', 'dev', initial);
});
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Starts an app on a fresh fake clock. The first check of `refresh` comes at half the interval
 * (the jitter source returns 0.5), then every interval.
 */
async function start(
  options: Partial<DopplerModuleOptions>,
  controllers: unknown[] = [],
): Promise<SecretsService<Secrets>> {
  clock = new FakeClock();
  logs = new RecordingLogger();
  const deps = {
    clock,
    logger: logs as unknown as Logger,
    random: () => 0.5,
    fallbackRounds: 1000,
  };
  @Module({
    imports: [
      withPipelineDeps(DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, ...options }), deps),
    ],
    controllers: controllers as never[],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false, rawBody: true, abortOnError: false });
  await app.init();
  return app.get<SecretsService<Secrets>>(SecretsService);
}

/** Moves the app's fake clock, letting every refresh that falls due finish its request. */
const elapse = (ms: number) => advanceOnFakeTime(clock, ms);

describe('refresh in place', () => {
  it('sees a rotated secret within one interval, and reports names only', async () => {
    const secrets = await start({ refresh: { interval: 200, jitter: 0 } });
    expect(secrets.status.version).toBe(1);
    const next = firstValueFrom(secrets.changes);
    emulator.setSecrets('p', 'dev', { API_KEY: 'key-version-2', POOL: '5', EXTRA: 'undeclared' });

    await elapse(200);
    const change: SecretsChange = await next;
    expect(change).toMatchObject({
      changed: ['API_KEY'],
      added: [],
      removed: [],
      version: 2,
      previousVersion: 1,
    });
    expect(JSON.stringify(change)).not.toContain('key-version');
    expect(logs.lines.join('\n')).not.toContain('key-version');
    expect(secrets.get('API_KEY').reveal()).toBe('key-version-2');
    expect(secrets.status).toMatchObject({ version: 2, stale: false, consecutiveFailures: 0 });
    expect(secrets.status.etag).toBe(change.etag);
  });

  it('an unchanged set costs a 304 and no validation', async () => {
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    const before = validations;
    // Checks at 50, 150 and 250 ms.
    await elapse(250);
    expect(emulator.requests.filter((r) => r.status === 304)).toHaveLength(3);
    expect(validations).toBe(before);
    expect(secrets.status.version).toBe(1);
    expect(secrets.status.lastSuccessAt?.getTime()).toBe(secrets.metadata.fetchedAt.getTime() + 250);
  });

  it('rejects an invalid new set as a whole and keeps the old one', async () => {
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    let events = 0;
    secrets.changes.subscribe(() => events++);
    emulator.setSecrets('p', 'dev', { API_KEY: 'key-version-3', POOL: 'not-a-number' });
    await elapse(50);
    expect(secrets.status.lastFailureCode).toBe('DOPPLER_SECRETS_INVALID');
    expect(secrets.get('API_KEY').reveal()).toBe('key-version-1');
    expect(secrets.get('POOL').reveal()).toBe(5);
    expect(secrets.status).toMatchObject({ version: 1, stale: true });
    expect(events).toBe(0);
  });

  it('keeps serving through an outage, reports staleness, and recovers', async () => {
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    emulator.setFault({ kind: 'status', status: 503 });
    await elapse(50);
    expect(secrets.status).toMatchObject({
      stale: true,
      consecutiveFailures: 1,
      lastFailureCode: 'DOPPLER_SERVER_ERROR',
    });
    expect(secrets.get('API_KEY').reveal()).toBe('key-version-1');
    emulator.clearFaults();
    // Backoff doubles the wait after a failure: the next check is 200 ms later, not 100.
    await elapse(199);
    expect(secrets.status.stale).toBe(true);
    await elapse(1);
    expect(secrets.status).toMatchObject({ stale: false, consecutiveFailures: 0 });
  });

  it("waits at least Doppler's retry-after before the next check after a 429", async () => {
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    emulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    emulator.resetRequests();
    await elapse(50);
    expect(secrets.status.lastFailureCode).toBe('DOPPLER_RATE_LIMITED');
    // Without retry-after the backoff (200 ms, then 400 ms) would have asked twice by now.
    await elapse(999);
    expect(emulator.requestCount).toBe(1);
    emulator.clearFaults();
    await elapse(1);
    expect(emulator.requestCount).toBe(2);
    expect(secrets.status.stale).toBe(false);
  });

  it('picks up a rotated token file without a restart', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const secrets = await start({ token: undefined, tokenFile, refresh: { interval: 100, jitter: 0 } });
    emulator.addToken({ token: 'dp.st.dev.refresh-token-2', project: 'p', config: 'dev' });
    await writeFile(tokenFile, 'dp.st.dev.refresh-token-2\n');
    emulator.revokeToken(TOKEN);
    emulator.setSecrets('p', 'dev', { API_KEY: 'key-after-rotation', POOL: '5' });
    await elapse(50);
    expect(secrets.get('API_KEY').reveal()).toBe('key-after-rotation');
    expect(secrets.status.consecutiveFailures).toBe(0);
    emulator.addToken({ token: TOKEN, project: 'p', config: 'dev' });
  });

  it('rewrites the fallback copy after a changed refresh', async () => {
    const path = join(dir, 'fallback.enc');
    const fallback = { path, passphrase: 'refresh-fallback-passphrase' };
    const secrets = await start({ refresh: { interval: 100, jitter: 0 }, fallback });
    const changed = firstValueFrom(secrets.changes);
    emulator.setSecrets('p', 'dev', { API_KEY: 'key-for-the-copy', POOL: '5' });
    await elapse(50);
    await changed;
    // The cycle that applied the change wrote the copy before it ended.
    const copy = await new FallbackStore({ path, passphrase: fallback.passphrase }).read();
    expect(copy.secrets['API_KEY']).toBe('key-for-the-copy');
    expect(copy.writtenAt.getTime()).toBe(clock.now());
    // Doppler down at the next start: the copy holds the refreshed value.
    await app?.close();
    emulator.setFault({ kind: 'status', status: 503 });
    const fromCopy = await start({ fallback, retries: 0 });
    expect(fromCopy.metadata.source).toBe('fallback');
    expect(fromCopy.get('API_KEY').reveal()).toBe('key-for-the-copy');
  });

  it('refuses token and tokenFile together', async () => {
    await expect(start({ tokenFile: join(dir, 'token') })).rejects.toThrow(
      /either the token option or tokenFile, not both/,
    );
  });

  it('readers never see a mix of two versions during many swaps', async () => {
    const setVersion = (v: number) =>
      emulator.setSecrets('p', 'dev', { API_KEY: `key-version-${v}`, POOL: String(v) });
    setVersion(9);
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    const seen = new Set<number>();
    let reads = 0;
    let stop = false;
    const reader = async () => {
      while (!stop) {
        const snapshot = secrets.snapshot();
        const first = snapshot.get('POOL').reveal();
        await new Promise((r) => setImmediate(r));
        // Within one snapshot, across an await, every key is from the same version.
        expect(snapshot.get('API_KEY').reveal()).toBe(`key-version-${first}`);
        // Synchronous reads of the live service also come from one version.
        const live = secrets.get('POOL').reveal();
        expect(secrets.get('API_KEY').reveal()).toBe(`key-version-${live}`);
        seen.add(first);
        reads++;
      }
    };
    const readers = Array.from({ length: 8 }, reader);
    await elapse(50);
    for (let v = 10; v < 20; v++) {
      setVersion(v);
      await elapse(100);
      expect(secrets.get('POOL').reveal()).toBe(v);
    }
    stop = true;
    await Promise.all(readers);
    expect(seen.size).toBeGreaterThanOrEqual(5);
    expect(reads).toBeGreaterThan(100);
  });

  it('shutdown abandons a refresh in flight and leaves no timer or socket behind', async () => {
    const count = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => ['Timeout', 'TCPSocketWrap', 'TCPServerWrap'].includes(r)).length;
    const before = count();
    const secrets = await start({ refresh: { interval: 100, jitter: 0 } });
    emulator.setFault({ kind: 'hang' });
    // The request hangs: the clock moves to the check, and no deadline is due before the close.
    await advanceOnFakeTime(clock, 50, () => true);
    await waitFor('a request in flight', () => emulator.requests.some((r) => r.status === 0));
    const closing = secrets.changes.pipe(toArray());
    await app?.close();
    app = undefined;
    // The change stream completes on shutdown.
    await expect(firstValueFrom(closing)).resolves.toEqual([]);
    // Nothing is left on the clock: no refresh timer, no deadline.
    expect(clock.pending).toBe(0);
    await waitFor('handles released', () => count() <= before, 2000);
  });
});

describe('webhook trigger', () => {
  const Webhook = createDopplerWebhookController('webhooks/doppler');
  const body = JSON.stringify({
    type: 'config.secrets.update',
    config: { name: 'dev' },
    project: { id: 'p' },
  });
  const deliver = (signature: string | undefined, payload = body) => {
    const req = request(app?.getHttpServer())
      .post('/webhooks/doppler')
      .set('content-type', 'application/json');
    if (signature !== undefined) req.set('x-doppler-signature', signature);
    return req.send(payload);
  };

  it('a signed webhook triggers one refresh', async () => {
    const secrets = await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 50 } }, [Webhook]);
    emulator.setSecrets('p', 'dev', { API_KEY: 'key-from-webhook', POOL: '5' });
    emulator.resetRequests();
    const next = firstValueFrom(secrets.changes);
    await deliver(signDopplerWebhook(body, WEBHOOK_SECRET)).expect(202, { accepted: true });
    await elapse(49);
    expect(emulator.requestCount).toBe(0);
    await elapse(1);
    await next;
    expect(emulator.requestCount).toBe(1);
    expect(secrets.get('API_KEY').reveal()).toBe('key-from-webhook');
  });

  it.each([
    ['missing', undefined],
    ['wrong', signDopplerWebhook(body, 'another-secret-0123456789')],
    ['malformed', 'sha256=zz'],
    ['for another body', signDopplerWebhook(`${body} `, WEBHOOK_SECRET)],
  ])('a %s signature is refused with 401 and triggers nothing', async (_name, signature) => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10 } }, [Webhook]);
    emulator.resetRequests();
    await deliver(signature).expect(401);
    // Anything a delivery had scheduled would have run by now.
    await elapse(60_000);
    expect(emulator.requestCount).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a burst of deliveries is coalesced into one refresh', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 150 } }, [Webhook]);
    emulator.resetRequests();
    const signature = signDopplerWebhook(body, WEBHOOK_SECRET);
    await Promise.all(Array.from({ length: 10 }, () => deliver(signature).expect(202)));
    await elapse(150);
    expect(emulator.requestCount).toBe(1);
    await elapse(60_000);
    expect(emulator.requestCount).toBe(1);
  });

  it('40 replays of one captured delivery, spread over 2 s, cost one request, and one more at the end of webhook.minInterval', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10, minInterval: 5_000 } }, [Webhook]);
    emulator.resetRequests();
    const signature = signDopplerWebhook(body, WEBHOOK_SECRET);
    for (let i = 0; i < 40; i++) {
      await deliver(signature).expect(202);
      await elapse(50);
    }
    // One at once (at 10 ms); the rest share the one owed at the end of the 5 s window.
    expect(emulator.requestCount).toBe(1);
    await elapse(5_010 - 2_000 - 1);
    expect(emulator.requestCount).toBe(1);
    await elapse(1);
    expect(emulator.requestCount).toBe(2);
  });

  it('100 unsigned deliveries are refused with one warning, not a hundred; the next minute says how many', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET } }, [Webhook]);
    const refusals = () => logs.lines.filter((line) => /Refused .*Doppler webhook/.test(line));
    for (let i = 0; i < 100; i += 25) {
      await Promise.all(Array.from({ length: 25 }, () => deliver(undefined).expect(401)));
    }
    expect(refusals()).toEqual(['Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.']);
    await elapse(60_000);
    await deliver(undefined).expect(401);
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]).toBe(
      'Refused 100 Doppler webhooks with a missing or wrong X-Doppler-Signature in the last minute.',
    );
  });

  it('other event types are accepted but trigger nothing', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10 } }, [Webhook]);
    emulator.resetRequests();
    const other = JSON.stringify({ type: 'project.created' });
    await deliver(signDopplerWebhook(other, WEBHOOK_SECRET), other).expect(202, { accepted: false });
    await elapse(60_000);
    expect(emulator.requestCount).toBe(0);
  });

  it('answers 404 when the module has no webhook option', async () => {
    await start({}, [Webhook]);
    await request(app?.getHttpServer())
      .post('/webhooks/doppler')
      .set('x-doppler-signature', signDopplerWebhook(body, WEBHOOK_SECRET))
      .send(body)
      .expect(404);
  });
});
