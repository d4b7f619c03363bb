import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DopplerConfigurationError,
  DopplerLogger,
  DopplerModule,
  getSecretsServiceToken,
  InjectSecrets,
  SecretsService,
} from 'nestjs-doppler';
import { DopplerConfigModule } from 'nestjs-doppler/config';
import { DopplerHealthIndicator } from 'nestjs-doppler/health';
import { createSecretsService, DopplerEmulator } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';

const APP_TOKEN = 'dp.st.prd.app-CANARY-token-01';
const PLATFORM_TOKEN = 'dp.st.prd.platform-CANARY-token-02';
const APP_VALUE = 'app-value-CANARY-1111';
const PLATFORM_VALUE = 'platform-value-CANARY-2222';

class AppSecrets {
  @IsString()
  APP_KEY!: string;
}

class PlatformSecrets {
  @IsString()
  SHARED_KEY!: string;
}

const emulator = new DopplerEmulator({
  projects: {
    shop: { configs: { prd: { secrets: { APP_KEY: APP_VALUE } } } },
    platform: { configs: { prd: { secrets: { SHARED_KEY: PLATFORM_VALUE } } } },
  },
  tokens: [
    { token: APP_TOKEN, project: 'shop', config: 'prd' },
    { token: PLATFORM_TOKEN, project: 'platform', config: 'prd' },
  ],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(() => emulator.clearFaults());
afterAll(() => emulator.stop());

@Injectable()
class Reader {
  constructor(
    readonly own: SecretsService<AppSecrets>,
    @InjectSecrets('platform') readonly platform: SecretsService<PlatformSecrets>,
  ) {}
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly doppler: DopplerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  all() {
    return this.health.check([() => this.doppler.isHealthy('doppler', { maxAgeMs: 0 })]);
  }
}

function registrations() {
  return [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    DopplerModule.forRoot({ token: APP_TOKEN, apiUrl, schema: AppSecrets, isGlobal: true }),
    DopplerModule.forRootAsync({
      name: 'platform',
      isGlobal: true,
      useFactory: () => ({ token: PLATFORM_TOKEN, apiUrl, schema: PlatformSecrets }),
    }),
  ];
}

describe('several DopplerModule registrations in one app', () => {
  it('each is injected by its name, with its own source and schema', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: registrations(),
      providers: [Reader],
    }).compile();
    const reader = moduleRef.get(Reader);
    expect(reader.own.get('APP_KEY').reveal()).toBe(APP_VALUE);
    expect(reader.own.metadata.project).toBe('shop');
    expect(reader.platform.get('SHARED_KEY').reveal()).toBe(PLATFORM_VALUE);
    expect(reader.platform.metadata.project).toBe('platform');
    expect(moduleRef.get(getSecretsServiceToken('platform'))).toBe(reader.platform);
    await moduleRef.close();
  });

  it('a named registration is overridden in a test by its token, with no token or network', async () => {
    emulator.resetRequests();
    const moduleRef = await Test.createTestingModule({ imports: registrations(), providers: [Reader] })
      .overrideProvider(SecretsService)
      .useValue(createSecretsService({ schema: AppSecrets, values: { APP_KEY: 'test-app' } }))
      .overrideProvider(getSecretsServiceToken('platform'))
      .useValue(createSecretsService({ schema: PlatformSecrets, values: { SHARED_KEY: 'test-platform' } }))
      .compile();
    expect(moduleRef.get(Reader).platform.get('SHARED_KEY').reveal()).toBe('test-platform');
    expect(emulator.requestCount).toBe(0);
    await moduleRef.close();
  });

  it('the redacting logger masks the values of every registration', async () => {
    @Module({ imports: registrations(), providers: [DopplerLogger] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { bufferLogs: true });
    const output = new OutputCapture().start();
    try {
      const logger = app.get(DopplerLogger);
      logger.log(`app ${APP_VALUE} and platform ${PLATFORM_VALUE}`);
      logger.error(new Error(`failed with ${PLATFORM_VALUE}`));
    } finally {
      output.stop();
      await app.close();
    }
    expect(output.text).toContain('app ********** and platform **********');
    expect(output.text).not.toContain(APP_VALUE);
    expect(output.text).not.toContain(PLATFORM_VALUE);
  });

  it('the health check judges every registration, and is down when a named one is stale', async () => {
    @Module({
      imports: [...registrations(), TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [DopplerHealthIndicator],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
    try {
      const up = await request(app.getHttpServer()).get('/health').expect(200);
      expect(up.body.details.doppler).toMatchObject({
        status: 'up',
        source: 'doppler-api',
        instances: { platform: { stale: false } },
      });
      emulator.setFault({ kind: 'status', status: 503 });
      const platform = app.get<SecretsService<PlatformSecrets>>(getSecretsServiceToken('platform'));
      expect(await platform.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_SERVER_ERROR' });
      const down = await request(app.getHttpServer()).get('/health').expect(503);
      expect(down.body.details.doppler).toMatchObject({
        status: 'down',
        stale: false,
        instances: { platform: { stale: true, lastFailureCode: 'DOPPLER_SERVER_ERROR' } },
      });
      expect(down.body.details.doppler.message).toMatch(/"platform" are stale/);
      expect(JSON.stringify(down.body)).not.toContain(PLATFORM_VALUE);
    } finally {
      await app.close();
    }
  });

  it('the ConfigService bridge registers each registration under its own namespace', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ...registrations(),
        DopplerConfigModule.forRoot(),
        DopplerConfigModule.forRoot({ instance: 'platform', namespace: 'platform' }),
      ],
    }).compile();
    await moduleRef.init();
    const config = moduleRef.get(ConfigService);
    expect(String(config.get('doppler.APP_KEY'))).toBe('**********');
    expect((config.get('platform.SHARED_KEY') as { reveal(): string }).reveal()).toBe(PLATFORM_VALUE);
    await moduleRef.close();
  });

  it('refuses a name registered twice, and a name that is not a plain name', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          DopplerModule.forRoot({ name: 'platform', token: PLATFORM_TOKEN, apiUrl }),
          DopplerModule.forRoot({ name: 'platform', token: PLATFORM_TOKEN, apiUrl }),
        ],
      }).compile(),
    ).rejects.toThrow(/registered twice with the name "platform"/);
    expect(() => DopplerModule.forRoot({ name: 'not a name', token: APP_TOKEN })).toThrow(
      DopplerConfigurationError,
    );
  });
});
