import { Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { DopplerClient } from './client/doppler-client.js';
import {
  DopplerConfigurationError,
  DopplerError,
  DopplerResponseError,
  withNote,
} from './client/doppler.errors.js';
import { downloadWithRetries } from './client/download-with-retries.js';
import { LOGGER_CONTEXT } from './doppler.constants.js';
import { FallbackStore, type FallbackSnapshot } from './fallback/fallback-store.js';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';
import type {
  FallbackMetadata,
  SecretsMetadata,
  SecretsSource,
} from './interfaces/secrets-metadata.interface.js';
import type { SecretsChange } from './interfaces/secrets-status.interface.js';
import { APPLY_SNAPSHOT, RECORD_CHECK, SecretsService } from './secrets.service.js';
import { dopplerScopeOf, rawFormsOf } from './utils/raw-secrets.js';
import { resolveOptions, type ResolvedDopplerOptions } from './utils/resolve-options.js';
import { validateSecrets } from './validation/validate-secrets.js';

/** Failures that mean the token or scope is wrong: the copy on disk must not outlive them. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  'DOPPLER_UNAUTHORIZED',
  'DOPPLER_FORBIDDEN',
  'DOPPLER_NOT_FOUND',
]);

interface RawSecrets {
  readonly raw: Readonly<Record<string, string>>;
  readonly source: SecretsSource;
  readonly fetchedAt: Date;
  readonly etag?: string;
  readonly fallback?: FallbackMetadata;
}

/** What one refresh cycle did. */
export type RefreshResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'changed'; readonly change: SecretsChange }
  | { readonly kind: 'failed'; readonly code: DopplerError['code']; readonly retryAfterMs?: number }
  /** The application is shutting down; no request was made. */
  | { readonly kind: 'stopped' };

/**
 * Fetches, validates and applies secrets: once at bootstrap, then on every refresh. Holds
 * the current options (the token changes when its file is rotated), the client and the
 * fallback store. Everything it logs is names, codes and counts.
 */
export class SecretsLoader {
  #resolved: ResolvedDopplerOptions;
  #client: DopplerClient;
  #store: FallbackStore | undefined;
  /** Raw strings of the set the service holds, to tell what a refresh changed. */
  #currentRaw: Readonly<Record<string, string>> = {};

  private constructor(
    private readonly options: DopplerModuleOptions,
    resolved: ResolvedDopplerOptions,
    private readonly logger: Logger,
  ) {
    this.#resolved = resolved;
    this.#client = new DopplerClient(resolved);
    this.#store = createStore(resolved);
  }

  /**
   * Checks the options (reading the token file when one is given).
   *
   * @throws {DopplerConfigurationError} when an option is missing or wrong.
   */
  static async create(
    options: DopplerModuleOptions,
    logger = new Logger(LOGGER_CONTEXT),
  ): Promise<SecretsLoader> {
    return new SecretsLoader(options, resolveOptions(options, await readTokenFile(options)), logger);
  }

  get resolved(): ResolvedDopplerOptions {
    return this.#resolved;
  }

  /**
   * The bootstrap path, in one direction: download (with retries, within the deadline),
   * the fallback copy only if Doppler is unreachable or failing, validation, the service,
   * then a fresh fallback copy.
   *
   * @throws {DopplerError} for a failed download the fallback could not cover.
   * @throws {SecretsValidationError} when the secrets do not match the schema.
   */
  async bootstrap(): Promise<SecretsService> {
    const started = performance.now();
    // Reading (and deriving the key of) the copy starts now, beside the download, so
    // serving it after a failed download costs no extra time, and the write after a good
    // one reuses the key.
    const copy = this.#store ? settle(this.#store.read()) : undefined;
    const fetched = await this.fetchAtBootstrap(copy);
    const { values, metadata } = await this.validate(fetched);
    const service = new SecretsService(values, metadata, rawFormsOf(values, fetched.raw));
    this.#currentRaw = fetched.raw;
    if (fetched.source === 'doppler-api') await this.writeFallback(fetched.raw, metadata);
    const from = fetched.source === 'fallback' ? 'the fallback copy' : 'Doppler';
    this.logger.log(
      `Loaded ${service.keys().length} secrets from ${from} (${describeScope(metadata)}) in ${Math.round(performance.now() - started)} ms`,
    );
    return service;
  }

