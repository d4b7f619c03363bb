import type { DopplerErrorCode } from '../errors/doppler.errors.js';

/**
 * Where a set of secrets came from:
 * - `doppler-api`: fetched from Doppler's API;
 * - `fallback`: Doppler was unreachable or failing, so the encrypted last-known-good copy served;
 * - `environment`: read from `process.env`, as `doppler run` populates it;
 * - `mounted`: read from a mounted volume (the Doppler Kubernetes Operator's Secret, a directory of files);
 * - `static`: built from plain values (tests, `createSecretsService`).
 */
export type SecretsSource = 'doppler-api' | 'fallback' | 'environment' | 'mounted' | 'static';

/** Why and from how old a copy the fallback served. */
export interface FallbackMetadata {
  /** The code of the failure that made the fallback serve. */
  readonly reason: DopplerErrorCode;
  /** How many requests to Doppler were made before the fallback served. */
  readonly attempts: number;
  /** How old the copy was when it was read, in milliseconds. */
  readonly ageMs: number;
  /** Which file format served: this module's, or a Doppler CLI fallback file. */
  readonly format: 'nestjs-doppler' | 'doppler-cli';
}

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
  /** When the values were fetched from Doppler (for a fallback copy: when it was written). */
  readonly fetchedAt: Date;
  /** Doppler's version tag of the set, when it sent one. */
  readonly etag?: string;
  /** Present when the fallback served. */
  readonly fallback?: FallbackMetadata;
}
