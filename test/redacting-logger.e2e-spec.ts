import { Injectable, Logger, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsString, MinLength } from 'class-validator';
import { stripVTControlCharacters } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DopplerLogger, DopplerModule, SECRET_MASK, SecretsService } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';

const TOKEN = 'dp.st.dev.redacting-logger';
const CANARY = 'canary-e2e-api-key-5b7d19c3';
const ROTATED = 'canary-e2e-rotated-key-e04a6f21';
// Quotes, a backslash and line breaks: written differently by JSON and by inspect.
const PEM = `-----BEGIN KEY-----\npem-body-line-with-"quotes"-and-'apostrophes'\\x\n-----END KEY-----`;

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;

  @IsString()
  PEM!: string;
}

/** Stands for app code that logs the Nest way, with a `Logger` per class. */
@Injectable()
class Careless {
  private readonly logger = new Logger('Careless');

  constructor(
    private readonly secrets: SecretsService<Secrets>,
    // The logger is injectable as well, for `error(message, stack, context)` by hand.
    private readonly direct: DopplerLogger,
  ) {}

  /** Logs the revealed value every way a careless line could; returns what it revealed. */
  leak(tag: string): string {
    const key = this.secrets.get('API_KEY').reveal();
    const pem = this.secrets.get('PEM').reveal();
    const error = new Error(`${tag}-error ${key}`);
    this.logger.log(`${tag}-log ${key}`);
    this.logger.warn(`${tag}-warn ${key}`);
    this.logger.debug(`${tag}-debug ${key}`);
    this.logger.verbose(`${tag}-verbose ${key}`);
    this.logger.fatal(`${tag}-fatal ${key}`);
    this.logger.log({ tag: `${tag}-object`, nested: { key, list: [key, { pem }] } });
    this.logger.warn([`${tag}-array`, key, [key]]);
    this.logger.error(error);
    this.logger.error(`${tag}-with-stack`, error.stack);
    this.direct.error(`${tag}-direct`, error.stack, `Ctx-${key}`);
    this.logger.log(`${tag}-params`, { key, deep: { pem } });
    return key;
  }
}

const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: { API_KEY: CANARY, PEM } } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';
let app: INestApplication | undefined;
let capture: OutputCapture | undefined;

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(async () => {
  capture?.stop();
  capture = undefined;
  await app?.close();
  app = undefined;
  emulator.setSecrets('p', 'dev', { API_KEY: CANARY, PEM });
});
afterAll(async () => {
  await emulator.stop();
});

/** Boots the app the documented way: the logger is a provider, bootstrap lines buffered. */
async function start(): Promise<INestApplication> {
  @Module({
    imports: [
      DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, refresh: { interval: 100, jitter: 0 } }),
    ],
    providers: [DopplerLogger, Careless],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(DopplerLogger));
  await app.init();
  return app;
}

/** The captured text from the first `tag` on, long enough to hold the record it starts. */
function segment(text: string, tag: string): string {
  const at = text.indexOf(tag);
  expect(at, `nothing logged for ${tag}`).toBeGreaterThanOrEqual(0);
  return text.slice(at, at + 2000);
}

