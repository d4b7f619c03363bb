import { printable } from '../core/printable.js';
import { within } from '../core/within.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { DopplerError } from '../errors/doppler.errors.js';
import { readSmallFile } from '../options/read-small-file.js';

/** Where the platform's OIDC token (a JWT) comes from, for each exchange. */
export type OidcJwtSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'function'; readonly get: () => string | Promise<string> };

/** A JWT is a few kilobytes; a platform's token larger than this is not one. */
export const MAX_JWT_BYTES = 64 * 1024;

// Three base64url parts (the signature is empty for an unsigned test token), as RFC 7519 writes them.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Names the source in messages: a path or the option, never the token. */
export function describeJwtSource(source: OidcJwtSource): string {
  return source.kind === 'file' ? `The OIDC token file ${printable(source.path)}` : 'oidc.getToken()';
}

/**
 * Reads the platform's JWT now: the file anew each time (the kubelet rotates a projected
 * service-account token in place), or the function's answer. Bounded by `signal`; the result is
 * trimmed (a file often ends with a newline) and checked to be shaped as a JWT.
 *
 * @throws {DopplerError} `DOPPLER_OIDC_JWT_UNAVAILABLE` (its `reason` says which way), or
 *   `DOPPLER_TIMEOUT` when the read or the function outlasts `signal`. Never the token.
 */
export async function readOidcJwt(source: OidcJwtSource, signal: AbortSignal): Promise<string> {
  const where = describeJwtSource(source);
  const raw =
    source.kind === 'file' ? await readFile(source.path, where, signal) : await call(source, where, signal);
  const jwt = raw.trim();
  if (jwt === '') {
    throw unavailable(
      'JWT_EMPTY',
      `${where} gave an empty token${source.kind === 'file' ? ' (the file is empty: is the projected volume mounted?)' : ''}.`,
    );
  }
  if (Buffer.byteLength(jwt) > MAX_JWT_BYTES) {
    throw unavailable(
      'JWT_TOO_LARGE',
      `${where} gave more than ${MAX_JWT_BYTES} bytes, too large to be a JWT.`,
    );
  }
  if (!JWT_SHAPE.test(jwt)) {
    throw unavailable(
      'NOT_A_JWT',
      `${where} gave something that is not a JWT (three base64url parts separated by dots), so it was not sent to Doppler. ` +
        'Check that it is the platform’s OIDC token, without quotes or a "Bearer " prefix.',
    );
  }
  return jwt;
}

async function readFile(path: string, where: string, signal: AbortSignal): Promise<string> {
  const read = await within(readSmallFile(path, MAX_JWT_BYTES), signal, () =>
    dopplerError(
      'DOPPLER_TIMEOUT',
      `${where} could not be read before the deadline: the volume it is on may be hung. Check the mount.`,
      { retryable: true, reason: 'JWT_FILE_STALLED' },
    ),
  );
  if (read.ok) return read.data.toString('utf8');
  switch (read.problem) {
    case 'missing':
      return fail(
        'JWT_FILE_MISSING',
        `${where} does not exist (ENOENT). Check oidc.tokenFile against the pod's projected serviceAccountToken volume (its mountPath and path).`,
      );
    case 'not-a-file':
      return fail('JWT_FILE_NOT_A_FILE', `${where} is not a regular file. Check oidc.tokenFile.`);
    case 'too-large':
      return fail('JWT_TOO_LARGE', `${where} is larger than ${read.limit} bytes, too large to hold a JWT.`);
    case 'unreadable':
      return fail(
        'JWT_FILE_UNREADABLE',
        `${where} could not be read (${read.code ?? 'error'}). Check its permissions and the mount.`,
      );
  }
}

async function call(
  source: Extract<OidcJwtSource, { kind: 'function' }>,
  where: string,
  signal: AbortSignal,
): Promise<string> {
  // A synchronous throw becomes a rejection, handled like an asynchronous one.
  const pending = Promise.resolve().then(() => source.get());
  let value: unknown;
  let stalled: DopplerError | undefined;
  try {
    value = await within(
      pending,
      signal,
      () =>
        (stalled = dopplerError(
          'DOPPLER_TIMEOUT',
          `${where} did not return before the deadline. Bound the request it makes (e.g. AbortSignal.timeout) below the deadline option.`,
          { retryable: true, reason: 'GET_TOKEN_STALLED' },
        )),
    );
  } catch (error: unknown) {
    if (error === stalled) throw error;
    // Its message may quote anything, the token included: only the class name is shown.
    throw unavailable(
      'GET_TOKEN_THREW',
      `${where} threw ${describeThrown(error)}; its message is not shown, as it may hold the token. Check the platform's token endpoint and what the function logs.`,
      true,
    );
  }
  if (typeof value !== 'string') {
    return fail(
      'GET_TOKEN_NOT_A_STRING',
      `${where} returned ${value === null ? 'null' : typeof value}, not the token as a string.`,
    );
  }
  return value;
}

function describeThrown(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  return /^[A-Z][A-Za-z]{0,40}$/.test(name) ? `a ${name}` : 'a value that is not an Error';
}

function fail(reason: string, message: string): never {
  throw unavailable(reason, message);
}

function unavailable(reason: string, message: string, retryable = false): DopplerError {
  return dopplerError('DOPPLER_OIDC_JWT_UNAVAILABLE', message, { reason, retryable });
}
