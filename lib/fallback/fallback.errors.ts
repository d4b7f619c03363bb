import { DopplerError } from '../client/doppler.errors.js';

/**
 * A fallback file could not be used or kept up to date. `code` says which:
 *
 * - `DOPPLER_FALLBACK_MISSING`: there is no file yet (nothing was ever fetched successfully).
 * - `DOPPLER_FALLBACK_INVALID`: the file is corrupt, tampered with, encrypted with another
 *   passphrase, or written for another project/config.
 * - `DOPPLER_FALLBACK_EXPIRED`: the file is older than the configured `maxAgeMs`.
 * - `DOPPLER_FALLBACK_WRITE_FAILED`: the file could not be written or deleted.
 *
 * Like every {@link DopplerError}, it never carries the passphrase, a secret value or the
 * file's contents, and `cause` is never set (crypto and JSON errors can quote their input).
 * `reason` holds the errno code (`EACCES`, ...) when the file system refused.
 *
 * @example
 * try { snapshot = await store.read(); } catch (e) {
 *   if (e instanceof DopplerFallbackError && e.code === 'DOPPLER_FALLBACK_MISSING') { ... }
 * }
 */
export class DopplerFallbackError extends DopplerError {}
