import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { SecretsService } from 'nestjs-doppler';
import type { AppSecrets } from './app-secrets.js';

/**
 * Stands for any client that needs a credential: it holds the masked secret and reveals
 * it only inside the call that uses it.
 */
@Injectable()
export class PaymentsClient {
  constructor(private readonly secrets: SecretsService<AppSecrets>) {}

  /** Signs a payload the way a payments provider's webhook would check it. */
  sign(payload: string): string {
    const key = this.secrets.get('PAYMENTS_API_KEY').reveal();
    return createHmac('sha256', key).update(payload).digest('hex');
  }
}
