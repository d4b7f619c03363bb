/**
 * The webhook trigger on `@nestjs/platform-fastify`, as test/refresh.e2e-spec.ts checks it on
 * Express: a real Fastify server on 127.0.0.1 created with
 * `NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })`, deliveries over
 * real HTTP, refreshes against the emulator. What happens without a raw body, and for other
 * content types, is in test/webhook-raw-body.e2e-spec.ts (both platforms). The coalescing,
 * webhook.minInterval and the once-a-minute warning run on a FakeClock that each test moves.
 */
import { ConsoleLogger, type INestApplication, Logger, Module } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, MinLength } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDopplerWebhookController,
  DopplerModule,
  SecretsService,
  type DopplerModuleOptions,
} from 'nestjs-doppler';
import { DopplerEmulator, signDopplerWebhook } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';
import { FakeClock } from './support/fake-clock.js';
import { listenOn } from './support/http-platforms.js';
import { advanceOnFakeTime } from './support/on-fake-time.js';
import { withPipelineDeps } from './support/pipeline-deps.js';

const TOKEN = 'dp.st.dev.fastify-webhook-token-1';
const WEBHOOK_SECRET = 'fastify-webhook-signing-secret-0123456789';

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;

  @Type(() => Number)
  @IsInt()
  POOL!: number;
}

const initial = { API_KEY: 'fastify-key-version-1', POOL: '5' };
const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: initial } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
const Webhook = createDopplerWebhookController('webhooks/doppler');
const body = JSON.stringify({ type: 'config.secrets.update', config: { name: 'dev' }, project: { id: 'p' } });

let apiUrl = '';
let app: INestApplication | undefined;
let url = '';
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
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  emulator.clearFaults();
  emulator.resetRequests();
  emulator.setSecrets('p', 'dev', initial);
});
afterAll(() => emulator.stop());

async function start(options: Partial<DopplerModuleOptions>): Promise<SecretsService<Secrets>> {
  clock = new FakeClock();
  logs = new RecordingLogger();
  @Module({
    imports: [
      withPipelineDeps(DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, ...options }), {
        clock,
        logger: logs as unknown as Logger,
        random: () => 0.5,
      }),
    ],
    controllers: [Webhook],
  })
  class AppModule {}
  ({ app, url } = await listenOn('fastify', AppModule, { rawBody: true }));
  return app.get<SecretsService<Secrets>>(SecretsService);
}

/** Moves the app's fake clock, letting every refresh that falls due finish its request. */
const elapse = (ms: number) => advanceOnFakeTime(clock, ms);

function deliver(payload: string, signature: string | undefined) {
  const req = request(url).post('/webhooks/doppler').set('content-type', 'application/json');
  if (signature !== undefined) req.set('x-doppler-signature', signature);
  return req.send(payload);
}

