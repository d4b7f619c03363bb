import { Injectable, type INestApplication, Module, type OnModuleInit } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MinLength } from 'class-validator';
import { inspect } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  DopplerModule,
  Secret,
  SECRET_MASK,
  SecretsService,
  type DopplerModuleOptions,
} from 'nestjs-doppler';
import {
  DopplerConfigModule,
  type DopplerConfig,
  type DopplerConfigModuleOptions,
} from 'nestjs-doppler/config';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { waitFor } from './support/wait-for.js';

const TOKEN = 'dp.st.dev.config-token-1';
const INITIAL = {
  API_KEY: 'canary-config-api-key-0001',
  POOL: '5',
  REGION: 'canary-config-region-0002',
};

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;

  @Type(() => Number)
  @IsInt()
  POOL!: number;

  @IsOptional()
  @IsString()
  REGION?: string;

  @IsOptional()
  @IsString()
  FEATURE_FLAG_KEY?: string;
}

type AppConfig = { APP_NAME: string } & DopplerConfig<Secrets>;

/** Reads through ConfigService the way an app would, from its own onModuleInit. */
@Injectable()
class Consumer implements OnModuleInit {
  seenAtInit: Secret<string> | undefined;

  constructor(readonly config: ConfigService<AppConfig, true>) {}

  onModuleInit(): void {
    this.seenAtInit = this.config.get('doppler.API_KEY', { infer: true });
  }
}

const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: INITIAL } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';
let app: INestApplication | undefined;

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  emulator.setSecrets('p', 'dev', INITIAL);
});
afterAll(async () => {
  await emulator.stop();
});

async function start(
  options: Partial<DopplerModuleOptions> = {},
  configOptions?: DopplerConfigModuleOptions,
): Promise<{ config: ConfigService<AppConfig, true>; secrets: SecretsService<Secrets>; consumer: Consumer }> {
  @Module({
    imports: [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        load: [() => ({ APP_NAME: 'config-e2e' })],
      }),
      DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, ...options, isGlobal: true }),
      DopplerConfigModule.forRoot(configOptions),
    ],
    providers: [Consumer],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.init();
  return {
    config: app.get<ConfigService<AppConfig, true>>(ConfigService),
    secrets: app.get<SecretsService<Secrets>>(SecretsService),
    consumer: app.get(Consumer),
  };
}

/** Everything a log line or a debugger could show of ConfigService, its configuration included. */
function everyRendering(config: ConfigService<AppConfig, true>): string {
  const internal = (config as unknown as { internalConfig: unknown }).internalConfig;
  return [
    inspect(config, { depth: 10, showHidden: true, getters: true }),
    inspect(internal, { depth: 10, showHidden: true, getters: true }),
    inspect(internal, { depth: 10 }),
    JSON.stringify(internal),
    String(config.get('doppler', { infer: true }).API_KEY),
  ].join('\n');
}

