import { DopplerConfigurationError, type DopplerErrorCode } from '../errors/doppler.errors.js';
import type { SecretsMetadata, SecretsSource } from '../interfaces/secrets-metadata.interface.js';
import type { SecretsStatus } from '../interfaces/secrets-status.interface.js';

/**
 * Default for {@link DopplerHealthOptions.maxAgeMs}: 15 minutes. With the refresh backoff
 * (the wait doubles after each failure, capped at 5 minutes) that is several failed checks
 * in a row, so one lost request or a short Doppler hiccup never turns the check red.
 */
export const DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS = 15 * 60 * 1000;

/**
 * Default for {@link DopplerHealthOptions.maxStreamDownMs}: 15 minutes. The stream reconnects with
 * backoff capped at a minute, so that is a dozen failed reconnects in a row, not a blip; and
 * polling keeps the secrets fresh meanwhile, so a short outage of the stream alone is no reason
 * to take the app out of service.
 */
export const DEFAULT_DOPPLER_HEALTH_MAX_STREAM_DOWN_MS = 15 * 60 * 1000;

/** Options of {@link DopplerHealthIndicator.isHealthy}. */
export interface DopplerHealthOptions {
  /**
   * How long, in milliseconds, the app may run on secrets that are stale before the check
   * reports `down`. "Stale" is `SecretsService.status.stale`: the last check with Doppler
   * failed, or the set was served from the fallback copy. The age compared is
   * `status.ageMs`: the time since Doppler last confirmed the set (a changed set or a 304),
   * or, if it never did, since the values were fetched (for a fallback copy: since the copy
   * was written).
   *
   * A set that is not stale is `up` at any age: without `refresh`, the set is never
   * re-checked, and that alone is not a failure. Choose a value above `refresh.interval`
   * (with room for a few backoff waits), or the first failed refresh turns the check red.
   * Use `0` to report `down` as soon as the set is stale.
   * @default 900000 (15 minutes, {@link DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS})
   */
  maxAgeMs?: number;
  /**
   * With `refresh.watch`: how long, in milliseconds, the watch stream may be down (connecting or
   * reconnecting) before the check reports `down`. Polling carries changes meanwhile, only later
   * (every `refresh.interval`). A stream Doppler refused (403/404: a plan without it) is
   * `unavailable`, not down, and never fails the check. `Infinity` never fails it for the stream.
   * @default 900000 (15 minutes, {@link DEFAULT_DOPPLER_HEALTH_MAX_STREAM_DOWN_MS})
   */
  maxStreamDownMs?: number;
  /**
   * Judge only the `DopplerModule` registration with this `name`. Without it, every registration
   * is judged: the unnamed one's details at the top, each named one's under `instances`, and the
   * check is `down` when any of them is.
   * @default undefined (all registrations)
   */
  instance?: string;
}

/**
 * What the check reports besides Terminus's `status`. Names, codes, counts and times only:
 * never a secret value, a token, the project or the config.
 */
// A type alias, not an interface: Terminus takes `Record<string, unknown>`, which only type
// literals satisfy without an explicit index signature.
export type DopplerHealthDetails = {
  /** Where the current set came from (`doppler-api`, `fallback`, ...). */
  readonly source: SecretsSource;
  /** Counts the versions held: 1 at bootstrap, +1 per applied change. */
  readonly version: number;
  /** Milliseconds since Doppler last confirmed the set (see {@link DopplerHealthOptions.maxAgeMs}). */
  readonly ageMs: number;
  /** The threshold the age was compared against. */
  readonly maxAgeMs: number;
  /** The last check with Doppler failed, or the set came from the fallback copy. */
  readonly stale: boolean;
  /** Failed checks since the last success. */
  readonly consecutiveFailures: number;
  /** Code of the last failed refresh, when one failed. */
  readonly lastFailureCode?: DopplerErrorCode;
  /** When Doppler last confirmed the set (ISO 8601): the fetch at start-up or a later refresh. */
  readonly lastSuccessAt?: string;
  /** When a refresh last failed (ISO 8601), when one did. */
  readonly lastFailureAt?: string;
  /** The channel a change arrives through now (`stream`, `polling`, `webhook`, `volume`), when one does. */
  readonly channel?: string;
  /** Since when that channel is the live one (ISO 8601). */
  readonly channelSince?: string;
  /** With `refresh.watch`: the watch stream's state (`live`, `down`, `unavailable`). */
  readonly stream?: 'live' | 'down' | 'unavailable';
  /** Milliseconds the watch stream has been in that state. */
  readonly streamForMs?: number;
  /** Why the fallback copy served at bootstrap, when it did. */
  readonly fallbackReason?: DopplerErrorCode;
  /** Why the check is `down`; absent when `up`. */
  readonly message?: string;
  /** The named registrations' own details, when the app has any (see {@link DopplerHealthOptions.instance}). */
  readonly instances?: Readonly<Record<string, DopplerHealthDetails>>;
};

