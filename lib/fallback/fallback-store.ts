import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { checkFallbackMaxAge } from '../options/check-number.js';
import { readSmallFile } from '../options/read-small-file.js';
import { writeFileAtomic } from './atomic-write.js';
import { looksLikeCli, openCli, parseCli } from './doppler-cli-format.js';
import {
  errnoCode,
  fallbackExpired,
  fallbackInvalid,
  fallbackMissing,
  fallbackWriteFailed,
} from './fallback-failures.js';
import { parseSecretsJson, serializeSecrets } from './fallback-secrets-json.js';
import { describeScope, type DopplerScope } from '../core/scope.js';
import type { FallbackSnapshot, FallbackStoreOptions } from './fallback-store.interfaces.js';
import {
  DEFAULT_PBKDF2_ROUNDS,
  DerivedKeyCache,
  isAcceptedRounds,
  MAX_PBKDF2_ROUNDS,
  MIN_PBKDF2_ROUNDS,
} from './key-derivation.js';
import {
  looksNative,
  openNative,
  parseNative,
  sealNative,
  tokenFingerprint,
  type CopyBinding,
} from './native-format.js';
import { timingSafeEqual } from 'node:crypto';

function timingSafeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type { FallbackSnapshot, FallbackStoreOptions } from './fallback-store.interfaces.js';

/** A fallback file's bytes as read, not yet parsed or decrypted. */
export interface FallbackFile {
  readonly data: Buffer;
  readonly mtimeMs: number;
}

/** What a copy must satisfy at this read, beyond being authentic and fresh enough. */
export interface FallbackReadCheck {
  /** Refuse a copy for another project or config (fields given only). @default the store's expectedScope */
  readonly expectedScope?: DopplerScope;
  /** The token in use: a copy bound to a token (`binding: token`) opens only for that one. */
  readonly token?: string;
  /** Refuse a copy that is not bound to {@link token} (`fallback.bindToToken`). */
  readonly requireSameToken?: boolean;
}

/** Secrets files are kilobytes; anything this large is not one, and is not read into memory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const WRONG_KEY =
  'could not be decrypted: it was written with another passphrase, or it was modified or damaged since';
const CLI_WRONG_KEY =
  'could not be decrypted as a Doppler CLI fallback file: the passphrase differs from the one the CLI used ' +
  '(DOPPLER_PASSPHRASE or --passphrase if set, else "<token>:<project>:<config>", else the token), or the file was modified or damaged';
const CHECK_PASSPHRASE = `Check the passphrase, or delete the file; it is rewritten after the next successful fetch from Doppler.`;

/**
 * Keeps an encrypted last-known-good copy of the secrets, to start from when Doppler cannot
 * be reached. Files are AES-256-GCM encrypted under a PBKDF2-HMAC-SHA256 key, written
 * atomically with mode 0600, and refused, never half-used, when missing, damaged, tampered
 * with, encrypted with another passphrase, written for another project/config, or too old.
 *
 * Doppler CLI compatibility: `read()` also accepts a fallback file written by `doppler run`
 * (`--fallback`; formats `4:base64:<rounds>:...` and the CLI's older `base64:`/`hex:`
 * variants) when given the passphrase the CLI used: `DOPPLER_PASSPHRASE`, else
 * `<token>:<project>:<config>`, else the token. For such a file the scope is taken from the
 * `DOPPLER_PROJECT`/`DOPPLER_CONFIG` secrets inside it and the age from its mtime. `write()`
 * always writes this library's own format, which the CLI cannot read; point the two at
 * different paths if both are used.
 *
 * Errors never contain the passphrase, a secret value or the file's contents.
 *
 * @example
 * const store = new FallbackStore({
 *   path: '/var/lib/my-app/doppler-fallback',
 *   passphrase: process.env.DOPPLER_FALLBACK_PASSPHRASE!,
 *   expectedScope: { project: 'shop', config: 'prd' },
 *   maxAgeMs: 7 * 24 * 60 * 60 * 1000,
 * });
 * await store.write(secrets, { project: 'shop', config: 'prd' }); // after each successful fetch
 * const { secrets, writtenAt } = await store.read();               // when Doppler is unreachable
 */
export class FallbackStore {
  /** Absolute path of the file. */
  readonly path: string;
  readonly #keys: DerivedKeyCache;
  readonly #rounds: number;
  readonly #expectedScope: DopplerScope | undefined;
  readonly #maxAgeMs: number | undefined;
  readonly #now: () => number;

