import { Subject, type Observable } from 'rxjs';
import type { DopplerErrorCode } from '../errors/doppler.errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import type { SecretsChange, SecretsChannel, SecretsStatus } from '../interfaces/secrets-status.interface.js';
import { SecretsSnapshot } from '../secrets-snapshot.js';
import type { RefreshResult } from './refresh-result.js';

type StreamState = NonNullable<SecretsStatus['stream']>['state'];

/** A validated set, ready to become the current version. */
export interface ValidatedSet {
  readonly values: Readonly<Record<string, unknown>>;
  readonly metadata: SecretsMetadata;
  /** Doppler's strings, by name: what a later set is compared with. */
  readonly raw: Readonly<Record<string, string>>;
  /** The raw strings of the exposed keys, so `redact()` masks them beside the values. */
  readonly rawForms: readonly string[];
  /** The keys the schema declares, when known (see `declaredKeysOf`). */
  readonly declared?: ReadonlySet<string>;
}

/**
 * Everything about a service that changes over its life, in one place: the current version,
 * Doppler's version tag, the record of checks, and the change stream. The refresher is the only
 * writer; `SecretsService` reads it. Internal.
 */
export class SecretsState<T extends object = Record<string, string>> {
  #current: SecretsSnapshot<T>;
  #raw: Readonly<Record<string, string>>;
  #etag: string | undefined;
  #lastSuccessAt: Date | undefined;
  #lastFailureAt: Date | undefined;
  #lastFailureCode: DopplerErrorCode | undefined;
  #consecutiveFailures = 0;
  #channel: SecretsStatus['channel'];
  #stream: { readonly state: StreamState; readonly since: Date } | undefined;
  // Made for the first subscriber (most apps have none): a change nobody listens to is dropped
  // either way, so a boot need not build the stream.
  #changes: Subject<SecretsChange> | undefined;
  #changes$: Observable<SecretsChange> | undefined;
  #completed = false;
  readonly #clock: Clock;
  readonly #readers: ((current: SecretsSnapshot<T>) => void)[] = [];
  #onClose: (() => Promise<void>) | undefined;
  #onRefresh: (() => Promise<RefreshResult>) | undefined;
  #closed: Promise<void> | undefined;

