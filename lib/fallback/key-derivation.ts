import { pbkdf2, randomBytes } from 'node:crypto';

/** The Doppler CLI's rounds for new files (`models.Pbkdf2Rounds`); about 0.2 s on a current CPU. */
export const DEFAULT_PBKDF2_ROUNDS = 500_000;
/** Below this a file is refused: no writer we know uses fewer, and fewer make guessing cheap. */
export const MIN_PBKDF2_ROUNDS = 1_000;
/**
 * Above this a file is refused before deriving anything: rounds come from the file, and a
 * tampered file must not be able to stall start-up (2e9 rounds would take over ten minutes).
 */
export const MAX_PBKDF2_ROUNDS = 1_000_000;
/** AES-256 key length. */
export const KEY_BYTES = 32;
/** Salt length of files this library writes (the CLI uses 8; 16 is NIST SP 800-132's minimum). */
export const SALT_BYTES = 16;

export function isAcceptedRounds(rounds: unknown): rounds is number {
  return (
    Number.isSafeInteger(rounds) &&
    (rounds as number) >= MIN_PBKDF2_ROUNDS &&
    (rounds as number) <= MAX_PBKDF2_ROUNDS
  );
}

/** PBKDF2-HMAC-SHA256 on libuv's thread pool, so the event loop keeps serving while it runs. */
function derive(passphrase: string, salt: Buffer, rounds: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(passphrase, salt, rounds, KEY_BYTES, 'sha256', (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

interface CachedKey {
  readonly salt: Buffer;
  readonly rounds: number;
  readonly key: Promise<Buffer>;
}

/**
 * Derives keys from one passphrase and keeps the last good one. Writes reuse its salt (a
 * fresh nonce per write keeps GCM safe), so a process that writes after every fetch derives
 * once; a key that just opened this library's file is kept too, so the first write after a
 * read derives nothing. One entry is enough: a store only ever handles one file.
 */
export class DerivedKeyCache {
  readonly #passphrase: string;
  #entry: CachedKey | undefined;
  #derivations = 0;

  constructor(passphrase: string) {
    this.#passphrase = passphrase;
  }

  /** How many PBKDF2 derivations were started. */
  get derivations(): number {
    return this.#derivations;
  }

  /** A salt and key to write with, reusing the cached pair when it was made with `rounds`. */
  async forWrite(rounds: number): Promise<{ salt: Buffer; key: Buffer }> {
    let entry = this.#entry;
    if (!entry || entry.rounds !== rounds || entry.salt.length !== SALT_BYTES) {
      const salt = randomBytes(SALT_BYTES);
      const fresh: CachedKey = { salt, rounds, key: this.#derive(salt, rounds) };
      // Cached as a promise so concurrent writes share one derivation.
      this.#entry = entry = fresh;
      fresh.key.catch(() => {
        if (this.#entry === fresh) this.#entry = undefined;
      });
    }
    return { salt: entry.salt, key: await entry.key };
  }

  /** The key for a file's salt and rounds; not cached until {@link remember} says it worked. */
  forRead(salt: Buffer, rounds: number): Promise<Buffer> {
    const entry = this.#entry;
    if (entry && entry.rounds === rounds && entry.salt.equals(salt)) return entry.key;
    return this.#derive(salt, rounds);
  }

  /** Keeps a key that has just authenticated a file. */
  remember(salt: Buffer, rounds: number, key: Buffer): void {
    this.#entry = { salt: Buffer.from(salt), rounds, key: Promise.resolve(key) };
  }

  #derive(salt: Buffer, rounds: number): Promise<Buffer> {
    this.#derivations += 1;
    return derive(this.#passphrase, salt, rounds);
  }
}
