import { isPlannedResponse } from './emulator-config-access.js';
import { JSON_CONTENT_TYPE, type PlannedResponse } from './emulator-errors.js';
import { readJsonStrings } from './emulator-json-body.js';
import type { EmulatorRoute, EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';

/** Path of Doppler's token revocation. */
export const REVOKE_PATH = '/v3/auth/revoke';

/**
 * `POST /v3/auth/revoke` with `{"token": "…"}`: the token (an issued `dp.said.` token, or a seeded
 * one) is refused from the next request on. Idempotent: revoking an unknown or revoked token also
 * answers 200, so a retried revocation cannot fail; a body without `token` is a 400. No
 * Authorization header is needed: the body is the credential (Doppler's CLI sends none).
 */
export const REVOKE_ROUTE: EmulatorRoute = {
  method: 'POST',
  path: REVOKE_PATH,
  acceptsFaults: false,
  answer: answerRevoke,
};

function answerRevoke(request: EmulatorRouteRequest, context: EmulatorRouteContext): PlannedResponse {
  const body = readJsonStrings(request.body, ['token']);
  if (isPlannedResponse(body)) return body;
  context.store.revokeToken(body.token, context.now);
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE },
    body: JSON.stringify({ success: true }),
  };
}
