/**
 * The webhook's signature is computed over the raw request body, which Nest keeps only with
 * `rawBody: true` and only for the media types its default parsers read (application/json,
 * application/x-www-form-urlencoded). What the controller answers when the raw body is missing,
 * and for other content types, on Express and on Fastify, each a real server on 127.0.0.1.
 */
import { ConsoleLogger, type INestApplication, Logger, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request as httpRequest } from 'node:http';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDopplerWebhookController, DopplerModule, SecretsService } from 'nestjs-doppler';
import { DopplerEmulator, signDopplerWebhook } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';
import { listenOn, PLATFORMS, type Platform } from './support/http-platforms.js';

const TOKEN = 'dp.st.dev.raw-body-token-1';
const WEBHOOK_SECRET = 'raw-body-webhook-secret-0123456789';
const VALUE = 'raw-body-value-version-1';
const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: { API_KEY: VALUE } } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
const body = JSON.stringify({ type: 'config.secrets.update', config: { name: 'dev' }, project: { id: 'p' } });
const signature = signDopplerWebhook(body, WEBHOOK_SECRET);

let apiUrl = '';
let app: INestApplication | undefined;
let url = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  emulator.resetRequests();
  emulator.setSecrets('p', 'dev', { API_KEY: VALUE });
});
afterAll(() => emulator.stop());

async function start(
  platform: Platform,
  rawBody: boolean,
  configure?: (app: INestApplication) => void,
): Promise<SecretsService> {
  @Module({
    imports: [
      DopplerModule.forRoot({ token: TOKEN, apiUrl, webhook: { secret: WEBHOOK_SECRET, coalesceMs: 10 } }),
    ],
    controllers: [createDopplerWebhookController('webhooks/doppler')],
  })
  class AppModule {}
  ({ app, url } = await listenOn(platform, AppModule, { rawBody }, configure));
  return app.get(SecretsService);
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** A POST with exactly these headers (supertest would add a content type to a string body). */
function post(headers: Record<string, string>, payload = body): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/webhooks/doppler`,
      { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(payload)), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const message = (answer: Answer): string => (JSON.parse(answer.text) as { message: string }).message;

describe.each(PLATFORMS)('on %s', (platform) => {
  it('is served by that platform', async () => {
    await start(platform, true);
    const answer = await post({ 'content-type': 'application/json', 'x-doppler-signature': signature });
    expect(answer.status).toBe(202);
    expect(app?.getHttpAdapter().getType()).toBe(platform);
    expect(answer.headers['x-powered-by']).toBe(platform === 'express' ? 'Express' : undefined);
  });

  it('without rawBody: 500 naming the fix for both platforms, one error logged, no refresh, nothing secret shown', async () => {
    await start(platform, false);
    emulator.resetRequests();
    const output = new OutputCapture().start();
    Logger.overrideLogger(new ConsoleLogger({ colors: false }));
    const answers: Answer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        answers.push(await post({ 'content-type': 'application/json', 'x-doppler-signature': signature }));
      }
    } finally {
      output.stop();
      Logger.overrideLogger(false);
    }
    for (const answer of answers) {
      expect(answer.status).toBe(500);
      expect(message(answer)).toBe(
        'The Doppler webhook needs the raw request body: create the app with the rawBody option, NestFactory.create(AppModule, { rawBody: true }) on Express, NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true }) on Fastify.',
      );
    }
    expect(output.text.match(/needs the raw request body/g)).toHaveLength(1);
    expect(output.text).toMatch(/ERROR \[DopplerModule\] The Doppler webhook needs the raw request body/);
    expect(emulator.requestCount).toBe(0);
    for (const canary of [TOKEN, WEBHOOK_SECRET, VALUE, signature]) {
      expect(output.text).not.toContain(canary);
      expect(answers.map((a) => a.text).join('\n')).not.toContain(canary);
    }
  });

  it('text/plain: 415 naming the content type and how to keep it raw, no refresh', async () => {
    await start(platform, true);
    emulator.resetRequests();
    const answer = await post({
      'content-type': 'text/plain; charset=utf-8',
      'x-doppler-signature': signature,
    });
    expect(answer.status).toBe(415);
    expect(message(answer)).toMatch(
      /keeps \(with rawBody: true\) for application\/json, the type Doppler sends; this request has content type text\/plain\. .*app\.useBodyParser\('raw', \{ type \}\) on Express, app\.useBodyParser\(type\) on Fastify\./,
    );
    expect(emulator.requestCount).toBe(0);
  });

  it('an unknown media type, or none: 415 (from the controller on Express, from Fastify itself on Fastify)', async () => {
    await start(platform, true);
    const custom = await post({
      'content-type': 'application/vnd.acme+json',
      'x-doppler-signature': signature,
    });
    const none = await post({ 'x-doppler-signature': signature });
    const junk = await post({ 'content-type': '<script>', 'x-doppler-signature': signature });
    for (const answer of [custom, none, junk]) expect(answer.status).toBe(415);
    if (platform === 'express') {
      expect(message(custom)).toContain('this request has content type application/vnd.acme+json.');
      expect(message(none)).toContain('this request has no content type.');
      // A header that is no media type is not echoed back.
      expect(message(junk)).toContain('this request has a content type that is not a media type.');
      expect(junk.text).not.toContain('<script>');
    } else {
      expect(message(custom)).toBe('Unsupported Media Type');
      expect(message(none)).toBe('Unsupported Media Type');
    }
  });

  it("another content type works once the app keeps it raw (the 415 message's fix)", async () => {
    const type = 'application/vnd.acme+json';
    const secrets = await start(platform, true, (created) => {
      if (platform === 'express') (created as NestExpressApplication).useBodyParser('raw', { type });
      else (created as NestFastifyApplication).useBodyParser(type);
    });
    emulator.setSecrets('p', 'dev', { API_KEY: 'raw-body-value-version-2' });
    const next = firstValueFrom(secrets.changes);
    const answer = await post({ 'content-type': type, 'x-doppler-signature': signature });
    expect(answer.status).toBe(202);
    await next;
    expect(secrets.get('API_KEY').reveal()).toBe('raw-body-value-version-2');
    // The signature is still checked over those bytes.
    expect((await post({ 'content-type': type, 'x-doppler-signature': signature }, `${body} `)).status).toBe(
      401,
    );
  });
});
