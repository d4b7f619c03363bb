import { dopplerError } from '../errors/create-doppler-error.js';
import { tokenKindOf, tokenPrefixOf } from '../auth/token-kind.js';
import { printable } from './server-text.js';

/** A Doppler token issued for an OIDC identity, and when Doppler says it expires. */
export interface IssuedToken {
  readonly token: string;
  /** Epoch milliseconds of `expires_at`. */
  readonly expiresAt: number;
}

// Printable ASCII only, as for any token (it goes into a header); longer than any real one is not one.
const TOKEN_SHAPE = /^dp\.said\.[\x21-\x7e]{1,4096}$/;
// RFC 3339 date-time: a date, `T`, a time with optional fraction, and a zone (`Z` or an offset).
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Reads the answer to `POST /v3/auth/oidc`: `{"success": true, "token": "dp.said.…",
 * "expires_at": "<RFC 3339>"}`. The body is parsed here (V8's own parse error quotes the input,
 * which holds the token, so it is never passed on), and nothing of the token is ever echoed but
 * its public prefix.
 *
 * @param now epoch milliseconds: a token that has already expired is refused.
 * @throws {DopplerError} `DOPPLER_MALFORMED_RESPONSE` naming what is wrong.
 */
export function parseOidcAnswer(body: string, now: number): IssuedToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return malformed(
      `The answer is not valid JSON (${Buffer.byteLength(body)} bytes); it may have been cut short or replaced by a gateway's or proxy's page.`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return malformed('The answer is not a JSON object.');
  }
  const { success, token, expires_at: expiresAt } = parsed as Record<string, unknown>;
  if (success !== undefined && success !== true) {
    return malformed('The answer says the exchange did not succeed ("success" is not true).');
  }
  if (typeof token !== 'string' || token === '') {
    return malformed('The answer holds no token.');
  }
  if (!TOKEN_SHAPE.test(token)) {
    const kind = tokenKindOf(token);
    return malformed(
      kind === 'oidc'
        ? 'The answer holds a dp.said. token with characters no token has, or far too long.'
        : `The answer holds ${kind === 'unknown' ? 'a token without a Doppler prefix' : `a ${tokenPrefixOf(kind)} token`}, not the dp.said. token an OIDC exchange issues.`,
    );
  }
  if (typeof expiresAt !== 'string' || !RFC_3339.test(expiresAt) || !Number.isFinite(Date.parse(expiresAt))) {
    return malformed(
      typeof expiresAt === 'string'
        ? `Its expires_at ("${printable(expiresAt, 40)}") is not an RFC 3339 date-time.`
        : 'It has no expires_at.',
    );
  }
  const at = Date.parse(expiresAt);
  if (at <= now) {
    return malformed(
      `Its expires_at (${printable(expiresAt, 40)}) is already past by this machine's clock (${new Date(now).toISOString()}): check the clock (NTP) of this host.`,
    );
  }
  return { token, expiresAt: at };
}

function malformed(what: string): never {
  throw dopplerError(
    'DOPPLER_MALFORMED_RESPONSE',
    `Doppler's answer to the OIDC exchange is unusable: ${what} Check the apiUrl option and any proxy between this app and Doppler.`,
  );
}
