import type { DopplerErrorCode } from '../errors/doppler.errors.js';

/** How fresh the secrets are, for health checks and dashboards. Holds no value. */
export interface SecretsStatus {
  /** Counts the versions held: 1 at bootstrap, +1 per applied change. */
  readonly version: number;
  /** Doppler's version tag of the current set, when it sent one. */
  readonly etag?: string;
  /** Last time Doppler confirmed the set (a changed set, or 304 Not Modified). */
  readonly lastSuccessAt?: Date;
  /** Last time a refresh failed (the current set was kept). */
  readonly lastFailureAt?: Date;
  /** Code of the last failure: a {@link DopplerErrorCode}, e.g. `DOPPLER_TIMEOUT` or `DOPPLER_SECRETS_INVALID`. */
  readonly lastFailureCode?: DopplerErrorCode;
  /** Failures since the last success. */
  readonly consecutiveFailures: number;
  /** Milliseconds since Doppler last confirmed the set (or since the values were fetched). */
  readonly ageMs: number;
  /** True when the last attempt failed, or the values came from the fallback copy. */
  readonly stale: boolean;
  /**
   * The channel a change reaches this app through now, and since when: Doppler's watch `stream`
   * while it is live, else `polling` (the `refresh` option's timer), else `webhook` (when accepted);
   * `volume` for a mounted volume. Absent when nothing refreshes the set.
   */
  readonly channel?: { readonly kind: SecretsChannel; readonly since: Date };
  /** With `refresh.watch`: the watch stream's state, and since when (see the README, "Watch stream"). */
  readonly stream?: {
    /** `live`; `down` (connecting, or reconnecting with backoff); `unavailable` (a 403/404: polling instead). */
    readonly state: 'live' | 'down' | 'unavailable';
    readonly since: Date;
    /** Milliseconds in this state (what the health check compares with `maxStreamDownMs`). */
    readonly forMs: number;
  };
}

/** How a change reaches the app (see {@link SecretsStatus.channel}). */
export type SecretsChannel = 'stream' | 'polling' | 'webhook' | 'volume';

/** What changed in a refresh: names only, never values. */
export interface SecretsChange {
  /** Keys whose value changed. */
  readonly changed: readonly string[];
  /** Keys that appeared. */
  readonly added: readonly string[];
  /** Keys that disappeared (optional keys Doppler no longer sends). */
  readonly removed: readonly string[];
  /** The version now held, and the one it replaced. */
  readonly version: number;
  readonly previousVersion: number;
  /** Doppler's version tag of the new set. */
  readonly etag?: string;
  readonly at: Date;
}
