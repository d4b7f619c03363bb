import type { Logger } from '@nestjs/common';
import { dopplerError } from '../errors/create-doppler-error.js';
import { tokenProviderFor, type TokenProvider, type TokenRequest } from '../auth/token-provider.js';
import { DopplerClient, type DownloadResult } from '../client/doppler-client.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { downloadWithRetries } from '../client/download-with-retries.js';
import { deadlinePassed, type Clock, type SignalSource } from '../core/clock.js';
import type { ScopePin } from '../core/scope-pin.js';
import {
  withToken,
  type ResolvedDopplerOptions,
  type ResolvedModuleOptions,
} from '../options/resolve-options.js';
import { WatchStream } from '../refresh/watch/watch-stream.js';
import type { LoadOutcome, LoadRequest, SecretsSource, WatchContext } from './secrets-source.js';
import type { InstanceTelemetry } from '../telemetry/doppler-telemetry.js';

/** The options and HTTP client for one token. */
interface Session {
  readonly options: ResolvedDopplerOptions;
  readonly client: DopplerClient;
}

/**
 * Doppler's API: the download endpoint, with the token option, a token file or an OIDC exchange.
 * At bootstrap it retries within the deadline; a refresh makes one attempt with the ETag of the
 * set held. A token file is re-read before every load; a rotated token for another config is
 * refused (the current token stays in use) rather than switching the app to another environment.
 * An exchanged token that Doppler refuses (401) during a refresh is exchanged again, once, and the
 * download tried again with the new one before the failure is reported.
 */
export class ApiSource implements SecretsSource {
  readonly refreshable = true;
  readonly #tokens: TokenProvider;
  #session: Session | undefined;