  /**
   * @throws {DopplerConfigurationError} when `path` or `passphrase` is empty, `rounds` is
   *   not an integer in 1000..1000000, or `maxAgeMs` is not a whole number of 1 or more
   *   (the rule of the `fallback.maxAge` option).
   */
  constructor(options: FallbackStoreOptions) {
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new DopplerConfigurationError('The fallback store needs a non-empty `path`.');
    }
    if (typeof options.passphrase !== 'string' || options.passphrase.length === 0) {
      throw new DopplerConfigurationError(
        'The fallback store needs a non-empty `passphrase` to encrypt the file.',
      );
    }
    const rounds = options.rounds ?? DEFAULT_PBKDF2_ROUNDS;
    if (!isAcceptedRounds(rounds)) {
      throw new DopplerConfigurationError(
        `The fallback store's \`rounds\` must be an integer from ${MIN_PBKDF2_ROUNDS} to ${MAX_PBKDF2_ROUNDS}; leave it unset for ${DEFAULT_PBKDF2_ROUNDS}.`,
      );
    }
    // The same rule as the fallback.maxAge option it comes from.
    const maxAgeMs = options.maxAgeMs === undefined ? undefined : checkFallbackMaxAge(options.maxAgeMs);
    this.path = resolve(options.path);
    this.#keys = new DerivedKeyCache(options.passphrase);
    this.#rounds = rounds;
    this.#expectedScope = options.expectedScope;
    this.#maxAgeMs = maxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  /** How many PBKDF2 key derivations this store has started; for tests and diagnostics. */
  get derivations(): number {
    return this.#keys.derivations;
  }

  /**
   * Reads, authenticates and checks the file.
   *
   * @throws {DopplerError} `DOPPLER_FALLBACK_MISSING` when there is no file;
   *   `DOPPLER_FALLBACK_INVALID` when it is unreadable, damaged, tampered with, encrypted with
   *   another passphrase, asks for out-of-bounds KDF rounds, or was written for another
   *   scope; `DOPPLER_FALLBACK_EXPIRED` when it is older than `maxAgeMs`.
   */
  async read(check: FallbackReadCheck = {}): Promise<FallbackSnapshot> {
    return this.open(await this.load(), check);
  }

  /**
   * Reads the file's bytes, no more: never blocks on a FIFO or device (opened non-blocking and
   * refused unless a regular file), never reads more than the size cap. A hung volume can hold it;
   * callers bound it with their deadline.
   *
   * @throws {DopplerError} `DOPPLER_FALLBACK_MISSING` or `DOPPLER_FALLBACK_INVALID`.
   */
  async load(): Promise<FallbackFile> {
    const read = await readSmallFile(this.path, MAX_FILE_BYTES);
    if (read.ok) return { data: read.data, mtimeMs: read.mtimeMs };
    switch (read.problem) {
      case 'missing':
        throw fallbackMissing(this.path);
      case 'not-a-file':
        throw fallbackInvalid(this.path, 'is not a regular file', 'Point the fallback path at a file.');
      case 'too-large':
        throw fallbackInvalid(this.path, `is over ${MAX_FILE_BYTES} bytes, too large to be a fallback file`);
      case 'unreadable':
        throw fallbackInvalid(
          this.path,
          `cannot be read${read.code === undefined ? '' : ` (${read.code})`}`,
          'Check its owner and permissions, or delete it; it is rewritten after the next successful fetch from Doppler.',
          read.code,
        );
    }
  }

  /**
   * Authenticates and checks bytes from {@link load}: derives the key (once per salt and
   * rounds), decrypts, and checks scope, token binding and age.
   *
   * @throws {DopplerError} as {@link read}.
   */
  async open(file: FallbackFile, check: FallbackReadCheck = {}): Promise<FallbackSnapshot> {
    const { data, mtimeMs } = file;
    const expected = check.expectedScope ?? this.#expectedScope;
    if (looksNative(data)) return this.#readNative(data, expected, check);
    if (looksLikeCli(data)) {
      if (check.requireSameToken) {
        throw fallbackInvalid(
          this.path,
          'is a Doppler CLI fallback file, which is not bound to a token, and fallback.bindToToken asks for a copy written with this token',
        );
      }
      return this.#readCli(data, mtimeMs, expected);
    }
    throw fallbackInvalid(
      this.path,
      'is neither a nestjs-doppler fallback file nor a Doppler CLI one; check the path, or delete the file if it is a damaged fallback file',
      'It is rewritten after the next successful fetch from Doppler.',
    );
  }

