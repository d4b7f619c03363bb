import type { Logger } from '@nestjs/common';
import type { DownloadRequest } from '../client/doppler-client.js';
import { retryWithinDeadline } from '../client/download-with-retries.js';
import { OidcExchangeClient } from '../client/oidc-exchange-client.js';
import type { IssuedToken } from '../client/parse-oidc-answer.js';
import { DeadlineReached, deadlinePassed, type Clock, type SignalSource } from '../core/clock.js';
import { printable } from '../core/printable.js';
import { within } from '../core/within.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import { DopplerError } from '../errors/doppler.errors.js';
import type { ResolvedModuleOptions } from '../options/resolve-options.js';
import { describeJwtSource, readOidcJwt, type OidcJwtSource } from './oidc-jwt-source.js';
import type { TokenProvider, TokenRequest } from './token-provider.js';
import type { FetchObserver } from '../telemetry/fetch-observer.js';

/**
 * A token with less than this left is exchanged anew before it is used (Doppler's Kubernetes
 * operator uses the same 60 s): a request that starts with it then has a minute to finish, far
 * more than any request is given.
 */
export const RENEW_MARGIN_MS = 60_000;

/** The most shutdown waits for the token's revocation (capped by the `timeout` option). */
export const REVOKE_DEADLINE_MS = 2_000;

/** The identity and where its platform token comes from. */
export interface OidcCredential {
  readonly identity: string;
  readonly jwt: OidcJwtSource;
}

/** What the exchange runs on. */
export interface OidcTokenDeps {
  readonly resolved: ResolvedModuleOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly random?: () => number;
  /** Told when the token in use expires (epoch ms), or that none is held; for telemetry. */
  readonly onExpiry?: (at: number | undefined) => void;
  /** Told how a request no load made ended (the revocation at shutdown); for telemetry. */
  readonly requests?: Pick<FetchObserver, 'response'>;
}

/** The token in use, and from when it is exchanged anew. */
interface Held extends IssuedToken {
  /** Epoch milliseconds: `expiresAt` less the margin (half the lifetime for a short-lived token). */
  readonly renewAt: number;
}

/**
 * The `oidc` option: no stored Doppler token. The platform's JWT (a Kubernetes projected
 * service-account token file, read anew each time, or `getToken()`) is exchanged for a
 * short-lived `dp.said.` token at bootstrap, inside the bootstrap deadline and with its
 * retries. The token is reused until {@link RENEW_MARGIN_MS} before its `expires_at` (half its
 * lifetime when that is under two minutes), then exchanged again when next needed; while a new
 * exchange fails, the old token serves until it expires. Concurrent callers share one exchange.
 * A 401 on a download drops the token ({@link rejected}) so the API source can exchange once more.
 * {@link close} revokes the token, best effort, within {@link REVOKE_DEADLINE_MS}. The token
 * lives in ES private fields only: no inspect, spread or serialization shows it.
 */
export class OidcToken implements TokenProvider {
  readonly rotates = true;
  readonly #credential: OidcCredential;
  readonly #deps: OidcTokenDeps;
  readonly #client: OidcExchangeClient;
  readonly #abort = new AbortController();
  #held: Held | undefined;
  #exchanging: Promise<Held> | undefined;
  #closing: Promise<void> | undefined;
  /** What the exchange in flight waits for, so a timeout names the part that stalled. */
  #waitingFor: 'jwt' | 'doppler' = 'doppler';

