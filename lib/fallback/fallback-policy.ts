import type { Logger } from '@nestjs/common';
import { withNote } from '../errors/create-doppler-error.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { deadlinePassed, sleep, type Clock } from '../core/clock.js';
import { formatDuration } from '../core/format-duration.js';
import type { ScopePin } from '../core/scope-pin.js';
import { within } from '../core/within.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import type { ApiSource } from '../sources/api.source.js';
import type {
  LoadedSet,
  LoadOutcome,
  LoadRequest,
  SecretsSource,
  WatchContext,
} from '../sources/secrets-source.js';
import type { ModuleFallbackOptions, ResolvedDopplerOptions } from '../options/resolve-options.js';
import { FallbackStore, type FallbackFile, type FallbackSnapshot } from './fallback-store.js';

/** Failures that mean the token or scope is wrong: the copy on disk must not outlive them. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  'DOPPLER_UNAUTHORIZED',
  'DOPPLER_FORBIDDEN',
  'DOPPLER_NOT_FOUND',
]);

/**
 * How long bootstrap lets the copy's bytes load before it starts the download. Reading a small
 * file takes a millisecond; queueing it (and the key derivation after it) ahead of the download
 * keeps a DNS lookup that hangs in Node's thread pool from starving the copy during an outage.
 * A hung volume only costs this much before the download goes ahead anyway.
 */
