import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The media types whose raw body Nest keeps with `rawBody: true`, on Express and Fastify
 * alike: the ones its default body parsers read. Doppler sends `application/json`.
 */
const KEPT_RAW = new Set(['application/json', 'application/x-www-form-urlencoded']);

/** A media type as RFC 9110 writes one; anything else is not echoed into a message or a log. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/;

const ENABLE_RAW_BODY =
  'NestFactory.create(AppModule, { rawBody: true }) on Express, NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true }) on Fastify';

/**
 * What the webhook controller answers to a request that reached it without a raw body, which
 * the signature is computed over.
 *
 * - A media type Nest keeps raw (`application/json`): the app was created without `rawBody`,
 *   a deployment mistake that fails every Doppler delivery, hence 500 and how to fix it.
 * - Any other media type (or none): Nest parsed it without keeping the bytes, or not at all
 *   (Express leaves an unknown type unread; Fastify answers 415 itself before the controller),
 *   hence 415, as Fastify does, and how to register a raw parser for it.
 */
export function missingRawBody(contentType: string | undefined): HttpException {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && KEPT_RAW.has(mediaType)) {
    return new HttpException(
      `The Doppler webhook needs the raw request body: create the app with the rawBody option, ${ENABLE_RAW_BODY}.`,
      HttpStatus.INTERNAL_SERVER_ERROR,
    );
  }
  const given =
    mediaType === undefined || mediaType === ''
      ? 'no content type'
      : MEDIA_TYPE.test(mediaType)
        ? `content type ${mediaType}`
        : 'a content type that is not a media type';
  return new HttpException(
    `The Doppler webhook needs the raw request body, which Nest keeps (with rawBody: true) for application/json, the type Doppler sends; this request has ${given}. To accept another type, register a parser that keeps it raw: app.useBodyParser('raw', { type }) on Express, app.useBodyParser(type) on Fastify.`,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  );
}
