import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import { startDeadline, systemClock, type Clock } from '../core/clock.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import { DopplerConfigurationError, DopplerError } from '../errors/doppler.errors.js';
import type { FailureContext } from './describe-failure.js';
import { looksLikePlainHttp } from './describe-tls-failure.js';
import {
  describeTransportFailure,
  type RequestTiming,
  type TransportFailure,
} from './describe-transport-failure.js';
import { NotLoopbackError, type ResolveAll } from './loopback-lookup.js';
import { ProxyTunnelError } from './proxy-agent.js';
import { planRoute, type ClientEnv, type Route } from './proxy-route.js';
import { createRequestTransport, type TransportPlan } from './request-transport.js';

/** What the transport takes from its surroundings; injectable so tests touch no globals. */
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
  /**
   * @internal Time for the per-request deadline, so tests of hung servers run on fake time.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** Where requests go and the limits each keeps to: the part of the options the transport needs. */
export interface DopplerEndpoint {
  readonly apiUrl: URL;
  /** Clear text to a host that is not loopback is accepted (credentials travel unencrypted). */
  readonly dangerouslyAllowInsecureHttp: boolean;
  readonly maxResponseBytes: number;
}

/** One request to a path under the apiUrl. */
export interface DopplerHttpCall {
  readonly method: 'GET' | 'POST';
  /** Absolute path of the endpoint (`/v3/...`), appended to the apiUrl's own path. */
  readonly path: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** A serialized JSON body; its exact size is the body limit, so nothing else can be sent. */
  readonly body?: string;
  /** The caller's own abort (application shutdown, a deadline of its own). */
  readonly signal?: AbortSignal;
  /** How long this request may take, and which setting said so. */
  readonly timing: RequestTiming;
}

/** An HTTP answer, whatever its status; the body as the text received. */
export interface DopplerHttpAnswer {
  readonly status: number;
  readonly body: string;
  header(name: string): string | undefined;
}

/** An answer whose body is read as it arrives (the watch stream); `close()` is idempotent. */
export interface DopplerHttpStream {
  readonly status: number;
  readonly body: Readable;
  header(name: string): string | undefined;
  readonly close: () => void;
}

const USER_AGENT = 'nestjs-doppler';

let sharedAxios: AxiosInstance | undefined;

/**
 * The rules every request keeps, in one axios instance for the process, made on the first
 * request: what differs between clients (the apiUrl, the size cap) goes with each request, so a
 * boot does not build an instance of its own.
 */
function rulesAxios(): AxiosInstance {
  sharedAxios ??= axios.create({
    allowAbsoluteUrls: false,
    maxRedirects: 0,
    // Proxies are applied by our transport (see request-transport.ts), never by axios from the environment.
    proxy: false,
    maxBodyLength: 0,
    responseType: 'text',
    responseEncoding: 'utf8',
    // Keep the body exactly as received: no JSON guessing, no silent fallback to text.
    transformResponse: [(data: unknown) => data],
    // A request body is sent as the caller serialized it.
    transformRequest: [(data: unknown) => data],
    transitional: { silentJSONParsing: false, forcedJSONParsing: false },
    validateStatus: () => true,
    decompress: true,
  });
  return sharedAxios;
}

/**
 * The one place that speaks HTTP to Doppler, for every endpoint. Every safety rule lives here:
 * a hard deadline per request (an idle timer alone lets a dripping server hold start-up
 * forever), no redirects (credentials must not travel to another host), no absolute URLs, a
 * size cap that also holds after decompression, and a body taken as text and parsed by the
 * caller. Proxies come from the environment but are applied here, not by axios: a CONNECT
 * tunnel for https:, never a proxy for loopback, clear text only to loopback (checked on the
 * resolved address) unless `dangerouslyAllowInsecureHttp`. Failures below HTTP leave as
 * {@link DopplerError}s built from errno codes only; the HTTP library's own error, which carries
 * the request's headers and body, never escapes.
 */
export class DopplerHttp {
  private readonly target: { readonly baseURL: string; readonly maxContentLength: number };
  private readonly plan: TransportPlan | DopplerConfigurationError;
  private readonly clock: Clock;
  /** How requests reach the apiUrl, for failure messages. */
  readonly route: Route;

  constructor(
    private readonly endpoint: DopplerEndpoint,
    environment: DopplerClientEnvironment = {},
  ) {
    this.target = {
      // href keeps a path prefix (a gateway at https://gw.corp/doppler); the request path is
      // relative to it, so the prefix appears once.
      baseURL: `${endpoint.apiUrl.href.replace(/\/+$/, '')}/`,
      maxContentLength: endpoint.maxResponseBytes,
    };
    this.clock = environment.clock ?? systemClock;
    const route = routeOrError(endpoint.apiUrl, environment.env ?? process.env);
    this.route = route instanceof DopplerConfigurationError ? { kind: 'direct', why: 'none-set' } : route;
    this.plan =
      route instanceof DopplerConfigurationError
        ? route
        : {
            target: endpoint.apiUrl,
            route,
            allowInsecureHttp: endpoint.dangerouslyAllowInsecureHttp,
            ...(environment.ca !== undefined && { ca: environment.ca }),
            ...(environment.resolve !== undefined && { resolve: environment.resolve }),
          };
  }

