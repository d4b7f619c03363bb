import type { SecretsService } from '../secrets.service.js';
import type { SecretsRefresher } from './secrets-refresher.js';

// Keyed by the service instance: a service a test put in with overrideProvider has no
// refresher, so lifecycle hooks and webhooks leave it alone.
const refreshers = new WeakMap<SecretsService, SecretsRefresher>();

export function attachRefresher(service: SecretsService, refresher: SecretsRefresher): void {
  refreshers.set(service, refresher);
}

export function refresherOf(service: SecretsService): SecretsRefresher | undefined {
  return refreshers.get(service);
}
