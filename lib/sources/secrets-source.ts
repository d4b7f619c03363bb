import type { DopplerError } from '../errors/doppler.errors.js';
import type { FallbackMetadata, SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import type { FetchObserver } from '../telemetry/fetch-observer.js';

/** Where a loaded set came from: the `source` its metadata will name. */
export type LoadedOrigin = 'doppler-api' | 'environment' | 'mounted' | 'fallback';

/** A set as a source loaded it: raw strings, not yet validated. */
export interface LoadedSet {
  readonly raw: Readonly<Record<string, string>>;
  readonly origin: LoadedOrigin;
  /** When the values were fetched (for a fallback copy: when it was written). */
  readonly fetchedAt: Date;
  readonly etag?: string;
  readonly fallback?: FallbackMetadata;
}

/** What one load brought: a set, or word that the set held is still current. */
export type LoadOutcome =
  | { readonly kind: 'set'; readonly set: LoadedSet }
  | { readonly kind: 'not-modified'; readonly etag: string };

export interface LoadRequest {
  /** At bootstrap a source may retry within the deadline; a refresh makes one attempt. */
  readonly phase: 'bootstrap' | 'refresh';
  /** Aborts at the deadline of this load, or at shutdown. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds when {@link signal} aborts for time. */
  readonly deadlineAt: number;
  /** Doppler's tag of the set held, when there is one. */
  readonly etag?: string;
  /** Told of each request and retry of this load (telemetry). */
  readonly observer?: FetchObserver;
}

/**
 * A place secrets come from. Each source is one file behind this interface; the pipeline
 * validates what it loads, builds the snapshot and owns everything after.
 */
export interface SecretsSource {
  /** Names the source in log lines. */
  readonly description: string;
  /** Whether loading again can bring a newer set (a process environment cannot). */
  readonly refreshable: boolean;
  /**
   * Loads the set once. Never waits past `request.signal`.
   * @throws {DopplerError} a typed error naming what failed, never a value or a token.
   */
  load(request: LoadRequest): Promise<LoadOutcome>;
  /** A loaded set passed validation and is being served (e.g. keep a fallback copy of it). */
  accepted?(set: LoadedSet, metadata: SecretsMetadata, signal: AbortSignal): Promise<void>;
  /** A load failed (e.g. drop a fallback copy a revoked token must not outlive). */
  failed?(error: DopplerError, signal: AbortSignal): Promise<void>;
  /**
   * Starts telling the refresher when the set may have changed (a volume swap, a watch stream's
   * event); the refresher then runs a cycle, as for a timer. Called once, when refreshing starts.
   * @returns stops watching; it must leave no timer, handle or request behind.
   */
  watch?(onChange: () => void, context?: WatchContext): () => void;
  /**
   * Releases what the source holds once it is no longer used (an exchanged token is revoked).
   * Called once, after the last load has settled; bounded, and never rejects.
   */
  close?(): Promise<void>;
}

/** A source's own push channel: Doppler's watch stream, or the mounted volume's watch. */
export type PushChannel = 'stream' | 'volume';

/** What the refresher gives a source's {@link SecretsSource.watch} besides the change callback. */
export interface WatchContext {
  /** The push channel is up (`live`), failing and being retried (`down`), or not offered (`unavailable`). */
  channel(kind: PushChannel, state: 'live' | 'down' | 'unavailable'): void;
  /** [0, 1): the refresher's, so tests decide the spread and jitter. */
  readonly random: () => number;
  /** Told each push-channel request's answer (telemetry counts them with the downloads). */
  readonly requests?: Pick<FetchObserver, 'response'>;
}