  constructor(
    private readonly resolved: ResolvedModuleOptions,
    private readonly pin: ScopePin,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly random: () => number = Math.random,
    telemetry?: Pick<InstanceTelemetry, 'tokenExpiresAt' | 'countRequest'>,
  ) {
    if (resolved.credential === undefined) throw new TypeError('ApiSource needs a credential');
    this.#tokens = tokenProviderFor(resolved.credential, {
      resolved,
      clock,
      logger,
      ...(env !== undefined && { env }),
      ...(telemetry !== undefined && {
        onExpiry: (at) => telemetry.tokenExpiresAt(at),
        requests: { response: (status, errorType) => telemetry.countRequest(status, errorType) },
      }),
    });
  }

  get description(): string {
    return 'Doppler';
  }

  /** The options of the token in use (after the first load), for the fallback policy. */
  get options(): ResolvedDopplerOptions | undefined {
    return this.#session?.options;
  }

  /**
   * The token's options, reading the token file when there is one.
   * @throws {DopplerConfigurationError} for an unreadable file or a malformed token.
   * @throws {DopplerError} `DOPPLER_SCOPE_MISMATCH` for a rotated token of another config.
   */
  async session(until: SignalSource, request?: TokenRequest): Promise<Session> {
    const current = this.#session;
    if (current && !this.#tokens.rotates) return current;
    const options = withToken(this.resolved, await this.#tokens.token(until, request), this.#tokens.where);
    if (current && options.token === current.options.token) return current;
    this.pin.admitToken(options.token);
    const session = { options, client: new DopplerClient(options, { env: this.env, clock: this.clock }) };
    // An exchange logs its own renewals.
    if (current && this.resolved.credential?.kind === 'file') {
      this.logger.log('The token file changed; using the new token from now on.');
    }
    this.#session = session;
    return session;
  }

  async load(request: LoadRequest): Promise<LoadOutcome> {
    const tokenRequest: TokenRequest = {
      phase: request.phase,
      deadlineAt: request.deadlineAt,
      ...(request.observer !== undefined && { observer: request.observer }),
    };
    // The request itself: its signal is read only if getting the token waits.
    const first = await this.session(request, tokenRequest);
    try {
      return await this.loadWith(first, request);
    } catch (error: unknown) {
      // A token that ended early (revoked, or expired before its expires_at): exchange once more.
      if (
        request.phase !== 'refresh' ||
        !(error instanceof DopplerError && error.code === 'DOPPLER_UNAUTHORIZED') ||
        request.signal.aborted ||
        this.#tokens.rejected?.(first.options.token) !== true
      ) {
        throw error;
      }
      this.logger.warn(
        'Doppler refused the exchanged token (401) before its expires_at; exchanging the OIDC token again, once.',
      );
      return this.loadWith(await this.session(request, tokenRequest), request);
    }
  }

  /** Releases the token provider (an exchanged token is revoked). Never rejects. */
  async close(): Promise<void> {
    await this.#tokens.close?.();
  }

  private async loadWith({ options, client }: Session, request: LoadRequest): Promise<LoadOutcome> {
    const download = await this.download(client, options, request).catch((error: unknown) => {
      // The load's own deadline cut the request: that is a timeout, not a dropped connection.
      if (
        deadlinePassed(request.signal) &&
        !(error instanceof DopplerError && error.code === 'DOPPLER_TIMEOUT')
      ) {
        throw dopplerError(
          'DOPPLER_TIMEOUT',
          `Doppler did not answer before the ${this.resolved.deadline} ms deadline (the deadline option) ran out (${options.apiUrl.host}). ` +
            'Check the network path to Doppler, or raise the deadline option.',
          { retryable: true, reason: 'TIMEOUT' },
        );
      }
      throw error;
    });
    if (download.kind === 'not-modified') {
      if (request.etag === undefined) {
        // Only reachable if a server answers 304 to a request that named no version.
        throw dopplerError(
          'DOPPLER_UNEXPECTED_STATUS',
          'Doppler answered 304 Not Modified to a request that named no version. Check the apiUrl option and any proxy in between.',
          { status: 304 },
        );
      }
      return { kind: 'not-modified', etag: download.etag };
    }
    return {
      kind: 'set',
      set: {
        raw: download.secrets,
        origin: 'doppler-api',
        fetchedAt: new Date(this.clock.now()),
        ...(download.etag !== undefined && { etag: download.etag }),
      },
    };
  }

  /**
   * With `refresh.watch`, keeps Doppler's watch stream open (see `WatchStream`): each connection
   * reads the token (file) afresh and goes through the same client rules as the download.
   */
  watch(onChange: () => void, context?: WatchContext): () => void {
    const refresh = this.resolved.refresh;
    if (!refresh?.watch) return () => undefined;
    const stream = new WatchStream({
      open: async (signal) =>
        (await this.session({ signal })).client.openWatch({
          signal,
          ...(context?.requests !== undefined && { observer: context.requests }),
        }),
      onUpdate: onChange,
      onState: (state) => context?.channel('stream', state),
      clock: this.clock,
      random: context?.random ?? Math.random,
      logger: this.logger,
      pollInterval: refresh.interval,
    });
    context?.channel('stream', 'down');
    stream.start();
    return () => stream.stop();
  }

  private download(
    client: DopplerClient,
    options: ResolvedDopplerOptions,
    request: LoadRequest,
  ): Promise<DownloadResult> {
    const remaining = Math.max(1, request.deadlineAt - this.clock.now());
    const observer = request.observer !== undefined ? { observer: request.observer } : {};
    return request.phase === 'bootstrap'
      ? // The retry loop keeps to the deadline itself (on the load's clock, which deadlineAt is
        // in), and says how many attempts it made.
        downloadWithRetries(
          client,
          {
            retries: options.retries,
            deadline: this.resolved.deadline,
            deadlineAt: request.deadlineAt,
            timeout: options.timeout,
            clock: this.clock,
            random: this.random,
          },
          observer,
        )
      : client.download({
          signal: request.signal,
          ...(request.etag !== undefined && { etag: request.etag }),
          timeout: Math.min(options.timeout, remaining),
          ...observer,
        });
  }
}
