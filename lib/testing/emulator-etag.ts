import { createHash } from 'node:crypto';

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