describe('Doppler secrets through ConfigService', () => {
  it('reads each secret as a masked Secret under doppler.*, the same one SecretsService holds', async () => {
    const { config, secrets, consumer } = await start();

    const apiKey = config.get('doppler.API_KEY', { infer: true });
    expectTypeOf(apiKey).toEqualTypeOf<Secret<string>>();
    expect(apiKey).toBeInstanceOf(Secret);
    expect(apiKey).toBe(secrets.get('API_KEY'));
    expect(String(apiKey)).toBe(SECRET_MASK);
    expect(`${apiKey}`).toBe(SECRET_MASK);
    expect(apiKey.reveal()).toBe(INITIAL.API_KEY);

    const pool = config.getOrThrow('doppler.POOL', { infer: true });
    expectTypeOf(pool).toEqualTypeOf<Secret<number>>();
    expect(pool.reveal()).toBe(5);

    // The app's own configuration is untouched beside the namespace.
    expect(config.get('APP_NAME', { infer: true })).toBe('config-e2e');
    // An optional key Doppler does not send is absent, not a string.
    expect(config.get('doppler.FEATURE_FLAG_KEY', { infer: true })).toBeUndefined();
    // Available to other providers from their onModuleInit on.
    expect(consumer.seenAtInit?.reveal()).toBe(INITIAL.API_KEY);
    // Nothing leaks into process.env (ConfigService.set() would have written there).
    expect(Object.keys(process.env).filter((k) => k.startsWith('doppler'))).toEqual([]);
  });

  it('printing ConfigService and its whole configuration shows masks, never a value', async () => {
    const { config } = await start();
    const printed = everyRendering(config);
    for (const value of Object.values(INITIAL).filter((v) => v.length > 3)) {
      expect(printed).not.toContain(value);
    }
    expect(printed).toContain(SECRET_MASK);
    // Plain console.log / inspect shows the names with masks, not `[Getter]`.
    expect(inspect(config.get('doppler', { infer: true }), { breakLength: Infinity })).toBe(
      `{ API_KEY: Secret(${SECRET_MASK}), POOL: Secret(${SECRET_MASK}), REGION: Secret(${SECRET_MASK}) }`,
    );
    expect(inspect(config)).toContain(`API_KEY: Secret(${SECRET_MASK})`);
    expect(JSON.parse(JSON.stringify(config.get('doppler', { infer: true })))).toEqual({
      API_KEY: SECRET_MASK,
      POOL: SECRET_MASK,
      REGION: SECRET_MASK,
    });
  });

  it('follows a refresh: changed values, added and removed keys', async () => {
    const { config, secrets } = await start({ refresh: { interval: 100, jitter: 0 } });
    expect(config.get('doppler.REGION', { infer: true })?.reveal()).toBe(INITIAL.REGION);

    const next = firstValueFrom(secrets.changes);
    emulator.setSecrets('p', 'dev', {
      API_KEY: 'canary-config-api-key-rotated',
      POOL: '7',
      FEATURE_FLAG_KEY: 'canary-config-flag-0003',
    });
    const change = await next;
    expect(change).toMatchObject({
      changed: ['API_KEY', 'POOL'],
      added: ['FEATURE_FLAG_KEY'],
      removed: ['REGION'],
    });

    expect(config.get('doppler.API_KEY', { infer: true }).reveal()).toBe('canary-config-api-key-rotated');
    expect(config.get('doppler.POOL', { infer: true }).reveal()).toBe(7);
    expect(config.get('doppler.FEATURE_FLAG_KEY', { infer: true })?.reveal()).toBe('canary-config-flag-0003');
    expect(config.get('doppler.REGION', { infer: true })).toBeUndefined();
    expect(Object.keys(config.get('doppler', { infer: true })).sort()).toEqual([
      'API_KEY',
      'FEATURE_FLAG_KEY',
      'POOL',
    ]);
    expect(everyRendering(config)).not.toContain('canary-config-api-key-rotated');
  });

  it('a refresh is visible in ConfigService within one interval, with no subscription of its own', async () => {
    const { config } = await start({ refresh: { interval: 100, jitter: 0 } });
    emulator.setSecrets('p', 'dev', { ...INITIAL, API_KEY: 'canary-config-api-key-polled' });
    await waitFor('the rotated value in ConfigService', () => {
      return config.get('doppler.API_KEY', { infer: true }).reveal() === 'canary-config-api-key-polled';
    });
  });

  it('uses another namespace when asked', async () => {
    const { config } = await start({}, { namespace: 'secrets' });
    const untyped = config as unknown as ConfigService;
    expect((untyped.get('secrets.API_KEY') as Secret<string>).reveal()).toBe(INITIAL.API_KEY);
    expect(untyped.get('doppler.API_KEY')).toBeUndefined();
  });

  it.each(['', 'a.b', 'x[0]', '1abc', 'with space'])('refuses the namespace %j', (namespace) => {
    expect(() => DopplerConfigModule.forRoot({ namespace })).toThrow(/namespace must be a plain name/);
  });
});
