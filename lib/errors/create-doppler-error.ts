import {
  DopplerAuthError,
  DopplerConfigurationError,
  DopplerError,
  DopplerNotFoundError,
  DopplerUnavailableError,
  type DopplerErrorCode,
  type DopplerErrorDetails,
} from './doppler.errors.js';

type Subclass = new (code: DopplerErrorCode, message: string, details: DopplerErrorDetails) => DopplerError;

const CLASS_OF: Partial<Record<DopplerErrorCode, Subclass>> = {
  DOPPLER_UNAUTHORIZED: DopplerAuthError,
  DOPPLER_FORBIDDEN: DopplerAuthError,
  DOPPLER_NOT_FOUND: DopplerNotFoundError,
  DOPPLER_TIMEOUT: DopplerUnavailableError,
  DOPPLER_UNREACHABLE: DopplerUnavailableError,
  DOPPLER_RATE_LIMITED: DopplerUnavailableError,
  DOPPLER_SERVER_ERROR: DopplerUnavailableError,
};

/**
 * The error for `code`, of the class apps branch on for it (see doppler.errors.ts), with its final
 * message. The one place errors are made, so the class always follows the code.
 */
export function dopplerError(
  code: DopplerErrorCode,
  message: string,
  details: DopplerErrorDetails = {},
): DopplerError {
  if (code === 'DOPPLER_INVALID_OPTIONS') return new DopplerConfigurationError(message);
  const Kind = CLASS_OF[code] ?? DopplerError;
  return new Kind(code, message, details);
}

/**
 * The same failure (code, class, details) with a sentence added and details updated: how many
 * attempts were made, or that the fallback could not serve either. Made anew by code, never
 * through the original's constructor.
 */
export function withNote(error: DopplerError, note: string, details: DopplerErrorDetails = {}): DopplerError {
  return dopplerError(error.code, `${error.message} ${note}`.trim(), { ...detailsOf(error), ...details });
}

function detailsOf(error: DopplerError): DopplerErrorDetails {
  return {
    retryable: error.retryable,
    attempts: error.attempts,
    ...(error.status !== undefined && { status: error.status }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    ...(error.reason !== undefined && { reason: error.reason }),
  };
}
