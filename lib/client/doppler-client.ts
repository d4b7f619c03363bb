import { createMasker } from '../redaction/pattern-matcher.js';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { dopplerError } from '../errors/create-doppler-error.js';
import { DOWNLOAD_PATH } from '../doppler.constants.js';
import type { ResolvedDopplerOptions } from '../utils/resolve-options.js';
import { describeHttpFailure, type FailureContext } from './describe-failure.js';
import { looksLikePlainHttp } from './describe-tls-failure.js';
import {
  describeTransportFailure,
  type RequestTiming,
  type TransportFailure,
} from './describe-transport-failure.js';
import { DopplerConfigurationError, DopplerError } from '../errors/doppler.errors.js';
import { NotLoopbackError, type ResolveAll } from './loopback-lookup.js';
import { parseSecretsPayload } from './parse-secrets-payload.js';
import { ProxyTunnelError } from './proxy-agent.js';
import { planRoute, type ClientEnv, type Route } from './proxy-route.js';
import { createRequestTransport, type TransportPlan } from './request-transport.js';

/** A download that brought secrets. */
export interface SecretsDownload {
  readonly kind: 'secrets';
  readonly secrets: Readonly<Record<string, string>>;
  /** Doppler's version tag of this set, for `If-None-Match` next time. */
  readonly etag?: string;
  /** Size of the (decompressed) body in bytes. */
  readonly bytes: number;
}

/** Doppler said nothing changed since the given ETag. */
export interface NotModified {
  readonly kind: 'not-modified';
  readonly etag: string;
}

export type DownloadResult = SecretsDownload | NotModified;

export interface DownloadRequest {
  /** ETag of the set the caller holds; Doppler answers 304 when it is still current. */
  readonly etag?: string;
  /** Aborts the request, e.g. on application shutdown. */
  readonly signal?: AbortSignal;
  /** Deadline of this request in milliseconds. @default the `timeout` option */
  readonly timeout?: number;
  /**
   * The overall deadline this request is part of, when there is one: the request gets
   * `min(timeout, remainingMs)`, and a timeout message names the setting that ran out.
   */
  readonly budget?: { readonly deadlineMs: number; readonly remainingMs: number };
}

/** What the client takes from its surroundings; injectable so tests touch no globals. */
export interface DopplerClientEnvironment {
  /**
   * Where proxy settings are read from (`HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`,
   * `http_proxy`, `NO_PROXY`...). Read once, when the client is made.
   * @default process.env
   */
  readonly env?: ClientEnv;
  /**
   * Certificate authorities to trust instead of Node's bundle, for the API and an https:
   * proxy. For tests; in production use NODE_EXTRA_CA_CERTS.
   * @default undefined (Node's trust store)
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * The DNS resolver behind the check that a plain-http name resolves to loopback only,
   * in the shape of `dns.lookup` with `{ all: true }`. For tests of that check.
   * @default dns.lookup
   */
  readonly resolve?: ResolveAll;
}

const USER_AGENT = 'nestjs-doppler';

/**
 * The one place that speaks HTTP. Every safety rule for talking to Doppler lives here:
 * a hard deadline per request (an idle timer alone lets a dripping server hold start-up
 * forever), no redirects (the token must not travel to another host), no absolute URLs,
 * a size cap that also holds after decompression, and a body taken as text and parsed by
 * us. Proxies come from the environment but are applied here, not by axios: a CONNECT
 * tunnel for https:, never a proxy for loopback, clear text only to loopback (checked on
 * the resolved address) unless `dangerouslyAllowInsecureHttp`. Failures leave as
 * {@link DopplerError}s built from status and errno codes only; the HTTP library's own
 * error, which carries the token in its request headers, never escapes.
 */
export class DopplerClient {
  private readonly http: AxiosInstance;
  private readonly context: FailureContext;
  private readonly plan: TransportPlan | DopplerConfigurationError;

  constructor(
    private readonly options: ResolvedDopplerOptions,
    environment: DopplerClientEnvironment = {},
  ) {
    this.http = axios.create({
      // href keeps a path prefix (a gateway at https://gw.corp/doppler); the request path is
      // relative to it, so the prefix appears once.
      baseURL: `${options.apiUrl.href.replace(/\/+$/, '')}/`,
      allowAbsoluteUrls: false,
      maxRedirects: 0,
      // Proxies are applied by our transport (see request-transport.ts), never by axios from the environment.
      proxy: false,
      maxContentLength: options.maxResponseBytes,
      maxBodyLength: 0,
      responseType: 'text',
      responseEncoding: 'utf8',
      // Keep the body exactly as received: no JSON guessing, no silent fallback to text.
      transformResponse: [(data: unknown) => data],
      transitional: { silentJSONParsing: false, forcedJSONParsing: false },
      validateStatus: () => true,
      decompress: true,
    });
    const route = routeOrError(options.apiUrl, environment.env ?? process.env);
    this.plan =
      route instanceof DopplerConfigurationError
        ? route
        : {
            target: options.apiUrl,
            route,
            allowInsecureHttp: options.dangerouslyAllowInsecureHttp,
            ...(environment.ca !== undefined && { ca: environment.ca }),
            ...(environment.resolve !== undefined && { resolve: environment.resolve }),
          };
    // The one masking engine, so the token is also caught where a server escaped or cut it;
    // built on the first failure that needs it, not on every boot.
    let maskToken: ((text: string) => string) | undefined;
    this.context = {
      host: options.apiUrl.host,
      ...(options.project !== undefined && { project: options.project }),
      ...(options.config !== undefined && { config: options.config }),
      tokenKind: options.tokenKind,
      route: route instanceof DopplerConfigurationError ? { kind: 'direct', why: 'none-set' } : route,
      // Anything shaped like a Doppler token goes too: a server may echo another one.
      scrub: (text) =>
        (maskToken ??= createMasker([options.token], { mask: '[token]' }))(text).replace(
          /dp\.[a-z]+\.[A-Za-z0-9_.-]+/g,
          '[token]',
        ),
    };
  }