  /**
   * Encrypts `secrets` and atomically replaces the file with them. A crash at any point
   * leaves the previous file intact. The key is derived once per store and reused, with a
   * fresh nonce every write.
   *
   * @param scope Project and config the secrets belong to, recorded (authenticated) in the file.
   * @throws {DopplerError} `DOPPLER_FALLBACK_WRITE_FAILED` when the secrets are not an
   *   object of strings or the file cannot be written; `reason` holds the errno code.
   */
  async write(
    secrets: Readonly<Record<string, string>>,
    scope: DopplerScope,
    options: { readonly bindToToken?: string; readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    for (const field of ['project', 'config'] as const) {
      const value = (scope as DopplerScope | undefined)?.[field];
      if (value !== undefined && typeof value !== 'string') {
        throw fallbackWriteFailed(this.path, `was not written: the scope's ${field} is not a string`);
      }
    }
    const plaintext = serializeSecrets(this.path, secrets);
    let data: Buffer;
    try {
      const { salt, key } = await this.#keys.forWrite(this.#rounds);
      data = sealNative({
        key,
        salt,
        rounds: this.#rounds,
        scope,
        ...(options.bindToToken !== undefined && { bindToToken: options.bindToToken }),
        writtenAt: new Date(this.#now()),
        plaintext,
      });
    } catch {
      throw fallbackWriteFailed(this.path, 'was not written: the secrets could not be encrypted');
    } finally {
      plaintext.fill(0);
    }
    try {
      await writeFileAtomic(this.path, data, options.signal);
    } catch (error) {
      throw fallbackWriteFailed(this.path, 'could not be written', errnoCode(error));
    }
  }

  /**
   * Deletes the file, e.g. when Doppler says the token was revoked. No error when it is absent.
   *
   * @throws {DopplerError} `DOPPLER_FALLBACK_WRITE_FAILED` when it exists but cannot be deleted.
   */
  async remove(): Promise<void> {
    try {
      await unlink(this.path);
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOENT') throw fallbackWriteFailed(this.path, 'could not be deleted', code);
    }
  }

  async #readNative(
    data: Buffer,
    expected: DopplerScope | undefined,
    check: FallbackReadCheck,
  ): Promise<FallbackSnapshot> {
    const file = parseNative(this.path, data);
    // Before decrypting: a file for another scope usually has another passphrase too, and
    // "wrong project" is the more useful thing to say. Authentication still follows.
    this.#checkScope(file.scope, 'its header says', expected);
    this.#checkBinding(file.binding, file.salt, check);
    const key = await this.#keys.forRead(file.salt, file.rounds);
    const plaintext = openNative(file, key);
    if (plaintext === undefined) throw fallbackInvalid(this.path, WRONG_KEY, CHECK_PASSPHRASE);
    if (file.rounds === this.#rounds) this.#keys.remember(file.salt, file.rounds, key);
    try {
      const secrets = parseSecretsJson(this.path, plaintext);
      this.#checkAge(file.writtenAt.getTime(), `written at ${file.writtenAt.toISOString()}`);
      return Object.freeze({
        secrets,
        writtenAt: file.writtenAt,
        scope: Object.freeze(file.scope),
        format: 'nestjs-doppler',
      });
    } finally {
      plaintext.fill(0);
    }
  }

  async #readCli(
    data: Buffer,
    mtimeMs: number,
    expected: DopplerScope | undefined,
  ): Promise<FallbackSnapshot> {
    const file = parseCli(this.path, data);
    // The mtime is all there is, and checking it first spares a derivation.
    this.#checkAge(mtimeMs, `last modified ${new Date(mtimeMs).toISOString()}`);
    const plaintext = openCli(file, await this.#keys.forRead(file.salt, file.rounds));
    if (plaintext === undefined) throw fallbackInvalid(this.path, CLI_WRONG_KEY, CHECK_PASSPHRASE);
    try {
      const secrets = parseSecretsJson(this.path, plaintext);
      const scope: DopplerScope = Object.freeze({
        ...(secrets['DOPPLER_PROJECT'] === undefined ? {} : { project: secrets['DOPPLER_PROJECT'] }),
        ...(secrets['DOPPLER_CONFIG'] === undefined ? {} : { config: secrets['DOPPLER_CONFIG'] }),
      });
      this.#checkScope(scope, 'its DOPPLER_PROJECT/DOPPLER_CONFIG secrets say', expected);
      return Object.freeze({ secrets, writtenAt: new Date(mtimeMs), scope, format: 'doppler-cli' });
    } finally {
      plaintext.fill(0);
    }
  }

  #checkBinding(binding: CopyBinding, salt: Buffer, check: FallbackReadCheck): void {
    if (binding.kind === 'scope') {
      if (!check.requireSameToken) return;
      throw fallbackInvalid(
        this.path,
        'is not bound to a token, and fallback.bindToToken asks for a copy written with the token in use',
        'It is rewritten, bound to this token, after the next successful fetch from Doppler; or delete it.',
      );
    }
    if (
      check.token !== undefined &&
      timingSafeEqualText(tokenFingerprint(salt, check.token), binding.fingerprint)
    )
      return;
    throw fallbackInvalid(
      this.path,
      'was written with another token and is bound to it (fallback.bindToToken), so this token may not read it',
      'It is rewritten after the next successful fetch from Doppler with this token; or delete it.',
    );
  }

  #checkScope(actual: DopplerScope, source: string, expected: DopplerScope | undefined): void {
    if (expected === undefined) return;
    const fields = (['project', 'config'] as const).filter((field) => expected[field] !== undefined);
    if (fields.every((field) => actual[field] === expected[field])) return;
    throw fallbackInvalid(
      this.path,
      `holds secrets for ${describeScope(actual, '', fields)} (${source}), but this app expects ${describeScope(expected, '', fields)}; it is not used, so another environment's secrets are never loaded`,
      'Point the fallback path at a file of its own for each project/config, or delete this one; it is rewritten after the next successful fetch from Doppler.',
    );
  }

  #checkAge(writtenAtMs: number, basis: string): void {
    if (this.#maxAgeMs === undefined) return;
    // A file dated in the future (clock change) counts as new rather than as invalid.
    const age = Math.max(0, this.#now() - writtenAtMs);
    if (age > this.#maxAgeMs) throw fallbackExpired(this.path, age, this.#maxAgeMs, basis);
  }
}
