import { verify, type KeyObject } from 'node:crypto';
import {
  isSigningAlgorithm,
  JWT_ALGORITHMS,
  keyFitsAlgorithm,
  signatureOptions,
  type OidcSigningAlgorithm,
} from './jwt-algorithms.js';

/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const JWT_LEEWAY_SEC = 30;

/** What the emulator holds an identity's JWT to. */
export interface JwtRules {
  readonly audience: string;
  readonly subject: string;
  /** When set, the JWT must be signed with the matching private key; `alg: none` is refused. */
  readonly publicKey?: KeyObject;
}

/** Why a JWT was refused: 401 when it cannot be trusted, 403 when it is trusted but for another audience or subject. */
export type JwtVerdict =
  { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Checks a platform's JWT as an identity's rules say: its shape, its signature (when the identity
 * has a public key), its time claims (`exp` required, `nbf` and `iat` when present, each with
 * {@link JWT_LEEWAY_SEC} of leeway), then `aud` (a string, or an array holding the audience) and
 * `sub`, both matched exactly (no wildcards or patterns). Messages never quote the token.
 */
export function checkJwt(jwt: string, rules: JwtRules, nowMs: number): JwtVerdict {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    return refused(401, 'Invalid OIDC token: not a JWT');
  }
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (header === undefined || claims === undefined) {
    return refused(401, 'Invalid OIDC token: its header or claims are not JSON objects');
  }
  if (rules.publicKey !== undefined) {
    const alg = header['alg'];
    if (!isSigningAlgorithm(alg)) {
      return refused(
        401,
        'Invalid OIDC token: unsigned, or signed with an algorithm this identity does not accept',
      );
    }
    if (!keyFitsAlgorithm(rules.publicKey, alg)) {
      return refused(401, "Invalid OIDC token: its algorithm does not fit the identity's key");
    }
    if (!verifies(`${headerPart}.${payloadPart}`, signaturePart, rules.publicKey, alg))
      return refused(401, 'Invalid OIDC token: the signature does not verify');
  }
  const now = nowMs / 1000;
  const { exp, nbf, iat, aud, sub } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return refused(401, 'Invalid OIDC token: it has no exp claim');
  }
  if (now > exp + JWT_LEEWAY_SEC) return refused(401, 'Invalid OIDC token: it has expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || now < nbf - JWT_LEEWAY_SEC)) {
    return refused(401, 'Invalid OIDC token: it is not valid yet (nbf)');
  }
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + JWT_LEEWAY_SEC)) {
    return refused(401, 'Invalid OIDC token: it is issued in the future (iat)');
  }
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(rules.audience)) {
    return refused(403, "The OIDC token's audience does not match the identity");
  }
  if (sub !== rules.subject) {
    return refused(403, "The OIDC token's subject does not match the identity");
  }
  return { ok: true };
}

function verifies(signed: string, signature: string, key: KeyObject, alg: OidcSigningAlgorithm): boolean {
  try {
    return verify(
      JWT_ALGORITHMS[alg].hash,
      Buffer.from(signed),
      signatureOptions(key, alg),
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    // A signature of the wrong size or encoding: not one this key made.
    return false;
  }
}

function refused(status: 401 | 403, message: string): JwtVerdict {
  return { ok: false, status, message };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
