import type { DopplerScope } from '../core/scope.js';

/** Options of a {@link FallbackStore}. */
export interface FallbackStoreOptions {
  /** Path of the fallback file. A relative path is resolved against the working directory once, at construction. */
  readonly path: string;
  /**
   * Passphrase the file is encrypted with, already resolved by the caller. It is kept in a
   * private field and never appears in a message, an error or `util.inspect` output.
   */
  readonly passphrase: string;
  /**
   * When given, a file written for another project or config is refused. Only the fields
   * given are compared, so `{ project: 'shop' }` accepts any config of `shop`.
   * @default undefined (any scope is accepted)
   */
  readonly expectedScope?: DopplerScope;
  /**
   * A file older than this many milliseconds is refused with `DOPPLER_FALLBACK_EXPIRED`.
   * @default undefined (no limit)
   */
  readonly maxAgeMs?: number;
  /**
   * PBKDF2-HMAC-SHA256 rounds used when writing. Files are read with the rounds they
   * declare, within the same 1,000..1,000,000 bound.
   * @default 500000 (as the Doppler CLI)
   */
  readonly rounds?: number;
  /**
   * Clock in epoch milliseconds, for tests.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** What {@link FallbackStore.read} found in a valid, authentic, fresh-enough file. */
export interface FallbackSnapshot {
  /** The secrets, frozen. */
  readonly secrets: Readonly<Record<string, string>>;
  /** When the file was written: from its authenticated header, or the file's mtime for a Doppler CLI file. */
  readonly writtenAt: Date;
  /** The scope the file was written for; from `DOPPLER_PROJECT`/`DOPPLER_CONFIG` for a Doppler CLI file. */
  readonly scope: DopplerScope;
  /** `nestjs-doppler` for this library's own format, `doppler-cli` for a file written by `doppler run`. */
  readonly format: 'nestjs-doppler' | 'doppler-cli';
}