describe('DopplerLogger in an app', () => {
  it('masks a revealed secret in every kind of log line, bootstrap lines included', async () => {
    const written = vi.spyOn(DopplerLogger.prototype, 'log');
    capture = new OutputCapture().start();
    const running = await start();
    const leaked = running.get(Careless).leak('t1');
    const text = stripVTControlCharacters(capture.stop());

    // The lines really carried the secret: it was revealed, and the mask stands where it was.
    expect(leaked).toBe(CANARY);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('canary');
    expect(text).not.toContain('pem-body-line');
    for (const level of ['log', 'warn', 'debug', 'verbose', 'fatal']) {
      expect(text).toContain(`t1-${level} ${SECRET_MASK}`);
    }
    expect(segment(text, 't1-object')).toMatch(
      /key: '\*{10}'[\s\S]*list: \[[\s\S]*'\*{10}'[\s\S]*pem: '\*{10}'/,
    );
    expect(segment(text, 't1-array')).toMatch(/'\*{10}',\s+\[\s+'\*{10}'\s+\]/);
    // The Error: message and stack (which repeats the message), then the explicit stack.
    expect(text).toContain(`Error: t1-error ${SECRET_MASK}\n    at `);
    expect(text.split(`t1-error ${SECRET_MASK}`).length - 1).toBeGreaterThanOrEqual(2);
    expect(segment(text, 't1-with-stack')).toContain(`Error: t1-error ${SECRET_MASK}\n    at `);
    expect(text).toContain(`[Ctx-${SECRET_MASK}] t1-direct`);
    expect(segment(text, 't1-params')).toMatch(/key: '\*{10}'.*pem: '\*{10}'/);
    // Buffered during bootstrap, written through the logger once it was in place.
    expect(text).toMatch(/\[DopplerModule\] Loaded 2 secrets from Doppler/);
    expect(written.mock.calls.some(([message]) => String(message).startsWith('Loaded 2 secrets'))).toBe(true);
    written.mockRestore();
  });

  it('masks in JSON mode too', async () => {
    capture = new OutputCapture().start();
    const running = await start();
    const json = new DopplerLogger(running.get(SecretsService), 'Json', { json: true });
    running.useLogger(json);
    expect(running.get(Careless).leak('t2')).toBe(CANARY);
    json.error('t2-direct', new Error(`t2-direct-error ${CANARY}`).stack, `Ctx-${CANARY}`);
    const text = stripVTControlCharacters(capture.stop());

    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('pem-body-line');
    const records = text
      .split('\n')
      .filter((line) => line.startsWith('{"level"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const find = (message: string): Record<string, unknown> | undefined =>
      records.find((r) => JSON.stringify(r.message).includes(message));
    expect(find('t2-log')).toMatchObject({ level: 'log', message: `t2-log ${SECRET_MASK}` });
    expect(find('t2-fatal')).toMatchObject({ level: 'fatal', message: `t2-fatal ${SECRET_MASK}` });
    expect(find('t2-object')).toMatchObject({
      message: { nested: { key: SECRET_MASK, list: [SECRET_MASK, { pem: SECRET_MASK }] } },
    });
    expect(find('t2-error')).toMatchObject({
      message: `t2-error ${SECRET_MASK}`,
      error: { message: `t2-error ${SECRET_MASK}` },
    });
    expect(String((find('t2-error')?.['error'] as { stack: string }).stack)).toContain(
      `Error: t2-error ${SECRET_MASK}\n    at `,
    );
    expect(find('t2-with-stack')).toMatchObject({ context: 'Careless' });
    expect(String(find('t2-with-stack')?.['stack'])).toContain(`Error: t2-error ${SECRET_MASK}\n    at `);
    expect(find('t2-direct')).toMatchObject({ context: `Ctx-${SECRET_MASK}` });
    expect(String(find('t2-direct')?.['stack'])).toContain(`Error: t2-direct-error ${SECRET_MASK}\n`);
    expect(find('t2-params')).toMatchObject({ params: { key: SECRET_MASK, deep: { pem: SECRET_MASK } } });
  });

  it('keeps up with a refresh: the rotated value is masked once it is current', async () => {
    capture = new OutputCapture().start();
    const running = await start();
    const secrets = running.get<SecretsService<Secrets>>(SecretsService);
    const changed = firstValueFrom(secrets.changes);
    emulator.setSecrets('p', 'dev', { API_KEY: ROTATED, PEM });
    expect(await changed).toMatchObject({ changed: ['API_KEY'], version: 2 });

    const leaked = running.get(Careless).leak('t3');
    expect(secrets.redact(`x ${ROTATED} y`)).toBe(`x ${SECRET_MASK} y`);
    const text = stripVTControlCharacters(capture.stop());

    expect(leaked).toBe(ROTATED);
    expect(text).not.toContain(ROTATED);
    expect(text).toContain(`t3-log ${SECRET_MASK}`);
    expect(text).toContain(`Error: t3-error ${SECRET_MASK}`);
    expect(segment(text, 't3-object')).toMatch(/key: '\*{10}'/);
  });
});
