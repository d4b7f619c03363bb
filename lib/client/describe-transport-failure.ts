import { STATUS_CODES } from 'node:http';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { FailureContext } from './describe-failure.js';
import { type DopplerError } from '../errors/doppler.errors.js';
import type { NotLoopbackError } from './loopback-lookup.js';
import type { ProxyTunnelError, TunnelProgress } from './proxy-agent.js';
import type { ProxyEndpoint } from './proxy-route.js';
import { certificateProblem, describeTlsFailure, isTlsFailure } from './describe-tls-failure.js';

/** The time one request was given, and which setting set it. */
export interface RequestTiming {
  /** Milliseconds this request was given. */
  readonly ms: number;
  /** The user's per-request `timeout` option. */
  readonly timeout: number;
  /** The overall `deadline` option, when the request was part of a fetch bounded by it. */
  readonly deadline?: number;
  /** Which of the two ran out first: `deadline` when what was left of it was less than `timeout`. */
  readonly limitedBy: 'timeout' | 'deadline';
}

/** What went wrong below HTTP, as far as it may be looked at: codes and our own markers. */
export interface TransportFailure {
  /** The errno-style or TLS code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`...), when there is one. */
  readonly code?: string;
  /** The TLS handshake met something that is not TLS (a plain-http server, typically). */
  readonly notTls?: boolean;
  readonly tunnel?: ProxyTunnelError;
  readonly notLoopback?: NotLoopbackError;
  /** The request's own deadline fired. */
  readonly timedOut?: boolean;
  /** The caller's abort signal fired (application shutdown). */
  readonly cancelled?: boolean;
  readonly progress: TunnelProgress['phase'];
}

const CONNECTION_REASONS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the host name could not be resolved (DNS)',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'the connection timed out',
  ECONNABORTED: 'the connection was aborted',
  ERR_BODY_ABORTED: 'the connection closed before the whole answer arrived',
};

/** Statuses with which a proxy says its upstream is in trouble, which can heal. */
const TRANSIENT_PROXY_STATUSES = new Set([502, 503, 504]);

/**
 * Turns a failure below HTTP (no usable answer) into an error that names who failed: this
 * host's lookup guard, the proxy, TLS, or the connection to the API. Only codes and our own
 * markers are used: a library's message may quote URLs, headers or bodies.
 */
export function describeTransportFailure(
  failure: TransportFailure,
  timing: RequestTiming,
  ctx: FailureContext,
): DopplerError {
  if (failure.notLoopback) return notLoopback(failure.notLoopback, ctx);
  if (failure.timedOut) return timedOut(failure, timing, ctx);
  if (failure.cancelled) {
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `The request to Doppler at ${ctx.host} was cancelled before an answer arrived (the application is shutting down).`,
      { reason: 'ABORTED' },
    );
  }
  if (failure.tunnel) return tunnelFailure(failure.tunnel, ctx);
  if (failure.notTls || isTlsFailure(failure.code)) return describeTlsFailure(failure, ctx, viaProxy(ctx));

  const reason = failure.code ?? 'UNKNOWN';
  const what = CONNECTION_REASONS[reason];
  if (what !== undefined || failure.code === undefined) {
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `Could not reach Doppler at ${ctx.host}${viaProxy(ctx)}: ${what ?? 'the request failed before an answer arrived'} (${reason}). ${routeHint(ctx)}`,
      { retryable: true, reason },
    );
  }
  return dopplerError(
    'DOPPLER_UNREACHABLE',
    `Could not talk to Doppler at ${ctx.host}${viaProxy(ctx)} (${reason}). ${routeHint(ctx)}`,
    { retryable: /^E[A-Z]+$/.test(reason), reason },
  );
}

function timedOut(failure: TransportFailure, timing: RequestTiming, ctx: FailureContext): DopplerError {
  const limit =
    timing.limitedBy === 'deadline' && timing.deadline !== undefined
      ? `before the ${timing.deadline} ms start-up deadline ran out (deadline option; ${timing.ms} ms of it were left for this attempt)`
      : `within ${timing.timeout} ms (timeout option)`;
  if (ctx.route.kind === 'tunnel' && failure.progress !== 'open') {
    const { proxy } = ctx.route;
    return dopplerError(
      'DOPPLER_TIMEOUT',
      `The proxy at ${proxy.address} (${proxy.variable}) did not open a tunnel to ${ctx.host} ${limit}, so Doppler was never reached. ` +
        `Check that the proxy is up and allows this host, or exempt the host with NO_PROXY.`,
      { retryable: true, reason: 'PROXY_TIMEOUT' },
    );
  }
  return dopplerError(
    'DOPPLER_TIMEOUT',
    `Doppler (${ctx.host}${viaProxy(ctx)}) did not answer ${limit}. The request was stopped instead of hanging; ` +
      'check the network path to Doppler, or raise the timeout option.',
    { retryable: true, reason: 'TIMEOUT' },
  );
}

