import { dopplerError } from '../errors/create-doppler-error.js';
import type { DopplerError } from '../errors/doppler.errors.js';
import { formatDuration } from '../core/format-duration.js';

/** The usual way out: the file is disposable, the next good fetch recreates it. */
export const DELETE_IT = 'Delete it; it is rewritten after the next successful fetch from Doppler.';

/** The errno code of a file-system error (`EACCES`...), never its message. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

export function fallbackMissing(path: string): DopplerError {
  return dopplerError(
    'DOPPLER_FALLBACK_MISSING',
    `Fallback file ${path} does not exist. It is written after the first successful fetch from Doppler; until then there is no copy to fall back to.`,
    { reason: 'ENOENT' },
  );
}

export function fallbackInvalid(
  path: string,
  problem: string,
  remedy: string = DELETE_IT,
  reason?: string,
): DopplerError {
  return dopplerError(
    'DOPPLER_FALLBACK_INVALID',
    `Fallback file ${path} ${problem}. ${remedy}`,
    reason === undefined ? {} : { reason },
  );
}

export function fallbackExpired(path: string, ageMs: number, maxAgeMs: number, basis: string): DopplerError {
  return dopplerError(
    'DOPPLER_FALLBACK_EXPIRED',
    `Fallback file ${path} is ${formatDuration(ageMs)} old (${basis}), over the fallback.maxAge limit of ${formatDuration(maxAgeMs)} (${maxAgeMs} ms), so it is not trusted. ` +
      'It is refreshed after the next successful fetch from Doppler; raise the fallback.maxAge option if older secrets are acceptable.',
  );
}

export function fallbackWriteFailed(path: string, problem: string, reason?: string): DopplerError {
  return dopplerError(
    'DOPPLER_FALLBACK_WRITE_FAILED',
    `Fallback file ${path} ${problem}${reason === undefined ? '' : ` (${reason})`}. ` +
      'Check that its directory exists or can be created and is writable by this process; until then the app has no copy to start from if Doppler is unreachable.',
    reason === undefined ? {} : { reason },
  );
}
