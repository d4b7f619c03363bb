import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerModule, SecretsService } from 'nestjs-doppler';
import { createSecretsService, useDopplerEmulator } from 'nestjs-doppler/testing';
import { AppModule } from '../sample-app/src/app.module.js';
import { AppSecrets } from '../sample-app/src/app-secrets.js';

const doppler = useDopplerEmulator(
  {
    projects: {
      shop: {
        configs: {
          dev: {
            secrets: {
              DATABASE_URL: 'postgres://db/shop',
              DATABASE_POOL_SIZE: '3',
              PAYMENTS_API_KEY: 'key-0123456789abcdef',
              SESSION_SECRET: 'session-0123456789abcdef0123',
            },
          },
        },
      },
    },
    tokens: [{ token: 'dp.st.dev.helper', project: 'shop', config: 'dev' }],
  },
  { beforeAll, afterAll },
);

describe('testing helpers', () => {
  it('useDopplerEmulator starts the emulator for the file and gives module options', async () => {
    expect(doppler.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const moduleRef = await Test.createTestingModule({
      imports: [DopplerModule.forRoot({ ...doppler.moduleOptions(), schema: AppSecrets })],
    }).compile();
    expect(moduleRef.get<SecretsService<AppSecrets>>(SecretsService).get('DATABASE_POOL_SIZE').reveal()).toBe(
      3,
    );
    expect(doppler.emulator.requestCount).toBe(1);
    await moduleRef.close();
  });

  it('createSecretsService is a one-liner override for the whole AppModule', async () => {
    const before = doppler.emulator.requestCount;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(SecretsService)
      .useValue(
        createSecretsService({
          schema: AppSecrets,
          values: {
            DATABASE_URL: 'postgres://t/t',
            DATABASE_POOL_SIZE: '1',
            PAYMENTS_API_KEY: 'test-key-0123456789',
            SESSION_SECRET: 'test-session-0123456789abcdef',
          },
        }),
      )
      .compile();
    expect(moduleRef.get<SecretsService<AppSecrets>>(SecretsService).metadata.source).toBe('static');
    expect(doppler.emulator.requestCount).toBe(before);
    await moduleRef.close();
  });

  it('refuses to run without hooks', () => {
    expect(() =>
      useDopplerEmulator(
        { projects: {}, tokens: [{ token: 'dp.pt.x' }] },
        { beforeAll: undefined, afterAll: undefined },
      ),
    ).toThrow(/needs the test runner's hooks/);
  });
});
