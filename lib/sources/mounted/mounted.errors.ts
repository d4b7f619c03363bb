import { dopplerError } from '../../errors/create-doppler-error.js';
import type { DopplerError, DopplerErrorCode } from '../../errors/doppler.errors.js';

/** What went wrong with a mounted volume, by the `reason` its error carries. */
export type MountFailure =
  | 'MOUNT_MISSING'
  | 'MOUNT_NOT_A_DIRECTORY'
  | 'MOUNT_UNREADABLE'
  | 'MOUNT_LAYOUT'
  | 'MOUNT_VERSION_CHURN'
  | 'MOUNT_BAD_NAME'
  | 'MOUNT_SUBDIRECTORY'
  | 'MOUNT_NOT_A_FILE'
  | 'MOUNT_NOT_UTF8'
  | 'MOUNT_AMBIGUOUS'
  | 'MOUNT_BAD_JSON'
  | 'MOUNT_BAD_ENV'
  | 'MOUNT_TOO_LARGE';

const CODES: Readonly<Record<MountFailure, DopplerErrorCode>> = {
  MOUNT_MISSING: 'DOPPLER_UNREACHABLE',
  MOUNT_NOT_A_DIRECTORY: 'DOPPLER_UNREACHABLE',
  MOUNT_UNREADABLE: 'DOPPLER_UNREACHABLE',
  MOUNT_LAYOUT: 'DOPPLER_UNREACHABLE',
  MOUNT_VERSION_CHURN: 'DOPPLER_UNREACHABLE',
  MOUNT_BAD_NAME: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_SUBDIRECTORY: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_NOT_A_FILE: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_NOT_UTF8: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_AMBIGUOUS: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_BAD_JSON: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_BAD_ENV: 'DOPPLER_MALFORMED_RESPONSE',
  MOUNT_TOO_LARGE: 'DOPPLER_RESPONSE_TOO_LARGE',
};

/**
 * The error for a mounted volume that could not be read, or whose content is not a set of
 * secrets; `message` must hold names and paths only. `code` says which kind of failure, `reason`
 * exactly what:
 *
 * - `DOPPLER_UNREACHABLE`: the volume is missing or unreadable (`MOUNT_MISSING`,
 *   `MOUNT_NOT_A_DIRECTORY`, `MOUNT_UNREADABLE` with the errno in the message), its `..data`
 *   link is not the kubelet's (`MOUNT_LAYOUT`), or it changed on every attempt to read one
 *   version (`MOUNT_VERSION_CHURN`, retryable);
 * - `DOPPLER_MALFORMED_RESPONSE`: a file is not a secret (`MOUNT_BAD_NAME`,
 *   `MOUNT_SUBDIRECTORY`, `MOUNT_NOT_A_FILE`, `MOUNT_NOT_UTF8`, `MOUNT_AMBIGUOUS`), or
 *   `DOPPLER_SECRETS_FILE` cannot be parsed (`MOUNT_BAD_JSON`, `MOUNT_BAD_ENV`);
 * - `DOPPLER_RESPONSE_TOO_LARGE`: over `maxResponseBytes` or the entry cap (`MOUNT_TOO_LARGE`).
 *
 * Like every {@link DopplerError} it never carries a value or a file's contents (a name is
 * quoted only when it has the shape of a secret name), and `cause` is never set.
 *
 * @example
 * if (error instanceof DopplerError && error.reason === 'MOUNT_NOT_UTF8') { ... }
 */

export function mountError(failure: MountFailure, message: string): DopplerError {
  return dopplerError(CODES[failure], message, {
    reason: failure,
    // Only a volume caught mid-swap heals by itself; everything else needs a person.
    retryable: failure === 'MOUNT_VERSION_CHURN',
  });
}
