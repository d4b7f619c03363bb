import { withNote } from '../errors/create-doppler-error.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { createMasker } from '../redaction/pattern-matcher.js';
import { describeHttpFailure, type FailureContext } from './describe-failure.js';
import { describeOidcExchangeFailure, EXCHANGE_NOTE } from './describe-oidc-failure.js';
import type { FetchObserver } from '../telemetry/fetch-observer.js';
import type { DownloadRequest } from './doppler-client.js';
import {
  DopplerHttp,
  timingOf,
  type DopplerClientEnvironment,
  type DopplerEndpoint,
} from './doppler-http.js';
import { observeAnswer } from './observe-answer.js';
import { parseOidcAnswer, type IssuedToken } from './parse-oidc-answer.js';

/** Doppler's OIDC exchange: a platform's JWT for a short-lived `dp.said.` token. */
export const OIDC_EXCHANGE_PATH = '/v3/auth/oidc';
/** Revokes a Doppler token given in the body. */
export const TOKEN_REVOKE_PATH = '/v3/auth/revoke';

/** The endpoint and the per-request timeout the exchange keeps to. */
export interface OidcExchangeEndpoint extends DopplerEndpoint {
  /** Milliseconds for one request (the `timeout` option). */
  readonly timeout: number;
}

const REVOKE_NOTE = 'This was the revocation of the OIDC token (POST /v3/auth/revoke).';
// Doppler tokens and JWTs (`eyJ…` header, payload, optional signature) a server may echo.
const DOPPLER_TOKEN_SHAPE = /dp\.[a-z]+\.[A-Za-z0-9_.-]+/g;
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?/g;

/**
 * The two identity calls, `POST /v3/auth/oidc` and `POST /v3/auth/revoke`, on
 * {@link DopplerHttp}: the same transport, proxy, loopback, TLS and size rules as the download.
 * Neither sends an Authorization header (the body is the credential, as in Doppler's CLI). The
 * platform's JWT and the issued token are masked out of anything a server sends back; a failure
 * is a {@link DopplerError} built from status, codes and Doppler's scrubbed messages.
 */
export class OidcExchangeClient {
  private readonly http: DopplerHttp;

  constructor(
    private readonly endpoint: OidcExchangeEndpoint,
    private readonly now: () => number,
    environment: DopplerClientEnvironment = {},
  ) {
    this.http = new DopplerHttp(endpoint, environment);
  }

  /**
   * Exchanges the platform's JWT for a Doppler token, once (no retries).
   *
   * @throws {DopplerError} `DOPPLER_UNAUTHORIZED`/`DOPPLER_FORBIDDEN`/`DOPPLER_NOT_FOUND`/`DOPPLER_BAD_REQUEST`
   *   for Doppler's verdict on the identity or the JWT, `DOPPLER_MALFORMED_RESPONSE` for an unusable
   *   answer, and the transport's codes (`DOPPLER_TIMEOUT`, `DOPPLER_UNREACHABLE`, ...).
   */
  async exchange(
    identity: string,
    jwt: string,
    // The load's observer is told this request's answer; retries are the caller's to report.
    request: Omit<DownloadRequest, 'observer'> & { readonly observer?: Pick<FetchObserver, 'response'> } = {},
  ): Promise<IssuedToken> {
    const ctx = this.context([jwt]);
    try {
      const answer = await observeAnswer(
        this.http.send(
          {
            method: 'POST',
            path: OIDC_EXCHANGE_PATH,
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ identity, token: jwt }),
            ...(request.signal !== undefined && { signal: request.signal }),
            timing: timingOf(request.timeout ?? this.endpoint.timeout, request.budget),
          },
          ctx,
        ),
        request.observer,
      );
      if (answer.status !== 200) {
        throw describeOidcExchangeFailure(
          { status: answer.status, body: answer.body, retryAfter: answer.header('retry-after') },
          ctx,
          identity,
        );
      }
      return parseOidcAnswer(answer.body, this.now());
    } catch (error: unknown) {
      if (!(error instanceof DopplerError) || error.message.includes(EXCHANGE_NOTE)) throw error;
      throw withNote(error, EXCHANGE_NOTE);
    }
  }

  /**
   * Revokes a Doppler token, once. Any 2xx is success (Doppler's documented answer is empty).
   *
   * @throws {DopplerError} what failed, never the token.
   */
  async revoke(
    token: string,
    request: {
      readonly signal?: AbortSignal;
      readonly timeout: number;
      readonly observer?: Pick<FetchObserver, 'response'>;
    },
  ): Promise<void> {
    const ctx = this.context([token]);
    try {
      const answer = await observeAnswer(
        this.http.send(
          {
            method: 'POST',
            path: TOKEN_REVOKE_PATH,
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ token }),
            ...(request.signal !== undefined && { signal: request.signal }),
            timing: timingOf(request.timeout, undefined),
          },
          ctx,
        ),
        request.observer,
      );
      if (answer.status < 200 || answer.status >= 300) {
        throw describeHttpFailure(
          { status: answer.status, body: answer.body, retryAfter: answer.header('retry-after') },
          ctx,
        );
      }
    } catch (error: unknown) {
      if (!(error instanceof DopplerError)) throw error;
      throw withNote(error, REVOKE_NOTE);
    }
  }

  private context(credentials: readonly string[]): FailureContext {
    // The one masking engine, so a credential is also caught where a server escaped or cut it.
    const mask = createMasker(
      credentials.filter((c) => c.length > 0),
      { mask: '[token]' },
    );
    return {
      host: this.endpoint.apiUrl.host,
      tokenKind: 'oidc',
      route: this.http.route,
      scrub: (text) => mask(text).replace(DOPPLER_TOKEN_SHAPE, '[token]').replace(JWT_SHAPE, '[token]'),
    };
  }
}