describe('webhook trigger on Fastify', () => {
  it('runs on a real Fastify server', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET } });
    expect(app?.getHttpAdapter().getType()).toBe('fastify');
    expect((app?.getHttpAdapter().getInstance() as { version: string }).version).toMatch(/^5\./);
    // Express would add its `x-powered-by: Express` header to every answer; Fastify adds none.
    const answer = await deliver(body, undefined).expect(401);
    expect(answer.headers['x-powered-by']).toBeUndefined();
  });

  it('a signed webhook triggers one refresh, and nothing secret is printed or answered', async () => {
    const secrets = await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 50 } });
    emulator.setSecrets('p', 'dev', { API_KEY: 'fastify-key-from-webhook', POOL: '5' });
    const next = firstValueFrom(secrets.changes);
    const output = new OutputCapture().start();
    Logger.overrideLogger(new ConsoleLogger({ colors: false }));
    let answered: string | undefined;
    try {
      const response = await deliver(body, signDopplerWebhook(body, WEBHOOK_SECRET)).expect(202, {
        accepted: true,
      });
      answered = response.text;
      await elapse(50);
      await next;
    } finally {
      output.stop();
      Logger.overrideLogger(false);
    }
    expect(secrets.get('API_KEY').reveal()).toBe('fastify-key-from-webhook');
    expect(emulator.requestCount).toBe(2);
    expect(logs.lines.join('\n')).toContain('Secrets refreshed');
    for (const canary of [TOKEN, WEBHOOK_SECRET, 'fastify-key-version-1', 'fastify-key-from-webhook']) {
      expect(output.text).not.toContain(canary);
      expect(logs.lines.join('\n')).not.toContain(canary);
      expect(answered).toBeDefined();
      expect(answered).not.toContain(canary);
    }
  });

  it("a custom payload (any JSON Doppler is told to send) is signed over Fastify's raw bytes and refreshes", async () => {
    const secrets = await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10 } });
    // Spacing and key order Fastify's JSON parser would not reproduce: the signature covers the bytes.
    const custom = '{ "deploy" : "api",\n  "note": "rotated" }';
    emulator.setSecrets('p', 'dev', { API_KEY: 'fastify-key-custom-payload', POOL: '5' });
    const next = firstValueFrom(secrets.changes);
    await deliver(custom, signDopplerWebhook(custom, WEBHOOK_SECRET)).expect(202, { accepted: true });
    await elapse(10);
    await next;
    expect(secrets.get('API_KEY').reveal()).toBe('fastify-key-custom-payload');
  });

  it.each([
    ['missing', undefined],
    ['wrong', signDopplerWebhook(body, 'another-secret-0123456789')],
    ['malformed', 'sha256=zz'],
    ['for another body', signDopplerWebhook(`${body} `, WEBHOOK_SECRET)],
    [
      'for the parsed and re-serialised body',
      signDopplerWebhook(JSON.stringify(JSON.parse(body), null, 1), WEBHOOK_SECRET),
    ],
  ])('a %s signature is refused with 401 and triggers nothing', async (_name, signature) => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10 } });
    emulator.resetRequests();
    const response = await deliver(body, signature).expect(401);
    expect(response.body).toMatchObject({ statusCode: 401, message: 'Invalid Doppler webhook signature.' });
    // Anything a delivery had scheduled would have run by now.
    await elapse(60_000);
    expect(emulator.requestCount).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a burst of deliveries is coalesced into one refresh', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 150 } });
    emulator.resetRequests();
    const signature = signDopplerWebhook(body, WEBHOOK_SECRET);
    await Promise.all(Array.from({ length: 10 }, () => deliver(body, signature).expect(202)));
    await elapse(149);
    expect(emulator.requestCount).toBe(0);
    await elapse(1);
    expect(emulator.requestCount).toBe(1);
    await elapse(60_000);
    expect(emulator.requestCount).toBe(1);
  });

  it('40 replays of one captured delivery, spread over 2 s, cost one request, and one more at the end of webhook.minInterval', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10, minInterval: 5_000 } });
    emulator.resetRequests();
    const signature = signDopplerWebhook(body, WEBHOOK_SECRET);
    for (let i = 0; i < 40; i++) {
      await deliver(body, signature).expect(202);
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
    await start({ webhook: { secret: WEBHOOK_SECRET } });
    const refusals = () => logs.lines.filter((line) => /Refused .*Doppler webhook/.test(line));
    for (let i = 0; i < 100; i += 25) {
      await Promise.all(Array.from({ length: 25 }, () => deliver(body, undefined).expect(401)));
    }
    expect(refusals()).toEqual(['Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.']);
    await elapse(60_000);
    await deliver(body, undefined).expect(401);
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]).toBe(
      'Refused 100 Doppler webhooks with a missing or wrong X-Doppler-Signature in the last minute.',
    );
    expect(logs.lines.join('\n')).not.toContain(WEBHOOK_SECRET);
  });

  it('other event types are accepted but trigger nothing', async () => {
    await start({ webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10 } });
    emulator.resetRequests();
    const other = JSON.stringify({ type: 'project.created' });
    await deliver(other, signDopplerWebhook(other, WEBHOOK_SECRET)).expect(202, { accepted: false });
    await elapse(60_000);
    expect(emulator.requestCount).toBe(0);
  });

  it('answers 404 when the module has no webhook option', async () => {
    await start({});
    await deliver(body, signDopplerWebhook(body, WEBHOOK_SECRET)).expect(404);
  });
});
