import type { SecretsService } from '../secrets.service.js';
import type { SecretsRefresher } from './secrets-refresher.js';

/** Internal injection token of the {@link RefresherRef} of one `DopplerModule` registration. */
export const DOPPLER_REFRESHER = 'DOPPLER:REFRESHER';

/**
 * Where `SecretsService`'s factory leaves the service it loaded and the refresher it created, for
 * the lifecycle hooks and the webhook handler. It stays empty when a test overrides
 * `SecretsService` (nothing was fetched, nothing refreshes).
 */
export class RefresherRef {
  #service: SecretsService<object> | undefined;
  #refresher: SecretsRefresher | undefined;

  attach(service: SecretsService<object>, refresher: SecretsRefresher | undefined): void {
    this.#service = service;
    this.#refresher = refresher;
  }

  get refresher(): SecretsRefresher | undefined {
    return this.#refresher;
  }

  /** Closes the loaded service (stopping its refresher); nothing when none was loaded. */
  async close(): Promise<void> {
    await this.#service?.close();
  }
}
