import { Injectable, Logger } from '@nestjs/common';
import { systemClock } from '../core/clock.js';
import { LOGGER_CONTEXT } from '../doppler.constants.js';
import type { RefreshResult } from '../refresh/refresh-result.js';
import type { RefresherRef } from '../refresh/refresher-ref.js';
import { verifyDopplerSignature } from './verify-signature.js';

/** At most one warning about refused deliveries per this many milliseconds. */
const REFUSAL_WARNING_INTERVAL_MS = 60_000;

/** What the handler made of one webhook delivery. */
export type WebhookVerdict =
  /** Signed correctly; a refresh is scheduled (or shared with one already scheduled). */
  | { readonly status: 'accepted'; readonly refresh: Promise<RefreshResult> }
  /** Signed correctly, but not a secrets change: nothing to do. */
  | { readonly status: 'ignored' }
  /** Missing or wrong signature. */
  | { readonly status: 'unauthorized' }
  /** The module has no `webhook` option (or the service is a test double). */
  | { readonly status: 'disabled' };

/**
 * Verifies Doppler webhooks and turns them into refreshes: deliveries that arrive before their
 * refresh has started share it, and webhook refreshes are at least `webhook.minInterval` apart
 * (a delivery inside that window is kept for its end), so replays of a captured delivery cost at
 * most one request per window. Refused deliveries are logged at most once a minute, with a count.
 * Use it from your own controller, or mount `createDopplerWebhookController()`.
 *
 * @example
 * @Post('hooks/doppler')
 * receive(@Req() req: RawBodyRequest<Request>, @Headers('x-doppler-signature') signature?: string) {
 *   const verdict = this.webhooks.handle(req.rawBody, signature);
 *   if (verdict.status === 'unauthorized') throw new UnauthorizedException();
 * }
 */
@Injectable()
export class DopplerWebhookHandler {
  #refusedSinceWarning = 0;
  #lastWarningAt = Number.NEGATIVE_INFINITY;
  #logger: Pick<Logger, 'warn'> | undefined;

  /**
   * @internal Built by the registration's provider (`DopplerModule`), on its {@link RefresherRef}.
   * The once-a-minute warning runs on the pipeline's clock and logger, which the registration's
   * factory leaves on `ref` (a test's fake time): asking Nest for an optional provider that is
   * absent costs every boot a thrown and caught exception.
   */
  constructor(private readonly ref: RefresherRef) {}

  /** Checks the signature over the raw body and schedules a refresh. Never throws. */
  handle(rawBody: Buffer | undefined, signature: string | undefined): WebhookVerdict {
    const refresher = this.ref.refresher;
    const options = refresher?.webhook;
    if (!refresher || !options) return { status: 'disabled' };
    if (!rawBody || !verifyDopplerSignature(rawBody, signature, options.secret)) {
      this.warnRefused();
      return { status: 'unauthorized' };
    }
    if (!isSecretsUpdate(rawBody)) return { status: 'ignored' };
    return { status: 'accepted', refresh: refresher.onWebhook() };
  }

  private warnRefused(): void {
    this.#refusedSinceWarning++;
    const now = (this.ref.deps?.clock ?? systemClock).now();
    if (now - this.#lastWarningAt < REFUSAL_WARNING_INTERVAL_MS) return;
    const count = this.#refusedSinceWarning;
    this.#refusedSinceWarning = 0;
    this.#lastWarningAt = now;
    this.#logger ??= this.ref.deps?.logger ?? new Logger(LOGGER_CONTEXT);
    this.#logger.warn(
      count === 1
        ? 'Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.'
        : `Refused ${count} Doppler webhooks with a missing or wrong X-Doppler-Signature in the last minute.`,
    );
  }
}

/** Doppler's payload names the event; only a secrets change calls for a refresh. */
function isSecretsUpdate(rawBody: Buffer): boolean {
  try {
    const payload = JSON.parse(rawBody.toString('utf8')) as { type?: unknown } | null;
    // An event without a type is treated as a change: refreshing is harmless, missing one is not.
    return typeof payload?.type !== 'string' || payload.type === 'config.secrets.update';
  } catch {
    return true;
  }
}