/** Internal: the verdict and what to report with it. */
export interface DopplerHealthVerdict {
  readonly healthy: boolean;
  readonly details: DopplerHealthDetails;
}

/**
 * Internal: judges the secrets described by `secrets` (a `SecretsService`): down when they
 * are stale and Doppler has not confirmed them for longer than `maxAgeMs` (see
 * {@link DopplerHealthOptions.maxAgeMs}). Kept apart from the indicator so the rule does not
 * depend on Terminus and can be tested on its own.
 *
 * @throws {DopplerConfigurationError} when `maxAgeMs` is not a finite number of 0 or more.
 */
export function judgeDopplerHealth(
  secrets: { readonly metadata: SecretsMetadata; readonly status: SecretsStatus },
  options: DopplerHealthOptions = {},
): DopplerHealthVerdict {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS;
  if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
    throw new DopplerConfigurationError(
      `The Doppler health check's maxAgeMs must be a finite number of milliseconds, 0 or more (got ${String(maxAgeMs)}).`,
    );
  }
  const maxStreamDownMs = options.maxStreamDownMs ?? DEFAULT_DOPPLER_HEALTH_MAX_STREAM_DOWN_MS;
  if (typeof maxStreamDownMs !== 'number' || Number.isNaN(maxStreamDownMs) || maxStreamDownMs < 0) {
    throw new DopplerConfigurationError(
      `The Doppler health check's maxStreamDownMs must be a number of milliseconds, 0 or more, or Infinity (got ${String(maxStreamDownMs)}).`,
    );
  }
  const { metadata, status } = secrets;
  const { stream, channel } = status;
  const streamDown = stream?.state === 'down' && stream.forMs > maxStreamDownMs;
  const healthy = !(status.stale && status.ageMs > maxAgeMs) && !streamDown;
  const fallbackReason = metadata.source === 'fallback' ? metadata.fallback?.reason : undefined;
  const details: DopplerHealthDetails = {
    source: metadata.source,
    version: status.version,
    ageMs: status.ageMs,
    maxAgeMs,
    stale: status.stale,
    consecutiveFailures: status.consecutiveFailures,
    ...(status.lastFailureCode !== undefined && { lastFailureCode: status.lastFailureCode }),
    ...(status.lastSuccessAt !== undefined && { lastSuccessAt: status.lastSuccessAt.toISOString() }),
    ...(status.lastFailureAt !== undefined && { lastFailureAt: status.lastFailureAt.toISOString() }),
    ...(fallbackReason !== undefined && { fallbackReason }),
    ...(channel !== undefined && { channel: channel.kind, channelSince: channel.since.toISOString() }),
    ...(stream !== undefined && { stream: stream.state, streamForMs: stream.forMs }),
  };
  if (healthy) return { healthy, details };
  const message =
    streamDown && !(status.stale && status.ageMs > maxAgeMs)
      ? `The Doppler watch stream has been down for ${stream.forMs} ms (limit ${maxStreamDownMs} ms, the maxStreamDownMs option); changes arrive by polling only.`
      : downMessage(details);
  return { healthy, details: { ...details, message } };
}

/** Says why, in names and numbers a person on call can act on. */
function downMessage(d: DopplerHealthDetails): string {
  const age = `${d.ageMs} ms (limit ${d.maxAgeMs} ms)`;
  const failing =
    d.consecutiveFailures > 0
      ? `the last ${d.consecutiveFailures} check(s) with Doppler failed (${d.lastFailureCode ?? 'unknown'})`
      : undefined;
  if (d.source === 'fallback') {
    const why = d.fallbackReason ? ` because Doppler failed at start-up (${d.fallbackReason})` : '';
    return (
      `Serving the fallback copy of the Doppler secrets${why}; Doppler has not confirmed them for ${age}` +
      (failing ? `, and ${failing}.` : '.')
    );
  }
  return `Doppler has not confirmed the secrets for ${age}: ${failing ?? 'the last check with Doppler failed'}.`;
}
