import type { DopplerErrorCode } from '../errors/doppler.errors.js';
import type { SecretsChange } from '../interfaces/secrets-status.interface.js';

/** What one refresh cycle did. */
export type RefreshResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'changed'; readonly change: SecretsChange }
  | { readonly kind: 'failed'; readonly code: DopplerErrorCode; readonly retryAfterMs?: number }
  /** The service was closed (the application is shutting down); nothing was applied. */
  | { readonly kind: 'stopped' }
  /** This service cannot refresh: its source is fixed (`doppler run`), or it was built by hand. */
  | { readonly kind: 'unavailable' };
