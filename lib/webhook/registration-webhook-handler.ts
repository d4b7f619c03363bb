import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { RefresherRef } from '../refresh/refresher-ref.js';
import { DopplerWebhookHandler } from './doppler-webhook.handler.js';

/**
 * The webhook handler one `DopplerModule` registration provides (what apps inject as
 * `DopplerWebhookHandler`, or under its name), carrying the registration's lifecycle too: Nest
 * calls these hooks on it, and it hands them to its {@link RefresherRef}. One provider for both,
 * as each provider costs at boot.
 */
export class RegistrationWebhookHandler
  extends DopplerWebhookHandler
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  readonly #lifecycle: RefresherRef;

  constructor(ref: RefresherRef) {
    super(ref);
    this.#lifecycle = ref;
  }

  onApplicationBootstrap(): void {
    this.#lifecycle.onApplicationBootstrap();
  }

  onModuleDestroy(): Promise<void> {
    return this.#lifecycle.onModuleDestroy();
  }

  onApplicationShutdown(): Promise<void> {
    return this.#lifecycle.onApplicationShutdown();
  }
}