  /**
   * Sends one request (no retries) and returns the answer, whatever its status.
   *
   * @throws {DopplerConfigurationError} when the proxy settings in the environment are unusable.
   * @throws {DopplerError} naming what failed below HTTP, from codes only.
   */
  async send(call: DopplerHttpCall, ctx: FailureContext): Promise<DopplerHttpAnswer> {
    if (this.plan instanceof DopplerConfigurationError) throw this.plan;
    const deadline = startDeadline(this.clock, call.timing.ms);
    const signal = call.signal ? AbortSignal.any([deadline.signal, call.signal]) : deadline.signal;
    const { transport, agent, progress } = createRequestTransport(this.plan, signal);
    let response: AxiosResponse<unknown>;
    try {
      response = await rulesAxios().request({
        ...this.target,
        method: call.method,
        url: call.path.replace(/^\//, ''),
        ...(call.params !== undefined && { params: call.params }),
        headers: { 'User-Agent': USER_AGENT, ...call.headers },
        ...(call.body !== undefined && { data: call.body, maxBodyLength: Buffer.byteLength(call.body) }),
        signal,
        transport,
      });
    } catch (error: unknown) {
      throw this.transportError(
        error,
        {
          timedOut: deadline.signal.aborted,
          cancelled: call.signal?.aborted === true,
          progress: progress.phase,
          timing: call.timing,
        },
        ctx,
      );
    } finally {
      deadline.release();
      agent.destroy();
    }
    const headers = response.headers;
    return {
      status: response.status,
      body: typeof response.data === 'string' ? response.data : '',
      header: (name) => {
        const value: unknown = headers[name.toLowerCase()];
        return typeof value === 'string' ? value : undefined;
      },
    };
  }

  /**
   * Opens one request whose body is streamed (server-sent events), on the same transport and
   * rules as {@link send}. `call.timing` bounds the wait for the answer's headers only; once they
   * are in, the body lives until `call.signal` aborts, it ends, or `close()`.
   *
   * @throws {DopplerConfigurationError} when the proxy settings in the environment are unusable.
   * @throws {DopplerError} naming what failed below HTTP, from codes only.
   */
  async stream(
    call: DopplerHttpCall & { readonly signal: AbortSignal },
    ctx: FailureContext,
  ): Promise<DopplerHttpStream> {
    if (this.plan instanceof DopplerConfigurationError) throw this.plan;
    // On the client's clock, as for send(): a test's fake clock cuts a hung stream's headers.
    const headersDue = startDeadline(this.clock, call.timing.ms);
    const signal = AbortSignal.any([headersDue.signal, call.signal]);
    const { transport, agent, progress } = createRequestTransport(this.plan, signal);
    let response: AxiosResponse<Readable>;
    try {
      response = await rulesAxios().request<Readable>({
        ...this.target,
        method: call.method,
        url: call.path.replace(/^\//, ''),
        ...(call.params !== undefined && { params: call.params }),
        headers: { 'User-Agent': USER_AGENT, ...call.headers },
        responseType: 'stream',
        signal,
        transport,
      });
    } catch (error: unknown) {
      agent.destroy();
      throw this.transportError(
        error,
        {
          timedOut: headersDue.signal.aborted && !call.signal.aborted,
          cancelled: call.signal.aborted,
          progress: progress.phase,
          timing: call.timing,
        },
        ctx,
      );
    } finally {
      headersDue.release();
    }
    const body = response.data;
    const close = (): void => {
      body.destroy();
      agent.destroy();
    };
    call.signal.addEventListener('abort', close, { once: true });
    body.once('close', () => {
      call.signal.removeEventListener('abort', close);
      agent.destroy();
    });
    const headers = response.headers;
    return {
      status: response.status,
      body,
      close,
      header: (name) => {
        const value: unknown = headers[name.toLowerCase()];
        return typeof value === 'string' ? value : undefined;
      },
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
    ctx: FailureContext,
  ): DopplerError {
    if (error instanceof DopplerError) return error;
    const { timing, ...facts } = state;
    const code = axios.isAxiosError(error) ? error.code : undefined;
    // Only the message of axios's own size check is inspected, and never passed on.
    if (code === 'ERR_BAD_RESPONSE' && error instanceof Error && /maxContentLength/.test(error.message)) {
      return dopplerError(
        'DOPPLER_RESPONSE_TOO_LARGE',
        `The answer from ${this.endpoint.apiUrl.host} was larger than ${this.endpoint.maxResponseBytes} bytes (after decompression) and was dropped. ` +
          "Doppler's answers are small: check the apiUrl option and any gateway or proxy in between, or raise maxResponseBytes.",
      );
    }
    if (code === 'ERR_BAD_RESPONSE') {
      // axios's name for a body stream that ended early (a reset mid-body).
      return describeTransportFailure({ ...facts, code: 'ERR_BODY_ABORTED' }, timing, ctx);
    }
    const cause = axios.isAxiosError(error) ? (error.cause as unknown) : undefined;
    if (cause instanceof ProxyTunnelError) {
      return describeTransportFailure({ ...facts, tunnel: cause }, timing, ctx);
    }
    if (cause instanceof NotLoopbackError) {
      return describeTransportFailure({ ...facts, notLoopback: cause }, timing, ctx);
    }
    const errno = errnoOf(cause) ?? code;
    const libraryMessage = cause instanceof Error ? cause.message : '';
    return describeTransportFailure(
      {
        ...facts,
        ...(errno !== undefined && errno !== 'ERR_CANCELED' && { code: errno }),
        notTls: this.endpoint.apiUrl.protocol === 'https:' && looksLikePlainHttp(errno, libraryMessage),
      },
      timing,
      ctx,
    );
  }
}

/** The request's time and which setting gave it. */
export function timingOf(
  timeout: number,
  budget: { readonly deadlineMs: number; readonly remainingMs: number } | undefined,
): RequestTiming {
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
