import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_MASK, SecretsService } from 'nestjs-doppler';
import { createSecretsService, DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';
import { AppModule } from '../sample-app/src/app.module.js';
import { AppSecrets } from '../sample-app/src/app-secrets.js';
import { useDopplerEnv } from './support/doppler-env.js';

const seedPath = fileURLToPath(new URL('../sample-app/demo-secrets.json', import.meta.url));
const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as EmulatorSeed;
const demoSecrets = seed.projects['sample-app']?.configs['dev']?.secrets ?? {};
const demoToken = seed.tokens?.[0]?.token ?? '';

describe('sample app against the emulator', () => {
  const emulator = DopplerEmulator.fromFile(seedPath);
  let app: INestApplication;
  let restoreEnv: () => void;

  beforeAll(async () => {
    const url = await emulator.start();
    restoreEnv = useDopplerEnv({ DOPPLER_TOKEN: demoToken, DOPPLER_API_URL: url });
    process.env['DOPPLER_REFRESH_INTERVAL_MS'] = '100';
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await emulator.stop();
    restoreEnv();
    delete process.env['DOPPLER_REFRESH_INTERVAL_MS'];
  });

  it('fetched the secrets with the service token', () => {
    expect(emulator.requests[0]).toMatchObject({ auth: 'bearer', tokenKind: 'service', status: 200 });
  });

  it('GET /health reports where the secrets came from', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', secrets: { source: 'doppler-api', count: 5 } });
    expect(new Date(res.body.secrets.fetchedAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('GET /config shows names with masks and metadata, never a value', async () => {
    const res = await request(app.getHttpServer()).get('/config').expect(200);
    expect(res.body.metadata).toMatchObject({
      project: 'sample-app',
      config: 'dev',
      environment: 'dev',
      source: 'doppler-api',
    });
    expect(res.body.metadata.etag).toMatch(/^".+"$/);
    expect(res.body.secrets).toEqual({
      DATABASE_URL: SECRET_MASK,
      DATABASE_POOL_SIZE: SECRET_MASK,
      PAYMENTS_API_KEY: SECRET_MASK,
      SESSION_SECRET: SECRET_MASK,
      LOG_LEVEL: SECRET_MASK,
    });
    for (const value of Object.values(demoSecrets).filter((v) => v.length > 3)) {
      expect(res.text).not.toContain(value);
    }
  });

  it('a provider reveals a secret only at its call site', async () => {
    const res = await request(app.getHttpServer())
      .post('/payments/signature')
      .send({ payload: 'order-42' })
      .expect(201);
    const expected = createHmac('sha256', demoSecrets['PAYMENTS_API_KEY'] ?? '')
      .update('order-42')
      .digest('hex');
    expect(res.body).toEqual({ signature: expected });
  });

  it('a secret changed in Doppler shows on GET /config as a new version, without a restart', async () => {
    const before = await request(app.getHttpServer()).get('/config').expect(200);
    expect(before.body.status).toMatchObject({ stale: false });
    const version = before.body.status.version as number;
    emulator.setSecret('sample-app', 'dev', 'PAYMENTS_API_KEY', 'sk_demo_rotated_0123456789');
    let after = before;
    for (let i = 0; i < 100 && (after.body.status.version as number) === version; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await request(app.getHttpServer()).get('/config').expect(200);
    }
    expect(after.body.status.version).toBe(version + 1);
    expect(after.body.secrets.PAYMENTS_API_KEY).toBe(SECRET_MASK);
    expect(after.text).not.toContain('sk_demo_rotated');
    const signed = await request(app.getHttpServer())
      .post('/payments/signature')
      .send({ payload: 'p' })
      .expect(201);
    expect(signed.body.signature).toBe(
      createHmac('sha256', 'sk_demo_rotated_0123456789').update('p').digest('hex'),
    );
    // Back to the demo key, served again, for the tests that sign with it (in any order).
    emulator.setSecret('sample-app', 'dev', 'PAYMENTS_API_KEY', demoSecrets['PAYMENTS_API_KEY'] ?? '');
    for (let i = 0; i < 100 && (after.body.status.version as number) === version + 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await request(app.getHttpServer()).get('/config').expect(200);
    }
    expect(after.body.status.version).toBe(version + 2);
  });

  it('types values as the schema declares them', () => {
    const secrets = app.get<SecretsService<AppSecrets>>(SecretsService);
    const pool: number = secrets.get('DATABASE_POOL_SIZE').reveal();
    expect(pool).toBe(5);
    expect(secrets.has('DOPPLER_PROJECT')).toBe(false);
  });
});

describe('sample app with SecretsService overridden', () => {
  const emulator = DopplerEmulator.fromFile(seedPath);
  let app: INestApplication | undefined;
  let restoreEnv: () => void;

  beforeAll(async () => {
    await emulator.start();
    // No token at all: the options factory (which calls getOrThrow) must never run.
    restoreEnv = useDopplerEnv({});
  });

  afterEach(async () => {
    await app?.close();
  });

  afterAll(async () => {
    await emulator.stop();
    restoreEnv();
  });

  it('boots with no token and no network, from plain validated values', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(SecretsService)
      .useValue(
        createSecretsService({
          schema: AppSecrets,
          values: {
            DATABASE_URL: 'postgres://test@localhost/test',
            DATABASE_POOL_SIZE: '2',
            PAYMENTS_API_KEY: 'test-key-0123456789',
            SESSION_SECRET: 'test-session-secret-0123456789',
          },
        }),
      )
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();

    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.secrets).toMatchObject({ source: 'static', count: 4 });
    const signed = await request(app.getHttpServer())
      .post('/payments/signature')
      .send({ payload: 'p' })
      .expect(201);
    expect(signed.body.signature).toBe(createHmac('sha256', 'test-key-0123456789').update('p').digest('hex'));
    expect(emulator.requestCount).toBe(0);
  });

  it('refuses test values that production would refuse', () => {
    expect(() => createSecretsService({ schema: AppSecrets, values: { DATABASE_URL: 'not-a-url' } })).toThrow(
      /DATABASE_URL: must be a URL address; DATABASE_POOL_SIZE: is missing/,
    );
  });
});
