import { ConsoleLogger, Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsString } from 'class-validator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DopplerModule,
  getSecretsServiceToken,
  InjectSecrets,
  OnSecretsChange,
  SecretsService,
  type SecretsChange,
} from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';

const TOKEN = 'dp.st.dev.change-handlers';
const PLATFORM = 'dp.st.prd.change-handlers-platform';

class Secrets {
  @IsString()
  DATABASE_URL!: string;

  @IsString()
  API_KEY!: string;
}

class PlatformSecrets {
  @IsString()
  SHARED!: string;
}

const initial = { DATABASE_URL: 'postgres://db/one', API_KEY: 'api-key-value-0001' };
const emulator = new DopplerEmulator({
  projects: {
    shop: { configs: { dev: { secrets: initial } } },
    platform: { configs: { prd: { secrets: { SHARED: 'shared-value-0001' } } } },
  },
  tokens: [
    { token: TOKEN, project: 'shop', config: 'dev' },
    { token: PLATFORM, project: 'platform', config: 'prd' },
  ],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterEach(() => {
  emulator.setSecrets('shop', 'dev', initial);
  emulator.setSecrets('platform', 'prd', { SHARED: 'shared-value-0001' });
});
afterAll(() => emulator.stop());

let release: () => void = () => undefined;

@Injectable()
class Handlers {
  readonly calls: string[] = [];
  readonly seen: { version: number; url: string }[] = [];

  constructor(
    private readonly secrets: SecretsService<Secrets>,
    @InjectSecrets('platform') private readonly platform: SecretsService<PlatformSecrets>,
  ) {}

  @OnSecretsChange('DATABASE_URL')
  onDatabase(change: SecretsChange): void {
    this.calls.push(`database:${change.changed.join(',')}`);
    // The new value is already served when the handler runs.
    this.seen.push({ version: change.version, url: this.secrets.get('DATABASE_URL').reveal() });
  }

  @OnSecretsChange()
  async onAny(change: SecretsChange): Promise<void> {
    this.calls.push(`any:${change.version}`);
    if (change.changed.includes('API_KEY')) await new Promise<void>((resolve) => (release = resolve));
  }

  @OnSecretsChange('API_KEY')
  failing(): Promise<void> {
    this.calls.push('failing');
    return Promise.reject(new Error(`cannot use ${this.secrets.get('API_KEY').reveal()}`));
  }

  @OnSecretsChange({ instance: 'platform' })
  onPlatform(change: SecretsChange): void {
    this.calls.push(`platform:${change.changed.join(',')}:${this.platform.get('SHARED').reveal()}`);
  }
}

async function boot() {
  @Module({
    imports: [
      DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, isGlobal: true }),
      DopplerModule.forRoot({
        name: 'platform',
        token: PLATFORM,
        apiUrl,
        schema: PlatformSecrets,
        isGlobal: true,
      }),
    ],
    providers: [Handlers],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  return {
    app,
    handlers: app.get(Handlers),
    secrets: app.get<SecretsService<Secrets>>(SecretsService),
    platform: app.get<SecretsService<PlatformSecrets>>(getSecretsServiceToken('platform')),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('@OnSecretsChange', () => {
  it('calls the handlers whose keys changed, after the change is served, with names only', async () => {
    const { app, handlers, secrets } = await boot();
    try {
      emulator.setSecret('shop', 'dev', 'DATABASE_URL', 'postgres://db/two');
      expect(await secrets.refresh()).toMatchObject({ kind: 'changed' });
      await settle();
      expect(handlers.calls).toEqual(['database:DATABASE_URL', 'any:2']);
      expect(handlers.seen).toEqual([{ version: 2, url: 'postgres://db/two' }]);
    } finally {
      await app.close();
    }
  });

  it('a rejecting handler is logged, masked, and stops neither the others nor the refresher', async () => {
    const { app, handlers, secrets } = await boot();
    Logger.overrideLogger(new ConsoleLogger({ colors: false }));
    const output = new OutputCapture().start();
    try {
      emulator.setSecret('shop', 'dev', 'API_KEY', 'api-key-value-0002');
      await secrets.refresh();
      await settle();
      release();
      await settle();
      expect(handlers.calls).toContain('failing');
      expect(handlers.calls).toContain('any:2');
      emulator.setSecret('shop', 'dev', 'DATABASE_URL', 'postgres://db/three');
      expect(await secrets.refresh()).toMatchObject({ kind: 'changed' });
    } finally {
      output.stop();
      Logger.overrideLogger(false);
      await app.close();
    }
    expect(output.text).toMatch(
      /@OnSecretsChange handler Handlers\.failing failed: Error: cannot use \*{10}/,
    );
    expect(output.text).not.toContain('api-key-value-0002');
  });

  it('the handlers of one change finish before the next is delivered; changes meanwhile are merged', async () => {
    const { app, handlers, secrets } = await boot();
    try {
      emulator.setSecret('shop', 'dev', 'API_KEY', 'api-key-value-0003');
      await secrets.refresh(); // onAny now waits for release()
      await settle();
      emulator.setSecret('shop', 'dev', 'DATABASE_URL', 'postgres://db/four');
      await secrets.refresh();
      emulator.setSecret('shop', 'dev', 'DATABASE_URL', 'postgres://db/five');
      await secrets.refresh();
      await settle();
      expect(handlers.calls.filter((c) => c.startsWith('database'))).toEqual([]);
      release();
      await settle();
      // Versions 3 and 4 arrived while version 2's handlers ran: one merged delivery.
      expect(handlers.calls.filter((c) => c.startsWith('database'))).toEqual(['database:DATABASE_URL']);
      expect(handlers.seen).toEqual([{ version: 4, url: 'postgres://db/five' }]);
    } finally {
      release();
      await app.close();
    }
  });

  it('follows a named registration', async () => {
    const { app, handlers, platform } = await boot();
    try {
      emulator.setSecret('platform', 'prd', 'SHARED', 'shared-value-0002');
      await platform.refresh();
      await settle();
      expect(handlers.calls).toEqual(['platform:SHARED:shared-value-0002']);
    } finally {
      await app.close();
    }
  });

  it('finds a handler a provider inherits from its base class', async () => {
    class RotatingBase {
      readonly rotations: string[] = [];

      @OnSecretsChange('API_KEY')
      rotate(change: SecretsChange): void {
        this.rotations.push(`${this.constructor.name}:${change.changed.join(',')}`);
      }
    }
    @Injectable()
    class RotatingClient extends RotatingBase {}

    @Module({
      imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets })],
      providers: [RotatingClient],
    })
    class InheritingModule {}
    const app = await NestFactory.createApplicationContext(InheritingModule, { logger: false });
    try {
      emulator.setSecret('shop', 'dev', 'API_KEY', 'api-key-value-0004');
      expect(await app.get(SecretsService).refresh()).toMatchObject({ kind: 'changed' });
      await settle();
      expect(app.get(RotatingClient).rotations).toEqual(['RotatingClient:API_KEY']);
    } finally {
      await app.close();
    }
  });
});
