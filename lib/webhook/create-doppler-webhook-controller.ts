import {
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
  type Type,
} from '@nestjs/common';
import { LOGGER_CONTEXT } from '../doppler.constants.js';
import { webhookHandlerToken } from '../doppler-instances.js';
import { DopplerWebhookHandler } from './doppler-webhook.handler.js';
import { missingRawBody } from './missing-raw-body.js';

/**
 * The part of a request the webhook needs: Nest's raw body (`rawBody: true`), which Nest sets
 * on Express's `Request` and on Fastify's `FastifyRequest` alike, so the controller names
 * neither platform and depends on neither.
 */
interface RawBodyCarrier {
  readonly rawBody?: Buffer;
}

/**
 * A controller that accepts Doppler's webhook POST at `path`, verifies its signature and
 * triggers one refresh per burst, on `@nestjs/platform-express` and `@nestjs/platform-fastify`
 * alike. Answers 202 at once (Doppler does not wait for the refresh), 401 for a missing or
 * wrong signature, 404 when the module has no `webhook` option. Needs the raw body, which Nest
 * keeps for `application/json` with `rawBody: true`: `NestFactory.create(AppModule, { rawBody: true })`,
 * or `NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })`. Without it every
 * delivery gets a 500 naming the fix (and one error is logged); a content type whose raw body is
 * not kept gets a 415.
 *
 * For a named registration, pass its name: `createDopplerWebhookController('hooks/platform', { instance: 'platform' })`.
 *
 * @example
 * @Module({
 *   imports: [DopplerModule.forRootAsync({ ... })],  // with webhook: { secret }
 *   controllers: [createDopplerWebhookController('webhooks/doppler')],
 * })
 * export class AppModule {}
 */
export function createDopplerWebhookController(
  path = 'webhooks/doppler',
  options: { readonly instance?: string } = {},
): Type<unknown> {
  const handlerToken = webhookHandlerToken(options.instance, DopplerWebhookHandler) as string;
  @Controller()
  class DopplerWebhookController {
    private readonly logger = new Logger(LOGGER_CONTEXT);
    // Nest does not log an HttpException, and a missing raw body fails every delivery: say it
    // once per kind, so the operator sees it without a line per request.
    readonly #logged = new Set<number>();

    constructor(@Inject(handlerToken) private readonly handler: DopplerWebhookHandler) {}

    @Post(path)
    @HttpCode(202)
    receive(
      @Req() request: RawBodyCarrier,
      @Headers('x-doppler-signature') signature?: string,
      @Headers('content-type') contentType?: string,
    ): { accepted: boolean } {
      if (request.rawBody === undefined) throw this.logged(missingRawBody(contentType));
      const verdict = this.handler.handle(request.rawBody, signature);
      if (verdict.status === 'disabled') throw new NotFoundException();
      if (verdict.status === 'unauthorized')
        throw new UnauthorizedException('Invalid Doppler webhook signature.');
      return { accepted: verdict.status === 'accepted' };
    }

    private logged<E extends { getStatus(): number; message: string }>(error: E): E {
      const status = error.getStatus();
      if (!this.#logged.has(status)) {
        this.#logged.add(status);
        if (status >= 500) this.logger.error(error.message);
        else this.logger.warn(`Answered ${status} to a webhook delivery: ${error.message}`);
      }
      return error;
    }
  }
  return DopplerWebhookController;
}
