import {
  DopplerAuthError,
  DopplerBadRequestError,
  DopplerConnectionError,
  type DopplerError,
  DopplerNotFoundError,
  DopplerRateLimitError,
  DopplerResponseError,
  DopplerServerError,
  DopplerTimeoutError,
} from './doppler.errors.js';
import { tokenPrefixOf, type DopplerTokenKind } from '../utils/token-kind.js';

/** What a failure message may mention: names and numbers, never the token. */
export interface FailureContext {
  readonly host: string;
  readonly project?: string;
  readonly config?: string;
  readonly tokenKind: DopplerTokenKind;
  readonly timeout: number;
  /** Scrubs the token (and anything else secret) out of text the server sent. */
  readonly scrub: (text: string) => string;
}

/** An HTTP answer that is not a secrets download. */
export interface HttpFailure {
  readonly status: number;
  readonly body: string;
  readonly retryAfter?: string | undefined;
  readonly location?: boolean;
}

function scopeOf(ctx: FailureContext): string {
  if (ctx.project && ctx.config) return `project "${ctx.project}", config "${ctx.config}"`;
  if (ctx.project) return `project "${ctx.project}"`;
  return ctx.tokenKind === 'service' ? "the service token's project and config" : 'the requested config';
}

/**
 * Doppler's own explanation from a `{"messages": [...]}` body, scrubbed and shortened, or
 * nothing when the body is not that shape (an HTML page from a proxy, say).
 */
export function dopplerMessages(body: string, scrub: (text: string) => string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return '';
  }
  const messages = (parsed as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  const said = messages
    .filter((m): m is string => typeof m === 'string')
    .slice(0, 3)
    // Control characters could forge log lines; long text is noise.
    .map((m) =>
      scrub(m)
        .replace(/[\u0000-\u001f\u007f]/g, ' ')
        .slice(0, 200),
    )
    .filter((m) => m.trim() !== '');
  return said.length > 0 ? ` Doppler said: "${said.join('; ')}".` : '';
}

/** Seconds (`120`) or an HTTP date, as `retry-after` allows; undefined when unusable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Turns a status Doppler answered with into the error a user can act on. */
export function describeHttpFailure(failure: HttpFailure, ctx: FailureContext): DopplerError {
  const { status } = failure;
  const said = dopplerMessages(failure.body, ctx.scrub);
  const scope = scopeOf(ctx);
  const kind = tokenPrefixOf(ctx.tokenKind);

  if (status === 401) {
    return new DopplerAuthError(
      'DOPPLER_UNAUTHORIZED',
      `Doppler rejected the token (401 Unauthorized): it is wrong, revoked, or belongs to another workplace (token kind: ${kind}). ` +
        `Check that DOPPLER_TOKEN holds a current token for ${scope}, or create a new service token.${said}`,
      { status },
    );
  }
  if (status === 403) {
    return new DopplerAuthError(
      'DOPPLER_FORBIDDEN',
      `Doppler refused access to ${scope} (403 Forbidden): the token is scoped to a different project or config, or lacks read access. ` +
        `Use a token created for this project and config, or fix the project/config options.${said}`,
      { status },
    );
  }
  if (status === 404) {
    return new DopplerNotFoundError(
      'DOPPLER_NOT_FOUND',
      `Doppler could not find ${scope} (404 Not Found). Check the project and config names; the secret may be defined in another config.${said}`,
      { status },
    );
  }
  if (status === 400) {
    return new DopplerBadRequestError(
      'DOPPLER_BAD_REQUEST',
      `Doppler rejected the request for ${scope} (400 Bad Request). Check the project and config options.${said}`,
      { status },
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(failure.retryAfter);
    const wait = retryAfterMs === undefined ? '' : ` It asked to wait ${Math.ceil(retryAfterMs / 1000)} s.`;
    return new DopplerRateLimitError(
      'DOPPLER_RATE_LIMITED',
      `Doppler rate-limited the request (429 Too Many Requests).${wait} Too many replicas may be fetching at once with the same token; spread start-ups or enable the fallback.${said}`,
      { status, retryable: true, ...(retryAfterMs !== undefined && { retryAfterMs }) },
    );
  }
  if (status >= 500) {
    return new DopplerServerError(
      'DOPPLER_SERVER_ERROR',
      `Doppler answered ${status}: the service is having trouble. Try again later, check https://status.doppler.com, or enable the fallback.${said}`,
      { status, retryable: true },
    );
  }
  if (status >= 300 && status < 400) {
    return new DopplerResponseError(
      'DOPPLER_REDIRECT',
      `Doppler's address ${ctx.host} answered with a redirect (${status}), which Doppler never sends for this endpoint; the redirect was not followed, so the token went nowhere else. ` +
        'Check the apiUrl option and any proxy in between.',
      { status },
    );
  }
  return new DopplerResponseError(
    'DOPPLER_UNEXPECTED_STATUS',
    `Doppler answered with an unexpected status ${status} for ${scope}. Check the apiUrl option and any proxy in between.${said}`,
    { status },
  );
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

/**
 * Turns a failure below HTTP (no usable answer) into an error. Only the errno-style code
 * is used: the library's message may quote URLs, headers or bodies.
 */
export function describeTransportFailure(
  code: string | undefined,
  timedOut: boolean,
  ctx: FailureContext,
): DopplerError {
  if (timedOut) {
    return new DopplerTimeoutError(
      'DOPPLER_TIMEOUT',
      `Doppler did not answer within ${ctx.timeout} ms (${ctx.host}). Start-up was stopped instead of hanging; check the network path to Doppler, or raise the timeout option.`,
      { retryable: true, reason: 'TIMEOUT' },
    );
  }
  const reason = code ?? 'UNKNOWN';
  const what = CONNECTION_REASONS[reason];
  if (what !== undefined || code === undefined) {
    const proxy = process.env['HTTPS_PROXY'] ?? process.env['https_proxy'];
    const hint = proxy
      ? 'A proxy is configured (HTTPS_PROXY): check that it is up and allows this host.'
      : 'Check DNS, firewall and proxy settings (HTTPS_PROXY) of this container or host.';
    return new DopplerConnectionError(
      'DOPPLER_UNREACHABLE',
      `Could not reach Doppler at ${ctx.host}: ${what ?? 'the request failed before an answer arrived'} (${reason}). ${hint}`,
      { retryable: true, reason },
    );
  }
  // TLS failures (certificate, protocol) are not transient and usually mean interception.
  return new DopplerConnectionError(
    'DOPPLER_UNREACHABLE',
    `Could not talk to Doppler at ${ctx.host} (${reason}). If this is a TLS error, a proxy may be intercepting the connection; check NODE_EXTRA_CA_CERTS and proxy settings.`,
    { retryable: /^E[A-Z]+$/.test(reason), reason },
  );
}