function tunnelFailure(error: ProxyTunnelError, ctx: FailureContext): DopplerError {
  const proxy = error.proxy;
  const { status, code } = error.detail;
  if (error.problem === 'status' && status === 407) {
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `Could not reach Doppler at ${ctx.host}: the proxy at ${proxy.address} asked for authentication (407 Proxy Authentication Required); ` +
        `check the credentials in ${proxy.variable}.`,
      { reason: 'PROXY_AUTH_REQUIRED' },
    );
  }
  if (error.problem === 'status') {
    const text = STATUS_CODES[status ?? 0] ?? 'unknown status';
    const policy = status === 403 ? ' Its policy may not allow this host.' : '';
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `Could not reach Doppler at ${ctx.host}: the proxy at ${proxy.address} (${proxy.variable}) refused to open a tunnel to it (${status} ${text}).${policy} ` +
        'Check the proxy, or exempt the host with NO_PROXY.',
      { retryable: TRANSIENT_PROXY_STATUSES.has(status ?? 0), reason: `PROXY_${status}` },
    );
  }
  const reason = code ?? 'UNKNOWN';
  const cert = certificateProblem(code);
  if (cert !== undefined) {
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `Could not reach Doppler at ${ctx.host}: the TLS certificate of the proxy at ${proxy.address} (${proxy.variable}) was not accepted: ${cert} (${reason}). ` +
        "If it is your network's proxy, give Node its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.",
      { reason },
    );
  }
  return dopplerError(
    'DOPPLER_UNREACHABLE',
    `Could not reach the proxy at ${proxy.address} (${proxy.variable}) on the way to Doppler at ${ctx.host}: ` +
      `${CONNECTION_REASONS[reason] ?? 'the connection failed'} (${reason}). Check that the proxy is up and that ${proxy.variable} is right, or exempt the host with NO_PROXY.`,
    { retryable: CONNECTION_REASONS[reason] !== undefined || code === undefined, reason },
  );
}

function notLoopback(error: NotLoopbackError, ctx: FailureContext): DopplerError {
  const addresses = error.addresses.slice(0, 3).join(', ') || 'no address';
  return dopplerError(
    'DOPPLER_UNREACHABLE',
    `Refused to send the token to ${ctx.host} over plain http: the name resolves to ${addresses}, not a loopback address, ` +
      'so the token would have crossed the network in clear text. Nothing was sent. Use an https: apiUrl, or 127.0.0.1 / [::1] for a local server ' +
      '(dangerouslyAllowInsecureHttp accepts clear text to any host, for a trusted network only).',
    { reason: 'NOT_LOOPBACK' },
  );
}

/** " through the proxy at host:port (VARIABLE)" when one is in the path, else "". */
export function viaProxy(ctx: FailureContext): string {
  return ctx.route.kind === 'direct' ? '' : ` through the proxy at ${describeProxy(ctx.route.proxy)}`;
}

function describeProxy(proxy: ProxyEndpoint): string {
  return `${proxy.address} (${proxy.variable})`;
}

/** What to check, given how the request was routed. */
function routeHint(ctx: FailureContext): string {
  switch (ctx.route.kind) {
    case 'direct':
      if (ctx.route.why === 'loopback') {
        return 'It is a loopback address, reached directly (never through a proxy): is the emulator or local server running on that port?';
      }
      if (ctx.route.why === 'no-proxy') {
        return 'NO_PROXY exempts this host, so it was reached directly: check DNS and firewall, or remove it from NO_PROXY.';
      }
      return 'Check DNS and firewall settings of this container or host; no proxy is set for it (HTTPS_PROXY).';
    case 'tunnel':
      return 'The proxy opened the tunnel, so the trouble is between the proxy and Doppler, or the proxy dropped it.';
    case 'forward':
      return `Check that the proxy in ${ctx.route.proxy.variable} is up and allows this host.`;
  }
}
