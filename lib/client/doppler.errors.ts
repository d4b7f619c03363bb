import { describeScope } from '../core/scope.js';
import { printableName } from '../utils/flat-string-map.js';
/**
 * Stable codes for every failure the module reports. Match on `error.code`, not on the
 * message: messages are for people and may be reworded.
 */
export type DopplerErrorCode =
  | 'DOPPLER_INVALID_OPTIONS'
  | 'DOPPLER_BAD_REQUEST'
  | 'DOPPLER_UNAUTHORIZED'
  | 'DOPPLER_FORBIDDEN'
  | 'DOPPLER_NOT_FOUND'
  | 'DOPPLER_RATE_LIMITED'
  | 'DOPPLER_SERVER_ERROR'
  | 'DOPPLER_UNEXPECTED_STATUS'
  | 'DOPPLER_REDIRECT'
  | 'DOPPLER_TIMEOUT'
  | 'DOPPLER_UNREACHABLE'
  | 'DOPPLER_MALFORMED_RESPONSE'
  | 'DOPPLER_RESPONSE_TOO_LARGE'
  | 'DOPPLER_SECRET_NOT_DECLARED'
  | 'DOPPLER_SECRET_NOT_SENT'
  | 'DOPPLER_SECRETS_INVALID'
  | 'DOPPLER_SCOPE_MISMATCH'
  | 'DOPPLER_FALLBACK_MISSING'
  | 'DOPPLER_FALLBACK_INVALID'
  | 'DOPPLER_FALLBACK_EXPIRED'
  | 'DOPPLER_FALLBACK_WRITE_FAILED';

/** Facts about a failure that are safe to print: never a token, a header or a body. */
export interface DopplerErrorDetails {
  /** HTTP status the API (or a gateway in front of it) answered with, when it answered; never a proxy's CONNECT answer. */
  status?: number;
  /** Whether trying again later can succeed (outages, timeouts, rate limits). */
  retryable?: boolean;
  /** How many requests were made before giving up. @default 1 */
  attempts?: number;
  /** Milliseconds Doppler asked us to wait (`retry-after`), when it said. */
  retryAfterMs?: number;
  /**
   * The low-level reason, never a message from a library: an errno or TLS code
   * (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, `EPROTO`) or one of ours (`TIMEOUT`,
   * `PROXY_TIMEOUT`, `PROXY_AUTH_REQUIRED`, `PROXY_<status>`, `NOT_LOOPBACK`, `ABORTED`).
   */
  reason?: string;
}

/**
 * Base class of every error this module throws. It never carries a token, a secret
 * value, a request header, a response body or the underlying HTTP library's error
 * (`cause` is never set): what it says is built from status codes and names only.
 *
 * @example
 * try { await app.init(); } catch (e) {
 *   if (e instanceof DopplerError && e.code === 'DOPPLER_UNAUTHORIZED') { ... }
 * }
 */
export class DopplerError extends Error {
  /** A stable machine-readable code. */
  readonly code: DopplerErrorCode;
  /** HTTP status, when the API (or a gateway in front of it) answered. */
  readonly status?: number;
  /** Whether the same request may succeed if tried again later. */
  readonly retryable: boolean;
  /** How many requests were made. */
  readonly attempts: number;
  /** Milliseconds Doppler asked to wait before retrying, when it said. */
  readonly retryAfterMs?: number;
  /** The low-level reason (an errno code such as `ECONNREFUSED`), when there is one. */
  readonly reason?: string;

  constructor(code: DopplerErrorCode, message: string, details: DopplerErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.retryable = details.retryable ?? false;
    this.attempts = details.attempts ?? 1;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** The module's options are wrong; raised before any request is made. */
export class DopplerConfigurationError extends DopplerError {
  constructor(message: string) {
    super('DOPPLER_INVALID_OPTIONS', message);
  }
}

/**
 * Doppler refused the token (401) or its scope (403), in its own error shape. Final:
 * retrying will not help. The same status from a gateway is `DOPPLER_UNEXPECTED_STATUS`.
 */
export class DopplerAuthError extends DopplerError {}

/** The project or config does not exist, or the token cannot see it (Doppler's own 404). Final. */
export class DopplerNotFoundError extends DopplerError {}

/** Doppler rejected the request as malformed (400). Final. */
export class DopplerBadRequestError extends DopplerError {}

/** Doppler asked us to slow down (429). Retryable, after `retryAfterMs` when given. */
export class DopplerRateLimitError extends DopplerError {}

/** Doppler is having trouble (5xx). Retryable. */
export class DopplerServerError extends DopplerError {}

/** Doppler did not answer within the deadline. Retryable. */
export class DopplerTimeoutError extends DopplerError {}

/**
 * Doppler could not be reached: DNS, refused or reset connection, a proxy, TLS. Retryable
 * when it can heal (a refused, reset or timed-out connection, a proxy's 502/503/504); final
 * for TLS failures (a certificate, a port that does not speak TLS), a proxy that wants
 * credentials (407) or refuses the host, and a `localhost` name that resolves elsewhere.
 * `reason` says which (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, `PROXY_AUTH_REQUIRED`, ...).
 */
export class DopplerConnectionError extends DopplerError {}

/**
 * Doppler (or something in front of it) answered with something that is not a secrets
 * download: a redirect, an unexpected status (including a 400/401/403/404 whose body is
 * not Doppler's error shape: a gateway's page says nothing about the token), a body that
 * is not a JSON object of strings, or a body over the size cap. Final, but not a verdict
 * on the token: the fallback copy is kept.
 */
export class DopplerResponseError extends DopplerError {}

/** `SecretsService.get()` was asked for a name the schema does not declare. */
export class SecretNotDeclaredError extends DopplerError {
  constructor(key: string) {
    super(
      'DOPPLER_SECRET_NOT_DECLARED',
      `Secret ${printableName(key)} is not declared by the schema; add it to the schema class (with at least one class-validator decorator) to read it.`,
    );
  }
}

/**
 * `SecretsService.get()` was asked for a key the schema declares as optional, which the current
 * set does not hold: Doppler did not send it. Check with `has()` first, or give the key a default.
 */
export class SecretNotSentError extends DopplerError {
  constructor(key: string, scope: { readonly project?: string; readonly config?: string }) {
    super(
      'DOPPLER_SECRET_NOT_SENT',
      `Secret ${printableName(key)} is declared by the schema as optional, and the current set (${describeScope(scope, 'this config')}) does not hold it: Doppler did not send it. ` +
        'Check secrets.has() before get(), give it a default in the schema, or define it in that Doppler config.',
    );
  }
}

/**
 * The same error (class, code, status) with a sentence added and details updated: used
 * to say how many attempts were made, or that the fallback could not serve either. For
 * errors built with {@link DopplerError}'s own constructor signature (every HTTP and
 * transport error).
 */
export function withNote(error: DopplerError, note: string, details: DopplerErrorDetails = {}): DopplerError {
  const merged: DopplerErrorDetails = {
    retryable: error.retryable,
    attempts: error.attempts,
    ...(error.status !== undefined && { status: error.status }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    ...(error.reason !== undefined && { reason: error.reason }),
    ...details,
  };
  const Kind = error.constructor as new (
    code: DopplerErrorCode,
    message: string,
    details: DopplerErrorDetails,
  ) => DopplerError;
  return new Kind(error.code, `${error.message} ${note}`.trim(), merged);
}