  /**
   * One refresh cycle: re-read the token file, ask Doppler with the current ETag, and on
   * a changed set validate it whole before swapping it in. A failure keeps the current set.
   * Never throws: the outcome is recorded on the service and returned.
   */
  async refresh(service: SecretsService, signal?: AbortSignal): Promise<RefreshResult> {
    try {
      await this.reloadToken();
      const etag = service.status.etag;
      const download = await this.#client.download({
        ...(etag !== undefined && { etag }),
        ...(signal && { signal }),
      });
      if (download.kind === 'not-modified') {
        service[RECORD_CHECK]({ ok: true, etag: download.etag });
        return { kind: 'unchanged' };
      }
      const fetched: RawSecrets = {
        raw: download.secrets,
        source: 'doppler-api',
        fetchedAt: new Date(),
        ...(download.etag !== undefined && { etag: download.etag }),
      };
      const { values, metadata } = await this.validate(fetched);
      const diff = diffNames(this.#currentRaw, fetched.raw, Object.keys(values), service.keys());
      this.#currentRaw = fetched.raw;
      service[RECORD_CHECK]({ ok: true, ...(download.etag !== undefined && { etag: download.etag }) });
      await this.writeFallback(fetched.raw, metadata);
      if (
        diff.changed.length + diff.added.length + diff.removed.length === 0 &&
        service.metadata.source !== 'fallback'
      ) {
        return { kind: 'unchanged' };
      }
      const change = service[APPLY_SNAPSHOT](
        values,
        metadata,
        { ...diff, ...(download.etag !== undefined && { etag: download.etag }), at: new Date() },
        rawFormsOf(values, fetched.raw),
      );
      this.logger.log(`Secrets refreshed to version ${change.version}: ${describeChange(change)}`);
      return { kind: 'changed', change };
    } catch (error: unknown) {
      const code = error instanceof DopplerError ? error.code : 'DOPPLER_UNREACHABLE';
      const retryAfterMs = error instanceof DopplerError ? error.retryAfterMs : undefined;
      service[RECORD_CHECK]({ ok: false, code });
      if (!signal?.aborted) {
        const why = error instanceof DopplerError ? error.message : 'an unexpected error';
        this.logger.warn(`Refreshing secrets failed; the current set is kept. ${why}`);
      }
      return { kind: 'failed', code, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    }
  }

