import { inspect } from 'node:util';
import { SecretNotDeclaredError } from './client/doppler.errors.js';
import type { SecretsMetadata } from './interfaces/secrets-metadata.interface.js';
import { Secret, SECRET_MASK } from './secret.js';

/**
 * The names of a schema's properties, as strings; any string when the schema is unknown
 * (e.g. `moduleRef.get(SecretsService)` without a type argument).
 */
export type SecretKey<T> = [keyof T] extends [never] ? string : Extract<keyof T, string>;

/** The type of a schema property, `unknown` when the schema is unknown. */
export type SecretValue<T, K> = K extends keyof T ? T[K] : unknown;

/**
 * The app's secrets, each a masked {@link Secret}, typed by the schema class.
 * It is the provider that fetched them, so `overrideProvider(SecretsService)` in a test
 * replaces the fetch entirely.
 *
 * Printing or serialising the service shows names and masks and the metadata, never a
 * value.
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
  // One immutable snapshot behind one reference: a reader sees one whole set, never a mix.
  #secrets: ReadonlyMap<string, Secret<unknown>>;
  #metadata: SecretsMetadata;

  /**
   * Wraps already-validated values. Apps get an instance from `DopplerModule`; tests build
   * one with `createSecretsService()` from `nestjs-doppler/testing`.
   */
  constructor(values: Readonly<Record<string, unknown>>, metadata: SecretsMetadata) {
    this.#secrets = toSecrets(values);
    this.#metadata = Object.freeze({ ...metadata });
  }

  /**
   * The masked secret for `key`, typed as the schema declares it.
   *
   * @throws {SecretNotDeclaredError} when the schema does not declare `key`.
   * @example
   * const port: number = secrets.get('PORT').reveal();
   */
  get<K extends SecretKey<T>>(key: K): Secret<SecretValue<T, K>> {
    const secret = this.#secrets.get(key);
    if (secret === undefined) throw new SecretNotDeclaredError(key);
    return secret as Secret<SecretValue<T, K>>;
  }

  /** Whether the set holds `key` (an optional key Doppler did not send is not held). */
  has(key: string): key is SecretKey<T> {
    return this.#secrets.has(key);
  }

  /** Every key held, in Doppler's order. */
  keys(): SecretKey<T>[] {
    return [...this.#secrets.keys()] as SecretKey<T>[];
  }

  /** Project, config, source and time of the current set. */
  get metadata(): SecretsMetadata {
    return this.#metadata;
  }

  /** A printable view: names with masks, plus the metadata. */
  toJSON(): { metadata: SecretsMetadata; secrets: Record<string, string> } {
    const secrets: Record<string, string> = {};
    for (const key of this.#secrets.keys()) secrets[key] = SECRET_MASK;
    return { metadata: this.#metadata, secrets };
  }

  [inspect.custom](): string {
    return `SecretsService ${inspect(this.toJSON(), { depth: 3 })}`;
  }
}

function toSecrets(values: Readonly<Record<string, unknown>>): ReadonlyMap<string, Secret<unknown>> {
  const map = new Map<string, Secret<unknown>>();
  for (const [key, value] of Object.entries(values)) {
    map.set(key, value instanceof Secret ? value : new Secret(value));
  }
  return map;
}