  constructor(initial: ValidatedSet, clock: Clock = systemClock) {
    this.#clock = clock;
    this.#current = new SecretsSnapshot<T>(
      initial.values,
      initial.metadata,
      1,
      initial.rawForms,
      initial.declared,
    );
    this.#raw = initial.raw;
    this.#etag = initial.metadata.etag;
    // A set read from Doppler or its synced volume is confirmed as it is read; a copy or a fixed set is not.
    const { source } = initial.metadata;
    if (source === 'doppler-api' || source === 'mounted') this.#lastSuccessAt = initial.metadata.fetchedAt;
  }

  get current(): SecretsSnapshot<T> {
    return this.#current;
  }

  /**
   * Calls `read` with the current version now and with each one that replaces it, before the change
   * is emitted: a service keeps the version it reads from (its `get()` is then one lookup).
   */
  onCurrent(read: (current: SecretsSnapshot<T>) => void): void {
    this.#readers.push(read);
    read(this.#current);
  }

  get etag(): string | undefined {
    return this.#etag;
  }

  get changes(): Observable<SecretsChange> {
    if (this.#changes$ === undefined) {
      this.#changes = new Subject<SecretsChange>();
      // Made after close() finished: it is over already, as the stream would have been.
      if (this.#completed) this.#changes.complete();
      this.#changes$ = this.#changes.asObservable();
    }
    return this.#changes$;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  get status(): SecretsStatus {
    const confirmedAt = this.#lastSuccessAt ?? this.#current.metadata.fetchedAt;
    const failing = this.#lastFailureAt !== undefined && this.#consecutiveFailures > 0;
    return {
      version: this.#current.version,
      ...(this.#etag !== undefined && { etag: this.#etag }),
      ...(this.#lastSuccessAt !== undefined && { lastSuccessAt: this.#lastSuccessAt }),
      ...(this.#lastFailureAt !== undefined && { lastFailureAt: this.#lastFailureAt }),
      ...(this.#lastFailureCode !== undefined && { lastFailureCode: this.#lastFailureCode }),
      consecutiveFailures: this.#consecutiveFailures,
      ageMs: Math.max(0, this.#clock.now() - confirmedAt.getTime()),
      stale: failing || this.#current.metadata.source === 'fallback',
      ...(this.#channel !== undefined && { channel: this.#channel }),
      ...(this.#stream !== undefined && {
        stream: {
          ...this.#stream,
          forMs: Math.max(0, this.#clock.now() - this.#stream.since.getTime()),
        },
      }),
    };
  }

  /** The channel now live; `since` moves only when it changes. */
  recordChannel(kind: SecretsChannel | undefined): void {
    if (kind === this.#channel?.kind) return;
    this.#channel = kind === undefined ? undefined : { kind, since: new Date(this.#clock.now()) };
  }

  /** The watch stream's state; `since` moves only when it changes. */
  recordStream(state: StreamState): void {
    if (state === this.#stream?.state) return;
    this.#stream = { state, since: new Date(this.#clock.now()) };
  }

  /**
   * Makes `next` the current version when it differs from it (or replaces a fallback copy with
   * Doppler's own set), and tells subscribers which names changed.
   * @returns the change, or undefined when the set is the same.
   */
  apply(next: ValidatedSet): SecretsChange | undefined {
    const currentKeys = this.#current.keys();
    const nextKeys = Object.keys(next.values);
    const current = new Set<string>(currentKeys);
    const upcoming = new Set(nextKeys);
    const diff = {
      changed: nextKeys.filter((k) => current.has(k) && this.#raw[k] !== next.raw[k]),
      added: nextKeys.filter((k) => !current.has(k)),
      removed: currentKeys.filter((k) => !upcoming.has(k)),
    };
    const leavingFallback =
      this.#current.metadata.source === 'fallback' && next.metadata.source !== 'fallback';
    this.#raw = next.raw;
    if (diff.changed.length + diff.added.length + diff.removed.length === 0 && !leavingFallback)
      return undefined;
    const previousVersion = this.#current.version;
    this.#current = new SecretsSnapshot<T>(
      next.values,
      next.metadata,
      previousVersion + 1,
      next.rawForms,
      next.declared,
    );
    for (const read of this.#readers) read(this.#current);
    const change: SecretsChange = {
      ...diff,
      version: this.#current.version,
      previousVersion,
      ...(next.metadata.etag !== undefined && { etag: next.metadata.etag }),
      at: new Date(this.#clock.now()),
    };
    this.#changes?.next(change);
    return change;
  }

  /** Doppler confirmed the current set (a 304, or the set just applied). */
  recordSuccess(etag: string | undefined): void {
    this.#lastSuccessAt = new Date(this.#clock.now());
    this.#consecutiveFailures = 0;
    if (etag !== undefined) this.#etag = etag;
  }

  /** A check failed; the current set stays. */
  recordFailure(code: DopplerErrorCode): void {
    this.#lastFailureAt = new Date(this.#clock.now());
    this.#lastFailureCode = code;
    this.#consecutiveFailures++;
  }

  /** Who runs a refresh cycle on request; set once, by the refresher. */
  onRefresh(run: () => Promise<RefreshResult>): void {
    this.#onRefresh = run;
  }

  /** One refresh cycle by the refresher, or `unavailable` when nothing refreshes this state. */
  refresh(): Promise<RefreshResult> {
    if (this.#closed) return Promise.resolve({ kind: 'stopped' });
    return this.#onRefresh?.() ?? Promise.resolve({ kind: 'unavailable' });
  }

  /** What `close()` must stop first (the refresher); set once, by whoever writes this state. */
  onClose(stop: () => Promise<void>): void {
    this.#onClose = stop;
  }

  /** Stops the writer, then completes the change stream. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.#onClose?.();
      } finally {
        this.#completed = true;
        this.#changes?.complete();
      }
    })();
    return this.#closed;
  }
}
