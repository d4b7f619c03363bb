import { tokenKindOf, type DopplerTokenKind } from '../auth/token-kind.js';

/**
 * How a request presented its Doppler token.
 *
 * @publicApi
 */
export type EmulatorAuthScheme = 'bearer' | 'basic' | 'none';

/**
 * Doppler token family, derived from the token prefix (`dp.st.`, `dp.sa.`, ...).
 * `unknown` is a credential without a Doppler prefix; `none` is no credential at all.
 *
 * @publicApi
 */
export type EmulatorTokenKind = DopplerTokenKind | 'none';

/** Token as read from the `Authorization` header; never logged or echoed. */
export interface PresentedCredentials {
  readonly scheme: EmulatorAuthScheme;
  readonly token: string | undefined;
  /** The header was present but cannot authenticate (e.g. basic auth with a password). */
  readonly malformed: boolean;
}

/**
 * Classifies a presented token by its prefix; no token at all is `none`.
 *
 * @example
 * presentedTokenKind('dp.st.dev.abc'); // 'service'
 * presentedTokenKind(undefined); // 'none'
 */
export function presentedTokenKind(token: string | undefined): EmulatorTokenKind {
  return token === undefined || token === '' ? 'none' : tokenKindOf(token);
}

/**
 * Reads `Authorization: Bearer <token>` or HTTP basic with the token as the
 * user name and an empty password, the two schemes Doppler's API accepts.
 */
export function readCredentials(header: string | undefined): PresentedCredentials {
  const match = /^\s*(\S+)\s*(.*)$/s.exec(header ?? '');
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2]?.trim() ?? '';
  if (scheme === 'bearer') {
    return { scheme: 'bearer', token: value || undefined, malformed: value === '' };
  }
  if (scheme === 'basic') {
    return readBasic(value);
  }
  return { scheme: 'none', token: undefined, malformed: header !== undefined };
}

function readBasic(encoded: string): PresentedCredentials {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0) {
    return { scheme: 'basic', token: undefined, malformed: true };
  }
  // Doppler rejects a non-empty password, so a client that sends one must see a 401 here too.
  const password = decoded.slice(separator + 1);
  return { scheme: 'basic', token: decoded.slice(0, separator), malformed: password !== '' };
}
