import { Body, Controller, Get, Post } from '@nestjs/common';
import { SecretsService } from 'nestjs-doppler';
import type { AppSecrets } from './app-secrets.js';
import { PaymentsClient } from './payments.client.js';

@Controller()
export class AppController {
  constructor(
    private readonly secrets: SecretsService<AppSecrets>,
    private readonly payments: PaymentsClient,
  ) {}

  /** Liveness plus where the secrets came from: no value. */
  @Get('health')
  health() {
    const { source, fetchedAt } = this.secrets.metadata;
    const { version, stale } = this.secrets.status;
    return {
      status: 'ok',
      secrets: { source, fetchedAt, version, stale, count: this.secrets.keys().length },
    };
  }

  /** The configuration as the app sees it: names with masks, metadata, version and freshness. */
  @Get('config')
  config() {
    return { ...this.secrets.toJSON(), status: this.secrets.status };
  }

  /** Uses a secret without showing it: the HMAC of the body under the payments key. */
  @Post('payments/signature')
  signature(@Body() body: { payload?: unknown }) {
    const payload = typeof body?.payload === 'string' ? body.payload : '';
    return { signature: this.payments.sign(payload) };
  }
}
