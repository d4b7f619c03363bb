import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsString } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerModule, SecretsService, type SecretsChange } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { withPipelineDeps } from './support/pipeline-deps.js';
import { waitFor } from './support/wait-for.js';

const TOKEN = 'dp.st.dev.watch-e2e-token-1';

class Secrets {
  @IsString()
  API_KEY!: string;
}

const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: { API_KEY: 'key-1' } } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterAll(() => emulator.stop());

describe('DopplerModule with refresh.watch', () => {
  it('keeps the stream open from bootstrap to shutdown and applies a pushed change', async () => {
    // Real time, with the jitter source at 0: the re-download after an event comes at once
    // instead of at a random point of the 2 s spread window (a second of real waiting on average).
    const registration = DopplerModule.forRoot({
      token: TOKEN,
      apiUrl,
      schema: Secrets,
      refresh: { watch: true },
    });
    @Module({ imports: [withPipelineDeps(registration, { random: () => 0 })] })
    class AppModule {}
    const app: INestApplication = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.init();
    const secrets = app.get<SecretsService<Secrets>>(SecretsService);
    try {
      await waitFor('the stream', () => secrets.status.channel?.kind === 'stream');
      expect(secrets.status.stream?.state).toBe('live');
      const next = firstValueFrom(secrets.changes);
      emulator.setSecret('p', 'dev', 'API_KEY', 'key-2');
      const change: SecretsChange = await next;
      expect(change.changed).toEqual(['API_KEY']);
      expect(secrets.get('API_KEY').reveal()).toBe('key-2');
    } finally {
      await app.close();
    }
    await waitFor('the stream to close', () => emulator.watcherCount === 0);
  });
});
