import { describeScope } from '../core/scope.js';
import type { DopplerError } from '../errors/doppler.errors.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { Route } from './proxy-route.js';
import { printable } from './server-text.js';
import { tokenPrefixOf, type DopplerTokenKind } from '../auth/token-kind.js';

/** What a failure message may mention: names and numbers, never the token. */
export interface FailureContext {
  /** The apiUrl's host (and port): who answered, as far as this app can tell. */
  readonly host: string;
  readonly project?: string;
  readonly config?: string;
  readonly tokenKind: DopplerTokenKind;
  /** How requests reach the host, so a proxy's doing is not blamed on Doppler. */
  readonly route: Route;
  /** Scrubs the token (and anything else secret) out of text the server sent. */
  readonly scrub: (text: string) => string;
}

/** An HTTP answer that is not a secrets download. */
export interface HttpFailure {
  readonly status: number;
  readonly body: string;
  readonly retryAfter?: string | undefined;
}

function scopeOf(ctx: FailureContext): string {
  return describeScope(
    ctx,
    ctx.tokenKind === 'service' ? "the service token's project and config" : 'the requested config',
  );
}

/**
 * Whether a body is Doppler's own error envelope, `{"messages": [...], "success": false}`.
 * Only such an answer is taken as Doppler's word: a gateway's or proxy's 401/403/404 page
 * says nothing about the token or the config.
 */
export function isDopplerErrorBody(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const { messages, success } = parsed as { messages?: unknown; success?: unknown };
  return success === false && Array.isArray(messages) && messages.every((m) => typeof m === 'string');
}

/**
 * Doppler's own explanation from a `{"messages": [...]}` body, scrubbed, stripped of
 * control characters and shortened, or nothing when the body is not that shape (an HTML
 * page from a proxy, say).
 */
export function dopplerMessages(body: string, scrub: (text: string) => string): string {
  if (!isDopplerErrorBody(body)) return '';
  const messages = (JSON.parse(body) as { messages: string[] }).messages;
  const said = messages
    .slice(0, 3)
    .map((m) => printable(scrub(m)))
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

/** " (through the proxy at ..., which may have answered itself)" for a forward proxy, else "". */
function forwardProxyNote(ctx: FailureContext): string {
  return ctx.route.kind === 'forward'
    ? ` (through the proxy at ${ctx.route.proxy.address} from ${ctx.route.proxy.variable}, which may have answered itself)`
    : '';
}

/**
 * Turns an HTTP answer into the error a user can act on. 400/401/403/404 are Doppler's
 * verdict (final: no retry, and bootstrap drops the fallback copy on 401/403/404) only
 * when the body is Doppler's error envelope; the same status from something else in the
 * path is an unexpected status that names the host, not the token.
 */
export function describeHttpFailure(failure: HttpFailure, ctx: FailureContext): DopplerError {
  const { status } = failure;
  const fromDoppler = isDopplerErrorBody(failure.body);
  const said = dopplerMessages(failure.body, ctx.scrub);
  const scope = scopeOf(ctx);
  const kind = tokenPrefixOf(ctx.tokenKind);
  const via = forwardProxyNote(ctx);

  if (status === 407 && ctx.route.kind === 'forward') {
    const { proxy } = ctx.route;
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `Could not reach Doppler at ${ctx.host}: the proxy at ${proxy.address} asked for authentication (407 Proxy Authentication Required); ` +
        `check the credentials in ${proxy.variable}.`,
      { reason: 'PROXY_AUTH_REQUIRED' },
    );
  }
  if ([400, 401, 403, 404].includes(status) && !fromDoppler) {
    return dopplerError(
      'DOPPLER_UNEXPECTED_STATUS',
      `${ctx.host} answered ${status} with a body that is not Doppler's (an HTML page?): check apiUrl, a gateway or proxy in between${via}. ` +
        "This is not taken as Doppler's verdict on the token or the config.",
      { status },
    );
  }
  if (status === 401) {
    return dopplerError(
      'DOPPLER_UNAUTHORIZED',
      `Doppler rejected the token (401 Unauthorized): it is wrong, revoked, or belongs to another workplace (token kind: ${kind}). ` +
        `Check that DOPPLER_TOKEN holds a current token for ${scope}, or create a new service token.${said}`,
      { status },
    );
  }
  if (status === 403) {
    return dopplerError(
      'DOPPLER_FORBIDDEN',
      `Doppler refused access to ${scope} (403 Forbidden): the token is scoped to a different project or config, or lacks read access. ` +
        `Use a token created for this project and config, or fix the project/config options.${said}`,
      { status },
    );
  }
  if (status === 404) {
    return dopplerError(
      'DOPPLER_NOT_FOUND',
      `Doppler could not find ${scope} (404 Not Found). Check the project and config names; the secret may be defined in another config.${said}`,
      { status },
    );
  }
  if (status === 400) {
    return dopplerError(
      'DOPPLER_BAD_REQUEST',
      `Doppler rejected the request for ${scope} (400 Bad Request). Check the project and config options.${said}`,
      { status },
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(failure.retryAfter);
    const wait = retryAfterMs === undefined ? '' : ` It asked to wait ${Math.ceil(retryAfterMs / 1000)} s.`;
    const who = fromDoppler
      ? 'Doppler rate-limited the request (429 Too Many Requests).'
      : `${ctx.host} rate-limited the request (429 Too Many Requests) with an answer that is not Doppler's: a gateway or proxy in between${via} may be the one limiting.`;
    return dopplerError(
      'DOPPLER_RATE_LIMITED',
      `${who}${wait} Too many replicas may be fetching at once with the same token; spread start-ups or enable the fallback.${said}`,
      { status, retryable: true, ...(retryAfterMs !== undefined && { retryAfterMs }) },
    );
  }
  if (status >= 500) {
    const who = fromDoppler
      ? `Doppler answered ${status}: the service is having trouble.`
      : `${ctx.host} answered ${status} with a body that is not Doppler's: a gateway or proxy in between${via} is failing, or Doppler behind it.`;
    return dopplerError(
      'DOPPLER_SERVER_ERROR',
      `${who} Try again later, check https://status.doppler.com, or enable the fallback.${said}`,
      { status, retryable: true },
    );
  }
  if (status >= 300 && status < 400) {
    return dopplerError(
      'DOPPLER_REDIRECT',
      `${ctx.host} answered with a redirect (${status})${via}, which Doppler never sends for this endpoint; the redirect was not followed, so the token went nowhere else. ` +
        'Check the apiUrl option and any gateway or proxy in between.',
      { status },
    );
  }
  return dopplerError(
    'DOPPLER_UNEXPECTED_STATUS',
    `${ctx.host} answered with an unexpected status ${status} for ${scope}${via}. Check the apiUrl option and any gateway or proxy in between.${said}`,
    { status },
  );
}
