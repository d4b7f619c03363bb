import type { Observable } from 'rxjs';
import { inspect } from 'node:util';
import type { SecretsMetadata } from './interfaces/secrets-metadata.interface.js';
import type { SecretsChange, SecretsStatus } from './interfaces/secrets-status.interface.js';
import type { RefreshResult } from './refresh/refresh-result.js';
import { SecretsState } from './refresh/secrets-state.js';
import type { Secret } from './secret.js';
import { secretsOf, type SecretsSnapshot, type SecretKey, type SecretValue } from './secrets-snapshot.js';

export type { SecretKey, SecretValue } from './secrets-snapshot.js';

let stateOfService: <T extends object>(service: SecretsService<T>) => SecretsState<T>;
// Hands a ready state to the constructor without widening its public signature.
let handedOver: SecretsState<object> | undefined;

/**
 * @internal The state behind a service, for the refresher that keeps it current. A service a
 * test built has its own, which nothing writes.
 */
export function stateOf<T extends object>(service: SecretsService<T>): SecretsState<T> {
  return stateOfService(service);
}

/** @internal A service reading `state`, which the pipeline's refresher writes. */
export function serviceFor<T extends object>(state: SecretsState<T>): SecretsService<T> {
  handedOver = state as unknown as SecretsState<object>;
  try {
    return new SecretsService<T>({}, state.current.metadata);
  } finally {
    handedOver = undefined;
  }
}

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
  // One immutable snapshot behind one reference, owned with the refresh status by the state.
  readonly #state: SecretsState<T>;
  // The version served, and its secrets by name, kept here as the state swaps versions: get()
  // is then one Map lookup away from the caller (a Map.get costs about as much as the rest).
  #current!: SecretsSnapshot<T>;
  #secrets!: ReadonlyMap<string, Secret<unknown>>;

  static {
    stateOfService = <U extends object>(service: SecretsService<U>) => service.#state;
  }

  /**
   * Wraps already-validated values. Apps get an instance from `DopplerModule`; tests build
   * one with `createSecretsService()` from `nestjs-doppler/testing`.
   *
   * @param rawForms the raw strings the values were made from, so `redact()` masks both forms.
   */
  constructor(
    values: Readonly<Record<string, unknown>>,
    metadata: SecretsMetadata,
    rawForms: readonly string[] = [],
  ) {
    const given = handedOver as SecretsState<T> | undefined;
    handedOver = undefined;
    this.#state = given ?? new SecretsState<T>({ values, metadata, raw: rawOf(values), rawForms });
    this.#state.onCurrent((current) => {
      this.#current = current;
      this.#secrets = secretsOf(current);
    });
  }

  /**
   * Emits after each refresh that changed the set: which names changed, were added or
   * removed, never values. Completes when the service is closed (the application shuts down).
   *
   * @example
   * secrets.changes.subscribe(({ changed }) => {
   *   if (changed.includes('DATABASE_URL')) pool.reconnect();
   * });
   */
  get changes(): Observable<SecretsChange> {
    return this.#state.changes;
  }

  /**
   * The masked secret for `key`, typed as the schema declares it.
   *
   * @throws {DopplerError} when the schema does not declare `key`.
   * @example
   * const port: number = secrets.get('PORT').reveal();
   */
  get<K extends SecretKey<T>>(key: K): Secret<SecretValue<T, K>> {
    // A key the version does not hold goes to the snapshot, which throws the error that says why.
    return (this.#secrets.get(key) ?? this.#current.get(key)) as Secret<SecretValue<T, K>>;
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
    return this.#state.status;
  }

  /**
   * Checks Doppler now, as a refresh cycle does (If-None-Match; a changed set validated whole
   * before it is swapped in; a failure keeps the current set), sharing a cycle already running.
   * Works without the `refresh` option (no timer is needed for it).
   *
   * @returns what the cycle did; `unavailable` for a source that cannot refresh (`doppler run`) or
   *   a service built by hand; `stopped` after {@link close}. Never rejects.
   * @example
   * const result = await secrets.refresh(); // { kind: 'unchanged' } | { kind: 'changed', change } | ...
   */
  refresh(): Promise<RefreshResult> {
    return this.#state.refresh();
  }

  /**
   * Stops refreshing (timers, a request in flight) and completes {@link changes}. The values stay
   * readable. Nest calls it at shutdown; call it yourself for a service made by
   * `loadDopplerSecrets()` outside Nest, so the process can exit. Idempotent.
   */
  close(): Promise<void> {
    return this.#state.close();
  }

  /** A printable view: names with masks, plus the metadata and version. */
  toJSON(): ReturnType<SecretsSnapshot<T>['toJSON']> {
    return this.#current.toJSON();
  }

  [inspect.custom](): string {
    return `SecretsService ${inspect(this.toJSON(), { depth: 3 })}`;
  }
}

/** The strings among hand-made values: what a later version is compared with. */
function rawOf(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (typeof value === 'string') raw[key] = value;
  return raw;
}
