/*
 * Every error this library throws is a DopplerError whose `code` is the discriminator. A few
 * subclasses remain for what apps branch on with `instanceof`: options, auth, not found,
 * Doppler unavailable, validation (SecretsValidationError, beside this file). Errors are built
 * once, by code, through {@link dopplerError}; none carries `cause`.
 */

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
  /** The platform's OIDC token (the JWT for `oidc`) could not be had: its file, or `getToken`, failed. */
  | 'DOPPLER_OIDC_JWT_UNAVAILABLE'
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

/** The module's options (or the schema class) are wrong; raised before any request is made. */
export class DopplerConfigurationError extends DopplerError {
  constructor(message: string) {
    super('DOPPLER_INVALID_OPTIONS', message);
  }
}

/**
 * Doppler refused the token (`DOPPLER_UNAUTHORIZED`, 401) or its scope (`DOPPLER_FORBIDDEN`,
 * 403), in its own error shape. Final: retrying will not help, and the fallback copy is deleted.
 */
export class DopplerAuthError extends DopplerError {}

/** Doppler says the project or config does not exist, or the token cannot see it (`DOPPLER_NOT_FOUND`, 404). Final. */
export class DopplerNotFoundError extends DopplerError {}

/**
 * Doppler could not serve in time: unreachable (`DOPPLER_UNREACHABLE`: DNS, refused or reset,
 * a proxy, TLS), too slow (`DOPPLER_TIMEOUT`), rate-limiting (`DOPPLER_RATE_LIMITED`) or failing
 * (`DOPPLER_SERVER_ERROR`). `retryable` says whether trying later can help (TLS failures and a
 * proxy's 407 cannot); these are the failures the fallback copy covers.
 */
export class DopplerUnavailableError extends DopplerError {}
