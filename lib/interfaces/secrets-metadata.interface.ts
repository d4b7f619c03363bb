/**
 * Where a set of secrets came from:
 * - `doppler-api`: fetched from Doppler's API at start-up;
 * - `static`: built from plain values (tests, `createSecretsService`).
 */
export type SecretsSource = 'doppler-api' | 'static';

/** Facts about the current set of secrets. Safe to print: it holds no value. */
export interface SecretsMetadata {
  /** Doppler project, from Doppler's `DOPPLER_PROJECT` or the options. */
  readonly project?: string;
  /** Doppler config, from Doppler's `DOPPLER_CONFIG` or the options. */
  readonly config?: string;
  /** Doppler environment, from `DOPPLER_ENVIRONMENT`. */
  readonly environment?: string;
  /** Where the values came from. */
  readonly source: SecretsSource;
  /** When the values were fetched (or built). */
  readonly fetchedAt: Date;
  /** Doppler's version tag of the set, when it sent one. */
  readonly etag?: string;
}