  /**
   * Downloads the config's secrets once (no retries).
   *
   * @throws {DopplerError} a subclass naming what went wrong; never an HTTP library error.
   */
  async download(request: DownloadRequest = {}): Promise<DownloadResult> {
    if (this.plan instanceof DopplerConfigurationError) throw this.plan;
    const timing = timingOf(request.timeout ?? this.options.timeout, request.budget);
    const deadline = AbortSignal.timeout(timing.ms);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    const { transport, agent, progress } = createRequestTransport(this.plan, signal);
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.get(DOWNLOAD_PATH.replace(/^\//, ''), {
        params: this.query(),
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          Accept: 'application/json',
          'User-Agent': USER_AGENT,
          ...(request.etag !== undefined && { 'If-None-Match': request.etag }),
        },
        signal,
        transport,
      });
    } catch (error: unknown) {
      throw this.transportError(error, {
        timedOut: deadline.aborted,
        cancelled: request.signal?.aborted === true,
        progress: progress.phase,
        timing,
      });
    } finally {
      agent.destroy();
    }
    return this.read(response, request.etag);
  }

  private query(): Record<string, string> {
    return {
      format: 'json',
      ...(this.options.project !== undefined && { project: this.options.project }),
      ...(this.options.config !== undefined && { config: this.options.config }),
    };
  }

  private read(response: AxiosResponse<unknown>, sentEtag: string | undefined): DownloadResult {
    const header = (name: string): string | undefined => {
      const value: unknown = response.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const body = typeof response.data === 'string' ? response.data : '';
    if (response.status === 304 && sentEtag !== undefined) {
      return { kind: 'not-modified', etag: header('etag') ?? sentEtag };
    }
    if (response.status !== 200) {
      throw describeHttpFailure(
        { status: response.status, body, retryAfter: header('retry-after') },
        this.context,
      );
    }
    const secrets = parseSecretsPayload(body, header('content-type'));
    const etag = header('etag');
    return {
      kind: 'secrets',
      secrets,
      bytes: Buffer.byteLength(body),
      ...(etag !== undefined && { etag }),
    };
  }

  private transportError(
    error: unknown,
    state: {
      timedOut: boolean;
      cancelled: boolean;
      progress: TransportFailure['progress'];
      timing: RequestTiming;
    },
  ): DopplerError {
    if (error instanceof DopplerError) return error;
    const { timing, ...facts } = state;
    const code = axios.isAxiosError(error) ? error.code : undefined;
    // Only the message of axios's own size check is inspected, and never passed on.
    if (code === 'ERR_BAD_RESPONSE' && error instanceof Error && /maxContentLength/.test(error.message)) {
      return dopplerError(
        'DOPPLER_RESPONSE_TOO_LARGE',
        `The answer from ${this.options.apiUrl.host} was larger than ${this.options.maxResponseBytes} bytes (after decompression) and was dropped. ` +
          'A secrets download is small: check the apiUrl option and any gateway or proxy in between, or raise maxResponseBytes.',
      );
    }
    if (code === 'ERR_BAD_RESPONSE') {
      // axios's name for a body stream that ended early (a reset mid-body).
      return describeTransportFailure({ ...facts, code: 'ERR_BODY_ABORTED' }, timing, this.context);
    }
    const cause = axios.isAxiosError(error) ? (error.cause as unknown) : undefined;
    if (cause instanceof ProxyTunnelError) {
      return describeTransportFailure({ ...facts, tunnel: cause }, timing, this.context);
    }
    if (cause instanceof NotLoopbackError) {
      return describeTransportFailure({ ...facts, notLoopback: cause }, timing, this.context);
    }
    const errno = errnoOf(cause) ?? code;
    const libraryMessage = cause instanceof Error ? cause.message : '';
    return describeTransportFailure(
      {
        ...facts,
        ...(errno !== undefined && errno !== 'ERR_CANCELED' && { code: errno }),
        notTls: this.options.apiUrl.protocol === 'https:' && looksLikePlainHttp(errno, libraryMessage),
      },
      timing,
      this.context,
    );
  }
}

/** The request's time and which setting gave it. */
function timingOf(timeout: number, budget: DownloadRequest['budget']): RequestTiming {
  if (budget === undefined || budget.remainingMs >= timeout)
    return { ms: timeout, timeout, limitedBy: 'timeout' };
  return {
    ms: Math.max(1, budget.remainingMs),
    timeout,
    deadline: budget.deadlineMs,
    limitedBy: 'deadline',
  };
}

function routeOrError(apiUrl: URL, env: ClientEnv): Route | DopplerConfigurationError {
  try {
    return planRoute(apiUrl, env);
  } catch (error: unknown) {
    if (error instanceof DopplerConfigurationError) return error;
    throw error;
  }
}

/** The errno-style code of a low-level error, looking into a happy-eyeballs AggregateError. */
function errnoOf(cause: unknown): string | undefined {
  const own = (cause as { code?: unknown } | undefined)?.code;
  if (typeof own === 'string') return own;
  const parts = (cause as { errors?: unknown } | undefined)?.errors;
  const first = Array.isArray(parts) ? (parts[0] as { code?: unknown } | undefined)?.code : undefined;
  return typeof first === 'string' ? first : undefined;
}
