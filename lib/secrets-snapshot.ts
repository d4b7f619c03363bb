import { inspect } from 'node:util';
import { secretNotDeclared, secretNotSent } from './errors/secret-errors.js';

import type { SecretsMetadata } from './interfaces/secrets-metadata.interface.js';
import { createRedactor, type Redactor } from './redaction/redactor.js';
import { Secret, SECRET_MASK } from './secret.js';

/**
 * The names of a schema's properties, as strings; any string when the schema is unknown
 * (e.g. `moduleRef.get(SecretsService)` without a type argument).
 */
export type SecretKey<T> = [keyof T] extends [never] ? string : Extract<keyof T, string>;

/** The type of a schema property, `unknown` when the schema is unknown. */
export type SecretValue<T, K> = K extends keyof T ? T[K] : unknown;

let secretsOfSnapshot: (snapshot: SecretsSnapshot<object>) => ReadonlyMap<string, Secret<unknown>>;

/**
 * @internal The secrets of one version, by name, for `SecretsService.get()`: read there in one
 * step, as a `Map` lookup is (the map is never written after the constructor).
 */
export function secretsOf<T extends object>(
  snapshot: SecretsSnapshot<T>,
): ReadonlyMap<string, Secret<unknown>> {
  return secretsOfSnapshot(snapshot as unknown as SecretsSnapshot<object>);
}

/**
 * One version of the secrets, immutable. Read several keys from one snapshot when they
 * must belong together (a user name and its password): a refresh between two reads
 * cannot mix versions inside a snapshot.
 *
 * @example
 * const s = secrets.snapshot();
 * connect(s.get('DB_USER').reveal(), s.get('DB_PASSWORD').reveal());
 */
export class SecretsSnapshot<T extends object = Record<string, string>> {
  readonly #secrets: ReadonlyMap<string, Secret<unknown>>;
  readonly #metadata: SecretsMetadata;
  readonly #version: number;
  // Built on the first redact(), then reused: the values never change, so neither does it.
  // A private field can be set on a frozen object, and is invisible to inspect and spread.
  #redactor: Redactor | undefined;

  // Doppler's own strings for the values, when a schema transformed them ('03000' became 3000):
  // a log line may quote either form.
  readonly #rawForms: readonly string[];

  // The keys the schema declares, when known: tells an optional key Doppler did not send from
  // a key the schema never declared.
  readonly #declared: ReadonlySet<string> | undefined;

  static {
    secretsOfSnapshot = (snapshot) => snapshot.#secrets;
  }

  constructor(
    values: Readonly<Record<string, unknown>>,
    metadata: SecretsMetadata,
    version = 1,
    rawForms: readonly string[] = [],
    declared?: ReadonlySet<string>,
  ) {
    this.#rawForms = rawForms;
    this.#declared = declared;
    const map = new Map<string, Secret<unknown>>();
    // Object.keys and a read per key: Object.entries costs several times more on a set of
    // thousands of keys (V8 holds such an object as a dictionary).
    for (const key of Object.keys(values)) {
      const value = values[key];
      map.set(key, value instanceof Secret ? value : new Secret(value));
    }
    this.#secrets = map;
    this.#metadata = Object.freeze({ ...metadata });
    this.#version = version;
    Object.freeze(this);
  }

  /**
   * The masked secret for `key`, typed as the schema declares it.
   *
   * @throws {DopplerError} `DOPPLER_SECRET_NOT_DECLARED` when the schema does not declare `key`.
   * @throws {DopplerError} `DOPPLER_SECRET_NOT_SENT` for a key the schema declares as optional
   *   that this version does not hold (check with {@link has}).
   */
  get<K extends SecretKey<T>>(key: K): Secret<SecretValue<T, K>> {
    const secret = this.#secrets.get(key);
    if (secret === undefined) {
      if (this.#declared?.has(key)) throw secretNotSent(key, this.#metadata);
      throw secretNotDeclared(key);
    }
    return secret as Secret<SecretValue<T, K>>;
  }

  /** Whether this version holds `key`. */
  has(key: string): key is SecretKey<T> {
    return this.#secrets.has(key);
  }

  /** Every key of this version. */
  keys(): SecretKey<T>[] {
    return [...this.#secrets.keys()] as SecretKey<T>[];
  }

  /** Project, config, source and time of this version. */
  get metadata(): SecretsMetadata {
    return this.#metadata;
  }

  /** Counts the versions this process has held: 1 at bootstrap, +1 per applied change. */
  get version(): number {
    return this.#version;
  }

  /**
   * `text` with every value of this version masked: each value at least 4 characters long
   * (`REDACT_MIN_LENGTH`), of any size, as written plain (`String(value)` for a number), as
   * escaped inside JSON or `util.inspect` output (twice at most), across the pieces inspect
   * breaks a multi-line string into, and as much of it as inspect kept of a string it cut
   * (from 4 characters on), becomes {@link SECRET_MASK}. Values that overlap in the text
   * become one mask. Shorter values, booleans and `null` are left alone.
   *
   * The redactor is built on the first call and kept with this version, in time linear in
   * the values' size; later calls take time linear in the length of `text` and return it
   * unchanged (the same string) when it holds no secret. Never throws: if masking fails,
   * the result is the mask alone, never `text`.
   *
   * @example
   * snapshot.redact(`GET ${url}?key=${snapshot.get('API_KEY').reveal()}`); // '...?key=**********'
   */
  redact(text: string): string {
    this.#redactor ??= createRedactor([
      ...[...this.#secrets.values()].map((secret) => secret.reveal()),
      ...this.#rawForms,
    ]);
    return this.#redactor(text);
  }

  /** A printable view: names with masks, plus the metadata. */
  toJSON(): { metadata: SecretsMetadata; version: number; secrets: Record<string, string> } {
    const secrets: Record<string, string> = {};
    for (const key of this.#secrets.keys()) secrets[key] = SECRET_MASK;
    return { metadata: this.#metadata, version: this.#version, secrets };
  }

  [inspect.custom](): string {
    return `SecretsSnapshot ${inspect(this.toJSON(), { depth: 3 })}`;
  }
}
