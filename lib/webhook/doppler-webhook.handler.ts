import { Injectable, Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from '../doppler.constants.js';
import { refresherOf } from '../refresh/refresher-registry.js';
import type { RefreshResult } from '../secrets-loader.js';
import { SecretsService } from '../secrets.service.js';
import { verifyDopplerSignature } from './verify-signature.js';

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
 * Verifies Doppler webhooks and turns a burst of them into one refresh. Use it from your
 * own controller, or mount `createDopplerWebhookController()`.
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
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private pending: Promise<RefreshResult> | undefined;

  constructor(private readonly secrets: SecretsService) {}

  /**
   * Checks the signature over the raw body and schedules one refresh for every delivery
   * that arrives within `webhook.coalesceMs`. Never throws.
   */
  handle(rawBody: Buffer | undefined, signature: string | undefined): WebhookVerdict {
    const refresher = refresherOf(this.secrets);
    const options = refresher?.webhook;
    if (!refresher || !options) return { status: 'disabled' };
    if (!rawBody || !verifyDopplerSignature(rawBody, signature, options.secret)) {
      this.logger.warn('Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.');
      return { status: 'unauthorized' };
    }
    if (!isSecretsUpdate(rawBody)) return { status: 'ignored' };
    this.pending ??= new Promise<void>((resolve) => setTimeout(resolve, options.coalesceMs).unref()).then(
      () => {
        this.pending = undefined;
        return refresher.refreshNow();
      },
    );
    return { status: 'accepted', refresh: this.pending };
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
