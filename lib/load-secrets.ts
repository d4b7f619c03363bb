import { Logger } from '@nestjs/common';
import { DopplerClient } from './client/doppler-client.js';
import { DopplerError, DopplerResponseError, withNote } from './client/doppler.errors.js';
import { downloadWithRetries } from './client/download-with-retries.js';
import { LOGGER_CONTEXT } from './doppler.constants.js';
import { FallbackStore, type FallbackSnapshot } from './fallback/fallback-store.js';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';
import type { FallbackMetadata, SecretsSource } from './interfaces/secrets-metadata.interface.js';
import { SecretsService } from './secrets.service.js';
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

/**
 * The bootstrap path, in one direction: options, download (with retries, within the
 * deadline), the fallback copy only if Doppler is unreachable or failing, validation,
 * the service, then a fresh fallback copy. Everything it logs is names and counts.
 *
 * @throws {DopplerError} for bad options, or a failed download the fallback could not cover.
 * @throws {SecretsValidationError} when the secrets do not match the schema.
 */
export async function loadSecrets(
  options: DopplerModuleOptions,
  logger = new Logger(LOGGER_CONTEXT),
): Promise<SecretsService> {
  const resolved = resolveOptions(options);
  const started = performance.now();
  const store = resolved.fallback && createStore(resolved);
  // Reading (and deriving the key of) the copy starts now, beside the download, so serving
  // it after a failed download costs no extra time, and the write after a good one reuses the key.
  const copy = store ? settle(store.read()) : undefined;

  const fetched = await fetchRaw(resolved, store, copy, logger);
  const project = fetched.raw['DOPPLER_PROJECT'] ?? resolved.project;
  const config = fetched.raw['DOPPLER_CONFIG'] ?? resolved.config;
  const environment = fetched.raw['DOPPLER_ENVIRONMENT'];
  const scope = { ...(project && { project }), ...(config && { config }) };
  const values = validateSecrets(resolved.schema, fetched.raw, scope);
  const service = new SecretsService(values, {
    ...scope,
    ...(environment && { environment }),
    source: fetched.source,
    fetchedAt: fetched.fetchedAt,
    ...(fetched.etag !== undefined && { etag: fetched.etag }),
    ...(fetched.fallback !== undefined && { fallback: fetched.fallback }),
  });

  if (store && fetched.source === 'doppler-api') {
    await store.write(fetched.raw, scope).catch((error: unknown) => {
      const why = error instanceof DopplerError ? error.message : 'unknown error';
      logger.warn(`Could not update the Doppler fallback copy; the secrets are loaded all the same. ${why}`);
    });
  }
  const from = fetched.source === 'fallback' ? 'the fallback copy' : 'Doppler';
  logger.log(
    `Loaded ${service.keys().length} secrets from ${from} (${describeScope(project, config)}) in ${Math.round(performance.now() - started)} ms`,
  );
  return service;
}

async function fetchRaw(
  resolved: ResolvedDopplerOptions,
  store: FallbackStore | undefined,
  copy: Promise<Settled<FallbackSnapshot>> | undefined,
  logger: Logger,
): Promise<RawSecrets> {
  try {
    const download = await downloadWithRetries(new DopplerClient(resolved), resolved);
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
    logger.warn(
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

function describeScope(project: string | undefined, config: string | undefined): string {
  return project && config ? `project ${project}, config ${config}` : 'service token scope';
}
