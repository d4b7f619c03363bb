import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { createDopplerWebhookController, DopplerModule, type DopplerWebhookOptions } from 'nestjs-doppler';
import { DopplerHealthIndicator } from 'nestjs-doppler/health';
import { AppController } from './app.controller.js';
import { AppSecrets } from './app-secrets.js';
import { HealthController } from './health.controller.js';
import { PaymentsClient } from './payments.client.js';

@Module({
  imports: [
    ConfigModule.forRoot(),
    DopplerModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        // With a token: fetched from the API. Without one, under `doppler run`: read from the
        // environment (source 'auto'), through the same schema and masking.
        token: config.get<string>('DOPPLER_TOKEN'),
        schema: AppSecrets,
        // Optional: only needed for tokens that are not service tokens, or for the emulator.
        project: config.get<string>('DOPPLER_PROJECT'),
        config: config.get<string>('DOPPLER_CONFIG'),
        apiUrl: config.get<string>('DOPPLER_API_URL'),
        // Rotated secrets reach the running app: checked every 30 s (a 304 when nothing changed).
        refresh: { interval: Number(config.get<string>('DOPPLER_REFRESH_INTERVAL_MS') ?? 30_000) },
        // Doppler's webhook makes it immediate, when a signing secret is configured.
        webhook: webhookOptions(config.get<string>('DOPPLER_WEBHOOK_SECRET')),
      }),
      isGlobal: true,
    }),
    // GET /health/doppler: a Terminus check of the secrets' freshness (see health.controller.ts).
    TerminusModule.forRoot(),
  ],
  controllers: [AppController, HealthController, createDopplerWebhookController('webhooks/doppler')],
  providers: [PaymentsClient, DopplerHealthIndicator],
})
export class AppModule {}

function webhookOptions(secret: string | undefined): DopplerWebhookOptions | undefined {
  return secret ? { secret } : undefined;
}
