/**
 * PBKDF2 for a simulated fleet: each replica's key derivation costs it the measured time of one
 * derivation on this machine, in virtual time, while the machine computes each distinct key once.
 *
 * Every replica of a fleet restart holds the same copy (same passphrase, salt and rounds), so each
 * would derive the same key on its own core. Running 10,000 real derivations of 500,000 rounds
 * would take the two cores here tens of minutes and would measure their queue, not a replica; so
 * `crypto.pbkdf2` (the Node API the library derives with, looked up at call time) is replaced while
 * the simulation runs: the first call for a given input is computed for real, holding virtual time
 * while it runs, and every call, the first included, answers `chargeMs` of virtual time later.
 */
import crypto, { type BinaryLike } from 'node:crypto';
import type { VirtualClock } from './virtual-clock.js';

type Pbkdf2Callback = (error: Error | null, key: Buffer) => void;

const REAL_PBKDF2 = crypto.pbkdf2;

function derive(password: BinaryLike, salt: BinaryLike, rounds: number, bytes: number, digest: string) {
  return new Promise<Buffer>((resolve, reject) =>
    REAL_PBKDF2(password, salt, rounds, bytes, digest, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

const asText = (value: BinaryLike): string =>
  typeof value === 'string' ? `s:${value}` : `b:${Buffer.from(value as Uint8Array).toString('hex')}`;

export class ChargedPbkdf2 {
  readonly #keys = new Map<string, Promise<Buffer>>();
  #calls = 0;
  #installed = false;

  constructor(
    private readonly clock: VirtualClock,
    /** Virtual milliseconds each derivation costs the replica that asks for it. */
    readonly chargeMs: number,
  ) {}

  /** Derivations the replicas asked for (each charged `chargeMs`). */
  get calls(): number {
    return this.#calls;
  }

  /** Distinct keys computed for real. */
  get computed(): number {
    return this.#keys.size;
  }

  install(): void {
    if (this.#installed) return;
    this.#installed = true;
    const charged = (
      password: BinaryLike,
      salt: BinaryLike,
      rounds: number,
      bytes: number,
      digest: string,
      callback: Pbkdf2Callback,
    ): void => {
      this.#calls++;
      const id = [digest, rounds, bytes, asText(salt), asText(password)].join('|');
      let key = this.#keys.get(id);
      if (key === undefined) {
        key = this.clock.track(() => derive(password, salt, rounds, bytes, digest));
        this.#keys.set(id, key);
      }
      key.then(
        (derived) => this.clock.schedule(this.chargeMs, () => callback(null, Buffer.from(derived))),
        (error: Error) => this.clock.schedule(this.chargeMs, () => callback(error, Buffer.alloc(0))),
      );
    };
    (crypto as { pbkdf2: unknown }).pbkdf2 = charged;
  }

  uninstall(): void {
    if (!this.#installed) return;
    this.#installed = false;
    (crypto as { pbkdf2: unknown }).pbkdf2 = REAL_PBKDF2;
  }
}

/** One real derivation as the library makes it (500,000 rounds, SHA-256, 32 bytes): CPU and wall ms. */
export async function measurePbkdf2(
  runs = 3,
  rounds = 500_000,
): Promise<{ cpuMs: number[]; wallMs: number[] }> {
  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const salt = crypto.randomBytes(16);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await derive('bench-passphrase', salt, rounds, 32, 'sha256');
    wallMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { cpuMs, wallMs };
}
