import {
  Controller,
  Headers,
  HttpCode,
  Inject,
  InternalServerErrorException,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
  type Type,
} from '@nestjs/common';
import { webhookHandlerToken } from '../doppler-instances.js';
import { DopplerWebhookHandler } from './doppler-webhook.handler.js';

/** The part of a request the webhook needs: Nest's raw body (`rawBody: true`). */
interface RawBodyCarrier {
  readonly rawBody?: Buffer;
}

/**
 * A controller that accepts Doppler's webhook POST at `path`, verifies its signature and
 * triggers one refresh per burst. Answers 202 at once (Doppler does not wait for the
 * refresh), 401 for a missing or wrong signature, 404 when the module has no `webhook`
 * option. Needs the raw body: `NestFactory.create(AppModule, { rawBody: true })`.
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
    constructor(@Inject(handlerToken) private readonly handler: DopplerWebhookHandler) {}

    @Post(path)
    @HttpCode(202)
    receive(
      @Req() request: RawBodyCarrier,
      @Headers('x-doppler-signature') signature?: string,
    ): { accepted: boolean } {
      if (request.rawBody === undefined) {
        throw new InternalServerErrorException(
          'The Doppler webhook needs the raw request body: create the app with NestFactory.create(AppModule, { rawBody: true }).',
        );
      }
      const verdict = this.handler.handle(request.rawBody, signature);
      if (verdict.status === 'disabled') throw new NotFoundException();
      if (verdict.status === 'unauthorized')
        throw new UnauthorizedException('Invalid Doppler webhook signature.');
      return { accepted: verdict.status === 'accepted' };
    }
  }
  return DopplerWebhookController;
}
