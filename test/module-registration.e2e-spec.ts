import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DopplerModule,
  SecretsService,
  type DopplerModuleOptions,
  type DopplerOptionsFactory,
} from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';

const TOKEN = 'dp.st.prd.registration-token';

class Secrets {
  @IsString()
  API_KEY!: string;
}

const emulator = new DopplerEmulator({
  projects: {
    api: { configs: { prd: { secrets: { API_KEY: 'key-from-doppler', OTHER: 'not declared' } } } },
  },
  tokens: [{ token: TOKEN, project: 'api', config: 'prd' }],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterAll(() => emulator.stop());

@Injectable()
class Consumer {
  constructor(readonly secrets: SecretsService<Secrets>) {}
}

async function keyVia(imports: unknown[], providers: unknown[] = [Consumer]): Promise<string> {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
  }).compile();
  const key = moduleRef.get(Consumer).secrets.get('API_KEY').reveal();
  await moduleRef.close();
  return key;
}

describe('DopplerModule registration', () => {
  it('forRoot with static options', async () => {
    expect(await keyVia([DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets })])).toBe(
      'key-from-doppler',
    );
  });

  it('forRootAsync with useFactory, inject and imports (ConfigService)', async () => {
    const module = DopplerModule.forRootAsync({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ DOPPLER_TOKEN: TOKEN, URL: apiUrl })] }),
      ],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        token: config.getOrThrow<string>('DOPPLER_TOKEN'),
        apiUrl: config.getOrThrow<string>('URL'),
        schema: Secrets,
      }),
    });
    expect(await keyVia([module])).toBe('key-from-doppler');
  });

  it('forRootAsync with an async factory', async () => {
    const module = DopplerModule.forRootAsync({
      useFactory: async () => {
        await new Promise((r) => setTimeout(r, 5));
        return { token: TOKEN, apiUrl, schema: Secrets };
      },
    });
    expect(await keyVia([module])).toBe('key-from-doppler');
  });

  it('forRootAsync with useClass', async () => {
    @Injectable()
    class OptionsFactory implements DopplerOptionsFactory {
      createDopplerOptions(): DopplerModuleOptions {
        return { token: TOKEN, apiUrl, schema: Secrets };
      }
    }
    expect(await keyVia([DopplerModule.forRootAsync({ useClass: OptionsFactory })])).toBe('key-from-doppler');
  });

  it('forRootAsync with useExisting', async () => {
    @Injectable()
    class SharedOptions implements DopplerOptionsFactory {
      createDopplerOptions(): Promise<DopplerModuleOptions> {
        return Promise.resolve({ token: TOKEN, apiUrl, schema: Secrets });
      }
    }
    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class OptionsModule {}
    const module = DopplerModule.forRootAsync({ imports: [OptionsModule], useExisting: SharedOptions });
    expect(await keyVia([module])).toBe('key-from-doppler');
  });

  it('isGlobal makes SecretsService injectable in modules that do not import it', async () => {
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        DopplerModule.forRootAsync({
          useFactory: () => ({ token: TOKEN, apiUrl, schema: Secrets }),
          isGlobal: true,
        }),
        FeatureModule,
      ],
    }).compile();
    expect(moduleRef.get(Consumer).secrets.get('API_KEY').reveal()).toBe('key-from-doppler');
    await moduleRef.close();
  });

  it('without isGlobal, a module that does not import DopplerModule cannot inject it', async () => {
    @Module({ providers: [Consumer] })
    class FeatureModule {}
    await expect(
      Test.createTestingModule({
        imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets }), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/SecretsService/);
  });

  it('exposes only declared keys, and every key without a schema', async () => {
    const withSchema = await Test.createTestingModule({
      imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets })],
    }).compile();
    expect(withSchema.get(SecretsService).keys()).toEqual(['API_KEY']);
    expect(() => withSchema.get(SecretsService).get('OTHER')).toThrow(
      /"OTHER" is not declared by the schema/,
    );
    await withSchema.close();

    const withoutSchema = await Test.createTestingModule({
      imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl })],
    }).compile();
    expect(withoutSchema.get(SecretsService).keys().sort()).toEqual([
      'API_KEY',
      'DOPPLER_CONFIG',
      'DOPPLER_ENVIRONMENT',
      'DOPPLER_PROJECT',
      'OTHER',
    ]);
    await withoutSchema.close();
  });
});
