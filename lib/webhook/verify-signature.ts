import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_SHAPE = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks Doppler's `X-Doppler-Signature: sha256=<hex>` header: the HMAC-SHA256 of the raw
 * request body under the webhook's secret, compared in constant time.
 *
 * @example
 * verifyDopplerSignature(req.rawBody, req.headers['x-doppler-signature'], secret);
 */
export function verifyDopplerSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  const match = header === undefined ? null : SIGNATURE_SHAPE.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs a body the way Doppler does; for tests and for tools that replay webhooks. */
export function signDopplerWebhook(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
