import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DopplerLogger, SecretsService } from 'nestjs-doppler';
import type { Server } from 'node:http';
import { relative } from 'node:path';
import { AppModule } from './app.module.js';
import { startDemoEmulator } from './demo-emulator.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('SampleApp');
  let stopEmulator: (() => Promise<void>) | undefined;

  const underDopplerRun = Boolean(process.env['DOPPLER_PROJECT'] && process.env['DOPPLER_CONFIG']);
  if (!process.env['DOPPLER_TOKEN'] && !underDopplerRun) {
    const demo = await startDemoEmulator();
    process.env['DOPPLER_TOKEN'] = demo.token;
    process.env['DOPPLER_API_URL'] = demo.url;
    stopEmulator = () => demo.emulator.stop();
    logger.warn(
      `No DOPPLER_TOKEN given: using the bundled Doppler emulator at ${demo.url} with demo secrets from ${relative(process.cwd(), demo.seedPath)} ` +
        '(edit that file while the app runs: GET /config shows a new version). Set DOPPLER_TOKEN to a service token to use the real Doppler API.',
    );
  }

  // rawBody: the Doppler webhook's signature is checked over the exact bytes received.
  // bufferLogs: bootstrap lines wait for the masking logger instead of going out unmasked.
  const app = await NestFactory.create(AppModule, { rawBody: true, bufferLogs: true });
  // Every line from here on (and the buffered ones) has the current secret values masked.
  app.useLogger(new DopplerLogger(app.get(SecretsService)));
  app.enableShutdownHooks();
  if (stopEmulator) {
    const stop = stopEmulator;
    // The demo emulator lives as long as the app: closed on shutdown (SIGINT/SIGTERM).
    process.once('beforeExit', () => void stop());
    (app.getHttpServer() as Server).once('close', () => void stop());
  }
  const port = Number(process.env['HTTP_PORT'] ?? 3000);
  await app.listen(port, '127.0.0.1');
  logger.log(
    `Sample app listening on ${await app.getUrl()} (try GET /health, GET /health/doppler and GET /config)`,
  );
}

void bootstrap();
