import type { Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { Clock } from '../core/clock.js';
import type { SecretsService } from '../secrets.service.js';
import type { SecretsRefresher } from './secrets-refresher.js';

/** Internal injection token of the {@link RefresherRef} of one `DopplerModule` registration. */
export const DOPPLER_REFRESHER = 'DOPPLER:REFRESHER';

/** What the registration's pipeline runs on, when a test gave it (fake time, a recording logger). */
export interface RefresherDeps {
  readonly clock?: Clock;
  readonly logger?: Pick<Logger, 'warn'>;
}

/**
 * Where `SecretsService`'s factory leaves the service it loaded and the refresher it created, for
 * the webhook handler; and the registration's lifecycle: it starts refreshing once the app is up,
 * and stops it (timers, requests) when it goes down (one provider for both, as each costs at boot).
 * It stays empty when a test overrides `SecretsService` (nothing was fetched, nothing refreshes).
 */
export class RefresherRef implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  #service: SecretsService<object> | undefined;
  #refresher: SecretsRefresher | undefined;
  #deps: RefresherDeps | undefined;

  /** @param deps the pipeline's clock and logger, when a test gave them (the webhook handler's warnings use them). */
  attach(service: SecretsService<object>, refresher: SecretsRefresher | undefined, deps?: RefresherDeps): void {
    this.#service = service;
    this.#refresher = refresher;
    this.#deps = deps;
  }

  get refresher(): SecretsRefresher | undefined {
    return this.#refresher;
  }

  /** The pipeline's clock and logger, when a test gave them; undefined for the real ones. */
  get deps(): RefresherDeps | undefined {
    return this.#deps;
  }

  /** Closes the loaded service (stopping its refresher); nothing when none was loaded. */
  async close(): Promise<void> {
    await this.#service?.close();
  }

  onApplicationBootstrap(): void {
    this.#refresher?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