const COPY_HEAD_START_MS = 250;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * The encrypted last-known-good copy around the API source. At bootstrap the copy is read beside
 * the download and served only when Doppler is unreachable or failing after the retries, within
 * the same deadline; a copy for another scope (or, with `bindToToken`, another token) is refused.
 * Every set that passes validation is written back (bounded by the caller's deadline); a 401, 403
 * or 404 from Doppler itself, at bootstrap or in a refresh, deletes the copy, as the Doppler CLI
 * does, so a revoked token cannot come back through it.
 */
export class FallbackPolicy implements SecretsSource {
  readonly refreshable = true;
  #store: FallbackStore | undefined;
  #storeFor: string | undefined;
  // The bootstrap read of the copy, which derives the key the first write can reuse.
  #opening: Promise<unknown> | undefined;

  constructor(
    private readonly api: ApiSource,
    private readonly options: ModuleFallbackOptions,
    private readonly pin: ScopePin,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** PBKDF2 rounds of the copies it writes (tests only): tests that are not about the rounds use few. */
    private readonly rounds?: number,
  ) {}

  get description(): string {
    return this.api.description;
  }

  watch(onChange: () => void, context?: WatchContext): () => void {
    return this.api.watch(onChange, context);
  }

  async load(request: LoadRequest): Promise<LoadOutcome> {
    if (request.phase === 'refresh') return this.api.load(request);
    // The token (file) comes first: the store's passphrase may derive from it.
    const session = await this.api.session(request);
    const store = this.storeFor(session.options);
    const loading = store.load();
    const headStart = new AbortController();
    await Promise.race([
      settle(loading),
      sleep(this.clock, COPY_HEAD_START_MS, AbortSignal.any([request.signal, headStart.signal])),
    ]);
    // The copy won the race: drop the head start's timer.
    headStart.abort();
    // Started now, so the key derivation is queued in the thread pool ahead of the download's DNS lookup.
    const copy = settle(loading.then((file) => this.open(store, file, session.options)));
    this.#opening = copy;
    try {
      return await this.api.load(request);
    } catch (error: unknown) {
      if (!(error instanceof DopplerError)) throw error;
      if (FINAL_CODES.has(error.code)) {
        await this.remove(store, request.signal);
        throw error;
      }
      if (!error.retryable) throw error;
      const read = await within(copy, request.signal, () =>
        withNote(
          error,
          'The fallback copy could not be read before the deadline either: its volume may be hung, or Node’s thread pool busy.',
        ),
      );
      if (!read.ok) {
        const why = read.error instanceof DopplerError ? read.error.message : 'it could not be read.';
        throw withNote(error, `The fallback copy could not serve either: ${why}`);
      }
      return { kind: 'set', set: this.served(read.value, error) };
    }
  }

  async accepted(set: LoadedSet, metadata: SecretsMetadata, signal: AbortSignal): Promise<void> {
    const options = this.api.options;
    if (set.origin !== 'doppler-api' || options === undefined) return;
    const store = this.storeFor(options);
    // A write that started before the read's derivation finished would derive a second key:
    // let the read finish first (it is already running, and bounded by the same signal).
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening) await within(opening, signal, () => new Error('deadline')).catch(() => undefined);
    const scope = {
      ...(metadata.project !== undefined && { project: metadata.project }),
      ...(metadata.config !== undefined && { config: metadata.config }),
    };
    const write = store.write(set.raw, scope, {
      ...(this.options.bindToToken && { bindToToken: options.token }),
      signal,
    });
    try {
      await within(write, signal, () => new Error('deadline'));
    } catch (error: unknown) {
      if (signal.aborted && !(error instanceof DopplerError)) {
        if (deadlinePassed(signal)) {
          this.logger.warn(
            'The Doppler fallback copy could not be written before the deadline (a slow or hung volume?); the secrets are loaded all the same.',
          );
        }
        return;
      }
      const why = error instanceof DopplerError ? error.message : 'unknown error';
      this.logger.warn(
        `Could not update the Doppler fallback copy; the secrets are loaded all the same. ${why}`,
      );
    }
  }

  close(): Promise<void> {
    return this.api.close();
  }

  /** PBKDF2 derivations the current store started: at most one per boot. For tests and diagnostics. */
  get derivations(): number {
    return this.#store?.derivations ?? 0;
  }

  async failed(error: DopplerError, signal: AbortSignal): Promise<void> {
    const options = this.api.options;
    if (!FINAL_CODES.has(error.code) || options === undefined) return;
    await this.remove(this.storeFor(options), signal);
  }

  private open(
    store: FallbackStore,
    file: FallbackFile,
    options: ResolvedDopplerOptions,
  ): Promise<FallbackSnapshot> {
    return store.open(file, {
      expectedScope: this.pin.expected,
      token: options.token,
      requireSameToken: this.options.bindToToken,
    });
  }

  private served(copy: FallbackSnapshot, error: DopplerError): LoadedSet {
    const ageMs = Math.max(0, this.clock.now() - copy.writtenAt.getTime());
    this.logger.warn(
      `Doppler is unreachable or failing (${error.code} after ${error.attempts} attempt${error.attempts === 1 ? '' : 's'}); ` +
        `serving the last-known-good secrets from the fallback copy written ${formatDuration(ageMs)} ago.`,
    );
    return {
      raw: copy.secrets,
      origin: 'fallback',
      fetchedAt: copy.writtenAt,
      fallback: { reason: error.code, attempts: error.attempts, ageMs, format: copy.format },
    };
  }

  private async remove(store: FallbackStore, signal: AbortSignal): Promise<void> {
    await within(store.remove(), signal, () => new Error('deadline')).catch(() => undefined);
  }

  /** One store per passphrase: a token file rotation changes a passphrase derived from the token. */
  private storeFor(options: ResolvedDopplerOptions): FallbackStore {
    const fallback = options.fallback;
    if (fallback === undefined) throw new TypeError('FallbackPolicy needs fallback options');
    if (this.#store === undefined || this.#storeFor !== fallback.passphrase) {
      this.#store = new FallbackStore({
        path: fallback.path,
        passphrase: fallback.passphrase,
        ...(fallback.maxAge !== undefined && { maxAgeMs: fallback.maxAge }),
        ...(this.rounds !== undefined && { rounds: this.rounds }),
        now: () => this.clock.now(),
      });
      this.#storeFor = fallback.passphrase;
    }
    return this.#store;
  }
}
