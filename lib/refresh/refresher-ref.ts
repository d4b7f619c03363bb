import type { Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { Clock } from '../core/clock.js';
import type { SecretsService } from '../secrets.service.js';
import type { SecretsChangeExplorer } from './secrets-change.explorer.js';
import type { SecretsRefresher } from './secrets-refresher.js';

/** What the registration's pipeline runs on, when a test gave it (fake time, a recording logger). */
export interface RefresherDeps {
  readonly clock?: Clock;
  readonly logger?: Pick<Logger, 'warn'>;
}

/** What `SecretsService`'s factory loaded besides the service: absent for a service a test put in. */
export interface LoadedParts {
  readonly refresher?: SecretsRefresher;
  /** The pipeline's clock and logger (the webhook handler's warnings use them); unset for the real ones. */
  readonly deps?: RefresherDeps;
}

/**
 * The lifecycle of one registration, and where the webhook handler finds its refresher: once the
 * app is up it subscribes the `@OnSecretsChange` handlers that follow the registration and starts
 * refreshing; when the app goes down it stops both (timers, requests). It is no provider of its
 * own: the registration's webhook handler (one provider for both, as each provider costs at boot)
 * holds it and passes Nest's lifecycle hooks on to it. A service a test put in with
 * `overrideProvider` gets its handlers, but nothing of it is started or closed (nothing was
 * fetched, nothing refreshes).
 */
export class RefresherRef implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly #loaded: (LoadedParts & { readonly service: SecretsService<object> }) | undefined;
  #subscription: Subscription | undefined;

  constructor(
    private readonly name?: string,
    private readonly service?: SecretsService<object>,
    loaded?: LoadedParts,
    private readonly explorer?: SecretsChangeExplorer,
  ) {
    this.#loaded = service !== undefined && loaded !== undefined ? { ...loaded, service } : undefined;
    explorer?.expect(name);
  }

  get refresher(): SecretsRefresher | undefined {
    return this.#loaded?.refresher;
  }

  /** The pipeline's clock and logger as a test replaced them; unset (or undefined) for the real ones. */
  get deps(): RefresherDeps | undefined {
    return this.#loaded?.deps;
  }

  /** Closes the loaded service (stopping its refresher); nothing when none was loaded. */
  async close(): Promise<void> {
    await this.#loaded?.service.close();
  }

  onApplicationBootstrap(): void {
    if (this.service !== undefined) this.#subscription = this.explorer?.follow(this.name, this.service);
    this.#loaded?.refresher?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    await this.close();
  }
}
