import { createHash } from 'node:crypto';

/** Download formats the emulator serves; Doppler has more, which the library does not use. */
export type EmulatorSecretsFormat = 'json' | 'env';

/** Content types matching each format. */
export const FORMAT_CONTENT_TYPES: Readonly<Record<EmulatorSecretsFormat, string>> = {
  json: 'application/json; charset=utf-8',
  env: 'text/plain; charset=utf-8',
};

/**
 * Serialises name/value pairs, keeping their order (JS objects would move integer-like names first).
 *
 * @example
 * renderSecrets([['A', '1']], 'env'); // 'A="1"\n'
 */
export function renderSecrets(
  entries: ReadonlyArray<readonly [string, string]>,
  format: EmulatorSecretsFormat,
): string {
  if (format === 'env') {
    return entries.map(([name, value]) => `${name}="${escapeEnvValue(value)}"\n`).join('');
  }
  return `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
}

/**
 * Strong validator for the exact bytes served.
 *
 * @example
 * strongEtag('{}'); // '"44136fa3..."'
 */
export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body, 'utf8').digest('hex')}"`;
}

/** `If-None-Match` uses weak comparison (RFC 9110 §13.1.2), so `W/` prefixes still match. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) {
    return false;
  }
  return ifNoneMatch
    .split(',')
    .map((candidate) => candidate.trim().replace(/^W\//, ''))
    .some((candidate) => candidate === '*' || candidate === etag);
}

function escapeEnvValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
