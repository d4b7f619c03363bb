import { Subject, type Observable } from 'rxjs';
import { inspect } from 'node:util';
import type { DopplerErrorCode } from './client/doppler.errors.js';
import type { SecretsMetadata } from './interfaces/secrets-metadata.interface.js';
import type { SecretsChange, SecretsStatus } from './interfaces/secrets-status.interface.js';
import type { Secret } from './secret.js';
import { SecretsSnapshot, type SecretKey, type SecretValue } from './secrets-snapshot.js';

export type { SecretKey, SecretValue } from './secrets-snapshot.js';

/** Internal: how the refresher swaps the set and records checks. Not part of the public API. */
export const APPLY_SNAPSHOT = Symbol('nestjs-doppler:apply-snapshot');
export const RECORD_CHECK = Symbol('nestjs-doppler:record-check');

/** Internal: the outcome of one check with Doppler. */
export type CheckOutcome = { ok: true; etag?: string } | { ok: false; code: DopplerErrorCode };

/**
 * The app's secrets, each a masked {@link Secret}, typed by the schema class.
 * It is the provider that fetched them, so `overrideProvider(SecretsService)` in a test
 * replaces the fetch entirely.
 *
 * With `refresh` enabled, the set is replaced in place when Doppler's changes; every
 * `get()` reads one whole version, and {@link snapshot} pins one version for several
 * reads. Printing or serialising the service shows names and masks and the metadata,
 * never a value.
 *
 * @example
 * @Injectable()
 * export class Database {
 *   constructor(private readonly secrets: SecretsService<AppSecrets>) {}
 *   connect() {
 *     return createPool(this.secrets.get('DATABASE_URL').reveal());
 *   }
 * }
 */
export class SecretsService<T extends object = Record<string, string>> {
  // One immutable snapshot behind one reference: swapping it is a single assignment.
  #current: SecretsSnapshot<T>;
  readonly #changes = new Subject<SecretsChange>();
  #etag: string | undefined;
  #lastSuccessAt: Date | undefined;
  #lastFailureAt: Date | undefined;
  #lastFailureCode: DopplerErrorCode | undefined;
  #consecutiveFailures = 0;

  /**
   * Emits after each refresh that changed the set: which names changed, were added or
   * removed, never values. Completes when the application shuts down.
   *
   * @example
   * secrets.changes.subscribe(({ changed }) => {
   *   if (changed.includes('DATABASE_URL')) pool.reconnect();
   * });
   */
  readonly changes: Observable<SecretsChange> = this.#changes.asObservable();

  /**
   * Wraps already-validated values. Apps get an instance from `DopplerModule`; tests build
   * one with `createSecretsService()` from `nestjs-doppler/testing`.
   */
  constructor(
    values: Readonly<Record<string, unknown>>,
    metadata: SecretsMetadata,
    /** Internal: the raw strings the values were made from, so `redact()` masks both forms. */
    rawForms: readonly string[] = [],
  ) {
    this.#current = new SecretsSnapshot<T>(values, metadata, 1, rawForms);
    this.#etag = metadata.etag;
    if (metadata.source === 'doppler-api') this.#lastSuccessAt = metadata.fetchedAt;
  }

  /**
   * The masked secret for `key`, typed as the schema declares it.
   *
   * @throws {SecretNotDeclaredError} when the schema does not declare `key`.
   * @example
   * const port: number = secrets.get('PORT').reveal();
   */
  get<K extends SecretKey<T>>(key: K): Secret<SecretValue<T, K>> {
    return this.#current.get(key);
  }

  /** Whether the set holds `key` (an optional key Doppler did not send is not held). */
  has(key: string): key is SecretKey<T> {
    return this.#current.has(key);
  }

  /** Every key held, in Doppler's order. */
  keys(): SecretKey<T>[] {
    return this.#current.keys();
  }

  /** The current version, immutable: several reads from it always belong together. */
  snapshot(): SecretsSnapshot<T> {
    return this.#current;
  }

  /**
   * `text` with every current secret value masked: each value at least 4 characters long
   * (`REDACT_MIN_LENGTH`; shorter ones would shred ordinary text), of any size, as written
   * plain (`String(value)` for a number) and as escaped inside JSON or `util.inspect` output,
   * becomes `SECRET_MASK`; values that overlap in the text become one mask. It reads the
   * current version, so after a refresh it masks the new values; the work of preparing it
   * is done once per version, not per call. Never throws (see {@link SecretsSnapshot.redact}).
   *
   * @example
   * res.status(502).send(secrets.redact(upstreamErrorBody)); // '... key **********'
   */
  redact(text: string): string {
    return this.#current.redact(text);
  }

  /** Project, config, source and time of the current set. */
  get metadata(): SecretsMetadata {
    return this.#current.metadata;
  }

  /** Version, ETag, last success and failure, staleness. */
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
      ageMs: Math.max(0, Date.now() - confirmedAt.getTime()),
      stale: failing || this.#current.metadata.source === 'fallback',
    };
  }

  /** A printable view: names with masks, plus the metadata and version. */
  toJSON(): ReturnType<SecretsSnapshot<T>['toJSON']> {
    return this.#current.toJSON();
  }

  [inspect.custom](): string {
    return `SecretsService ${inspect(this.toJSON(), { depth: 3 })}`;
  }

  /** Internal: replaces the set (already validated) and tells subscribers what changed. */
  [APPLY_SNAPSHOT](
    values: Readonly<Record<string, unknown>>,
    metadata: SecretsMetadata,
    change: Omit<SecretsChange, 'version' | 'previousVersion'>,
    rawForms: readonly string[] = [],
  ): SecretsChange {
    const previousVersion = this.#current.version;
    this.#current = new SecretsSnapshot<T>(values, metadata, previousVersion + 1, rawForms);
    const event: SecretsChange = { ...change, version: this.#current.version, previousVersion };
    this.#changes.next(event);
    return event;
  }

  /** Internal: records the outcome of a check with Doppler. */
  [RECORD_CHECK](outcome: CheckOutcome | 'closed'): void {
    if (outcome === 'closed') {
      this.#changes.complete();
      return;
    }
    if (outcome.ok) {
      this.#lastSuccessAt = new Date();
      this.#consecutiveFailures = 0;
      if (outcome.etag !== undefined) this.#etag = outcome.etag;
    } else {
      this.#lastFailureAt = new Date();
      this.#lastFailureCode = outcome.code;
      this.#consecutiveFailures++;
    }
  }
}