  constructor(credential: OidcCredential, deps: OidcTokenDeps) {
    this.#credential = credential;
    this.#deps = deps;
    this.#client = new OidcExchangeClient(deps.resolved, () => deps.clock.now(), {
      ...(deps.env !== undefined && { env: deps.env }),
    });
  }

  get where(): string {
    return `The Doppler token from the OIDC exchange (identity "${printable(this.#credential.identity, 80)}")`;
  }

  /**
   * The token in use, or a fresh one when it is near its end.
   * @throws {DopplerError} the exchange's failure when no token is left to serve.
   */
  async token(until: SignalSource, request?: TokenRequest): Promise<string> {
    if (this.#closing !== undefined) throw this.closed();
    const { clock } = this.#deps;
    const held = this.#held;
    if (held !== undefined && clock.now() < held.renewAt) return held.token;
    const signal = until.signal;
    const shared = (this.#exchanging ??= this.exchange(
      request ?? { phase: 'refresh', deadlineAt: clock.now() + this.#deps.resolved.deadline },
    ).finally(() => {
      this.#exchanging = undefined;
    }));
    try {
      const fresh = await within(shared, signal, () =>
        deadlinePassed(signal) ? this.timedOut() : this.closed(),
      );
      return fresh.token;
    } catch (error: unknown) {
      // The token in use still works until it expires: a failed renewal is not yet a failure.
      const current = this.#held;
      if (
        error instanceof DopplerError &&
        current !== undefined &&
        !signal.aborted &&
        this.#closing === undefined &&
        clock.now() < current.expiresAt
      ) {
        this.#deps.logger.warn(
          `Exchanging the OIDC token again failed (${error.code}); the current Doppler token serves until it expires at ${new Date(current.expiresAt).toISOString()}. ${error.message}`,
        );
        return current.token;
      }
      throw error;
    }
  }

  rejected(token: string): boolean {
    if (this.#closing !== undefined) return false;
    if (this.#held?.token === token) {
      this.#held = undefined;
      this.#deps.onExpiry?.(undefined);
    }
    return true;
  }

  /** Stops an exchange in flight and revokes the token, within {@link REVOKE_DEADLINE_MS}. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.revoke();
    return this.#closing;
  }

  private async exchange(request: TokenRequest): Promise<Held> {
    const { clock, resolved } = this.#deps;
    const { signal, cancel } = deadline(clock, request.deadlineAt - clock.now(), this.#abort.signal);
    const once = async (attempt: DownloadRequest): Promise<IssuedToken> => {
      // Read at every attempt: a projected token file may have been rotated since.
      this.#waitingFor = 'jwt';
      const jwt = await readOidcJwt(this.#credential.jwt, signal);
      this.#waitingFor = 'doppler';
      return this.#client.exchange(this.#credential.identity, jwt, {
        ...attempt,
        ...(request.observer !== undefined && { observer: request.observer }),
      });
    };
    try {
      const issued =
        request.phase === 'bootstrap'
          ? await retryWithinDeadline(
              once,
              {
                retries: resolved.retries,
                deadline: resolved.deadline,
                deadlineAt: request.deadlineAt,
                timeout: resolved.timeout,
                clock,
                ...(this.#deps.random !== undefined && { random: this.#deps.random }),
              },
              { signal },
            )
          : await once({
              signal,
              timeout: Math.max(1, Math.min(resolved.timeout, request.deadlineAt - clock.now())),
            });
      const now = clock.now();
      const lifetime = issued.expiresAt - now;
      const held: Held = { ...issued, renewAt: issued.expiresAt - Math.min(RENEW_MARGIN_MS, lifetime / 2) };
      if (this.#closing === undefined) {
        this.#held = held;
        this.#deps.onExpiry?.(held.expiresAt);
      }
      this.#deps.logger.log(
        `Exchanged the platform's OIDC token for a Doppler token (identity "${printable(this.#credential.identity, 80)}"), ` +
          `valid until ${new Date(held.expiresAt).toISOString()}; it is exchanged again when used after ${new Date(held.renewAt).toISOString()}.`,
      );
      return held;
    } finally {
      cancel();
    }
  }

  private async revoke(): Promise<void> {
    const { clock, logger, resolved } = this.#deps;
    this.#abort.abort();
    const ms = Math.min(REVOKE_DEADLINE_MS, resolved.timeout);
    const { signal, cancel } = deadline(clock, ms);
    try {
      // An exchange in flight was just aborted: let it settle, so its token (if any) is not missed.
      await within<unknown>(this.#exchanging ?? Promise.resolve(), signal, () => new DeadlineReached()).catch(
        () => undefined,
      );
      const held = this.#held;
      this.#held = undefined;
      this.#deps.onExpiry?.(undefined);
      if (held === undefined || clock.now() >= held.expiresAt) return;
      const revoking = this.#client.revoke(held.token, {
        signal,
        timeout: ms,
        ...(this.#deps.requests !== undefined && { observer: this.#deps.requests }),
      });
      await within(revoking, signal, () =>
        dopplerError('DOPPLER_TIMEOUT', `The revocation did not finish within ${ms} ms.`, {
          retryable: true,
          reason: 'TIMEOUT',
        }),
      );
      logger.log('Revoked the Doppler token from the OIDC exchange.');
    } catch (error: unknown) {
      // Best effort: shutdown goes on, and the token ends by itself at its expires_at.
      const what =
        error instanceof DopplerError
          ? `${error.code}${error.reason !== undefined ? `, ${error.reason}` : ''}${error.status !== undefined ? `, status ${error.status}` : ''}`
          : 'an unexpected error';
      logger.warn(
        `Could not revoke the Doppler token from the OIDC exchange at shutdown (${what}); it expires by itself.`,
      );
    } finally {
      cancel();
    }
  }

  private timedOut(): DopplerError {
    const { resolved } = this.#deps;
    const source = this.#credential.jwt;
    if (this.#waitingFor === 'jwt') {
      return dopplerError(
        'DOPPLER_TIMEOUT',
        `${describeJwtSource(source)} did not give the platform's OIDC token before the ${resolved.deadline} ms deadline (the deadline option) ran out. ` +
          (source.kind === 'function'
            ? 'Bound the request it makes (e.g. AbortSignal.timeout) below the deadline option, and check the platform’s token endpoint.'
            : 'The volume it is on may be hung: check the mount.'),
        { retryable: true, reason: source.kind === 'function' ? 'GET_TOKEN_STALLED' : 'JWT_FILE_STALLED' },
      );
    }
    return dopplerError(
      'DOPPLER_TIMEOUT',
      `The OIDC exchange with Doppler (${resolved.apiUrl.host}) did not finish before the ${resolved.deadline} ms deadline (the deadline option) ran out. ` +
        "Check the network path to Doppler and the platform's token source, or raise the deadline option.",
      { retryable: true, reason: 'TIMEOUT' },
    );
  }

  private closed(): DopplerError {
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      'The OIDC exchange was stopped: the application is shutting down.',
      { reason: 'ABORTED' },
    );
  }
}

/** A signal that aborts after `ms` on `clock` (or with `parent`), and the cancel of its timer. */
function deadline(
  clock: Clock,
  ms: number,
  parent?: AbortSignal,
): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  const cancelTimer = clock.schedule(() => controller.abort(new DeadlineReached()), Math.max(1, ms));
  const onParent = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    cancel: () => {
      cancelTimer();
      parent?.removeEventListener('abort', onParent);
    },
  };
}
