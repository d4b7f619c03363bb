import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { SignalSource } from '../core/clock.js';
import { within } from '../core/within.js';
import { printable } from '../core/printable.js';
import { readSmallFile } from '../options/read-small-file.js';
import type { Credential } from '../options/resolve-options.js';
import { OidcToken, type OidcTokenDeps } from './oidc-token.js';
import type { FetchObserver } from '../telemetry/fetch-observer.js';

/** A token file holds one token; anything bigger is not one. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** What a load needs the token for: at bootstrap a provider may retry within the deadline. */
export interface TokenRequest {
  readonly phase: 'bootstrap' | 'refresh';
  /** Epoch milliseconds when the load's signal aborts for time. */
  readonly deadlineAt: number;
  /** The load's telemetry: told the answer of each request made for the token (the OIDC exchange). */
  readonly observer?: Pick<FetchObserver, 'response'>;
}

/** Where the API source gets the token for each request. */
export interface TokenProvider {
  /** Whether the token can change while the app runs (a token file re-read per refresh). */
  readonly rotates: boolean;
  /**
   * The token to use now, as text not yet checked. `until.signal` is read only when getting the
   * token means waiting (a file read, an exchange): a fixed token leaves the load's deadline unarmed.
   * @throws {DopplerConfigurationError} when a token file cannot be read.
   * @throws {DopplerUnavailableError} when reading it outlasts `until.signal`.
   */
  token(until: SignalSource, request?: TokenRequest): Promise<string>;
  /** Says where the token came from, for messages: never the token. */
  readonly where: string;
  /**
   * Doppler answered 401 to `token` before the provider expected it to end (revoked, or expired
   * early). The provider drops it; the result says whether a fresh one can be had now, so that
   * the load is worth one more try. Absent: a 401 is final.
   */
  rejected?(token: string): boolean;
  /** Releases what the provider holds (revokes an exchanged token); never rejects. */
  close?(): Promise<void>;
}

/** The token option: fixed for the life of the app. */
export class StaticToken implements TokenProvider {
  readonly rotates = false;
  readonly where = 'The Doppler token';
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  token(): Promise<string> {
    return Promise.resolve(this.#token);
  }
}

/**
 * The `tokenFile` option: read at start-up and before every refresh, so a rotated token (a
 * Kubernetes Secret updated in place) is picked up. The read never blocks on a FIFO, never reads
 * more than 64 KiB, and never outlasts the caller's deadline.
 */
export class TokenFile implements TokenProvider {
  readonly rotates = true;

  constructor(private readonly path: string) {}

  get where(): string {
    return `The token file ${printable(this.path)}`;
  }

  async token(until: SignalSource): Promise<string> {
    const read = await within(readSmallFile(this.path, MAX_TOKEN_FILE_BYTES), until.signal, () =>
      dopplerError(
        'DOPPLER_TIMEOUT',
        `${this.where} could not be read before the deadline: the volume it is on may be hung. Check the mount.`,
        { retryable: true, reason: 'TOKEN_FILE_STALLED' },
      ),
    );
    if (read.ok) return read.data.toString('utf8');
    const why =
      read.problem === 'missing'
        ? 'does not exist (ENOENT)'
        : read.problem === 'not-a-file'
          ? 'is not a regular file'
          : read.problem === 'too-large'
            ? `is larger than ${read.limit} bytes, too large to hold a token`
            : `could not be read (${read.code ?? 'error'})`;
    throw new DopplerConfigurationError(
      `${this.where} ${why}. Check the path and that the secret is mounted.`,
    );
  }
}

/**
 * The provider for a credential. An OIDC exchange speaks HTTP, so it gets the options and the
 * surroundings the API source has.
 */
export function tokenProviderFor(credential: Credential, deps: OidcTokenDeps): TokenProvider {
  switch (credential.kind) {
    case 'static':
      return new StaticToken(credential.token);
    case 'file':
      return new TokenFile(credential.path);
    case 'oidc':
      return new OidcToken(credential, deps);
  }
}
