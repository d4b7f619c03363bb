import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsService } from 'nestjs-doppler';
import { DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';
import { DOPPLER_PIPELINE_DEPS } from '../lib/doppler.constants.js';
import { AppModule } from '../sample-app/src/app.module.js';
import { useDopplerEnv } from './support/doppler-env.js';
import { FakeClock } from './support/fake-clock.js';
import { advanceOnFakeTime } from './support/on-fake-time.js';

const seedPath = fileURLToPath(new URL('../sample-app/demo-secrets.json', import.meta.url));
const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as EmulatorSeed;
const demoSecrets = seed.projects['sample-app']?.configs['dev']?.secrets ?? {};
const demoToken = seed.tokens?.[0]?.token ?? '';
const EXTRA_ENV = { DOPPLER_REFRESH_INTERVAL_MS: '100', DOPPLER_HEALTH_MAX_AGE_MS: '300' };

describe('sample app: GET /health/doppler (Terminus)', () => {
  const emulator = DopplerEmulator.fromFile(seedPath);
  let app: INestApplication;
  let restoreEnv: () => void;
  // The refresh timer and the age the check judges run on fake time; the first check comes at
  // half the interval (50 ms), then 200 ms and 400 ms after failures.
  const clock = new FakeClock();

  beforeAll(async () => {
    const url = await emulator.start();
    restoreEnv = useDopplerEnv({ DOPPLER_TOKEN: demoToken, DOPPLER_API_URL: url });
    Object.assign(process.env, EXTRA_ENV);
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    })
      // The app module is imported whole: its registration's dependencies are overridden.
      .overrideProvider(DOPPLER_PIPELINE_DEPS)
      .useValue({ clock, random: () => 0.5 })
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await emulator.stop();
    restoreEnv();
    for (const key of Object.keys(EXTRA_ENV)) delete process.env[key];
  });

  const noValueIn = (text: string) => {
    for (const value of Object.values(demoSecrets).filter((v) => v.length > 3)) {
      expect(text).not.toContain(value);
    }
  };

  it('is 200 and up while Doppler answers; GET /health keeps its own contract', async () => {
    const res = await request(app.getHttpServer()).get('/health/doppler').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      details: { doppler: { status: 'up', source: 'doppler-api', stale: false, maxAgeMs: 300 } },
    });
    noValueIn(res.text);
    const plain = await request(app.getHttpServer()).get('/health').expect(200);
    expect(plain.body).toMatchObject({ status: 'ok', secrets: { source: 'doppler-api' } });
  });

  it('is 503 once refreshes have failed for longer than DOPPLER_HEALTH_MAX_AGE_MS', async () => {
    const secrets = app.get(SecretsService);
    emulator.setFault({ kind: 'status', status: 503 });
    const start = clock.now();
    try {
      // Failed checks at 50 and 250 ms; at 301 ms the set is older than the 300 ms limit.
      await advanceOnFakeTime(clock, 300);
      await request(app.getHttpServer()).get('/health/doppler').expect(200);
      await advanceOnFakeTime(clock, 1);
      expect(secrets.status).toMatchObject({ stale: true, ageMs: 301 });
      const res = await request(app.getHttpServer()).get('/health/doppler').expect(503);
      expect(res.body.error.doppler).toMatchObject({
        status: 'down',
        stale: true,
        lastFailureCode: 'DOPPLER_SERVER_ERROR',
      });
      noValueIn(res.text);
    } finally {
      emulator.clearFaults();
    }
    // The next check, at 650 ms, succeeds.
    await advanceOnFakeTime(clock, start + 650 - clock.now());
    expect(secrets.status.stale).toBe(false);
    await request(app.getHttpServer()).get('/health/doppler').expect(200);
  });
});