  private async fetchAtBootstrap(copy: Promise<Settled<FallbackSnapshot>> | undefined): Promise<RawSecrets> {
    try {
      const download = await downloadWithRetries(this.#client, this.#resolved);
      if (download.kind !== 'secrets') {
        // Only reachable if a server answers 304 to a request that sent no ETag.
        throw new DopplerResponseError(
          'DOPPLER_UNEXPECTED_STATUS',
          'Doppler answered 304 Not Modified to a request that named no version. Check the apiUrl option and any proxy in between.',
          { status: 304 },
        );
      }
      return {
        raw: download.secrets,
        source: 'doppler-api',
        fetchedAt: new Date(),
        ...(download.etag !== undefined && { etag: download.etag }),
      };
    } catch (error: unknown) {
      const store = this.#store;
      if (!store || !copy || !(error instanceof DopplerError)) throw error;
      if (FINAL_CODES.has(error.code)) {
        // As the Doppler CLI does: a revoked or re-scoped token must not keep serving old secrets.
        await store.remove().catch(() => undefined);
        throw error;
      }
      if (!error.retryable) throw error;
      const read = await copy;
      if (!read.ok) {
        const why = read.error instanceof DopplerError ? read.error.message : 'it could not be read.';
        throw withNote(error, `The fallback copy could not serve either: ${why}`);
      }
      const ageMs = Math.max(0, Date.now() - read.value.writtenAt.getTime());
      this.logger.warn(
        `Doppler is unreachable or failing (${error.code} after ${error.attempts} attempt${error.attempts === 1 ? '' : 's'}); ` +
          `serving the last-known-good secrets from the fallback copy written ${formatAge(ageMs)} ago.`,
      );
      return {
        raw: read.value.secrets,
        source: 'fallback',
        fetchedAt: read.value.writtenAt,
        fallback: { reason: error.code, attempts: error.attempts, ageMs, format: read.value.format },
      };
    }
  }

  private async validate(
    fetched: RawSecrets,
  ): Promise<{ values: Record<string, unknown>; metadata: SecretsMetadata }> {
    const { scope, environment } = dopplerScopeOf(fetched.raw, this.#resolved);
    const values = await validateSecrets(this.#resolved.schema, fetched.raw, scope);
    const metadata: SecretsMetadata = {
      ...scope,
      ...(environment && { environment }),
      source: fetched.source,
      fetchedAt: fetched.fetchedAt,
      ...(fetched.etag !== undefined && { etag: fetched.etag }),
      ...(fetched.fallback !== undefined && { fallback: fetched.fallback }),
    };
    return { values, metadata };
  }

  private async writeFallback(
    raw: Readonly<Record<string, string>>,
    metadata: SecretsMetadata,
  ): Promise<void> {
    if (!this.#store) return;
    const scope = {
      ...(metadata.project !== undefined && { project: metadata.project }),
      ...(metadata.config !== undefined && { config: metadata.config }),
    };
    await this.#store.write(raw, scope).catch((error: unknown) => {
      const why = error instanceof DopplerError ? error.message : 'unknown error';
      this.logger.warn(
        `Could not update the Doppler fallback copy; the secrets are loaded all the same. ${why}`,
      );
    });
  }

  /** A rotated token file means new credentials: a new client (and fallback key) from now on. */
  private async reloadToken(): Promise<void> {
    if (this.options.tokenFile === undefined) return;
    const token = await readTokenFile(this.options);
    if (token?.trim() === this.#resolved.token) return;
    this.#resolved = resolveOptions(this.options, token);
    this.#client = new DopplerClient(this.#resolved);
    this.#store = createStore(this.#resolved);
    this.logger.log('The token file changed; using the new token from now on.');
  }
}

async function readTokenFile(options: DopplerModuleOptions): Promise<string | undefined> {
  const path = options?.tokenFile;
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    throw new DopplerConfigurationError(
      `The token file ${path} could not be read (${typeof code === 'string' ? code : 'error'}). Check the path and that the secret is mounted.`,
    );
  }
}

/** Names whose exposed value changed, appeared or disappeared. */
function diffNames(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  nextKeys: readonly string[],
  currentKeys: readonly string[],
): Pick<SecretsChange, 'changed' | 'added' | 'removed'> {
  const current = new Set(currentKeys);
  const next = new Set(nextKeys);
  return {
    changed: nextKeys.filter((k) => current.has(k) && before[k] !== after[k]),
    added: nextKeys.filter((k) => !current.has(k)),
    removed: currentKeys.filter((k) => !next.has(k)),
  };
}

function createStore(resolved: ResolvedDopplerOptions): FallbackStore | undefined {
  const fallback = resolved.fallback;
  if (!fallback) return undefined;
  return new FallbackStore({
    path: fallback.path,
    passphrase: fallback.passphrase,
    expectedScope: {
      ...(resolved.project !== undefined && { project: resolved.project }),
      ...(resolved.config !== undefined && { config: resolved.config }),
    },
    ...(fallback.maxAge !== undefined && { maxAgeMs: fallback.maxAge }),
  });
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects, so a copy nobody needs cannot become an unhandled rejection. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function formatAge(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function describeScope(metadata: SecretsMetadata): string {
  return metadata.project && metadata.config
    ? `project ${metadata.project}, config ${metadata.config}`
    : 'service token scope';
}

function describeChange(change: SecretsChange): string {
  const parts = [
    change.changed.length > 0 && `changed ${change.changed.join(', ')}`,
    change.added.length > 0 && `added ${change.added.join(', ')}`,
    change.removed.length > 0 && `removed ${change.removed.join(', ')}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'back on Doppler after the fallback copy';
}
