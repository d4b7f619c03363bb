import { isPlannedResponse } from './emulator-config-access.js';
import { dopplerError, JSON_CONTENT_TYPE, type PlannedResponse } from './emulator-errors.js';
import { readJsonStrings } from './emulator-json-body.js';
import { checkJwt } from './emulator-jwt.js';
import type { EmulatorRoute, EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';

/** Path of Doppler's OIDC exchange (service account identities). */
export const OIDC_PATH = '/v3/auth/oidc';

/**
 * `POST /v3/auth/oidc` with `{"identity": "<id>", "token": "<JWT>"}`: checks the JWT against the
 * identity's rules (see `EmulatorIdentitySeed`) on the emulator's clock and answers
 * `{"success": true, "token": "dp.said.…", "expires_at": "<RFC 3339>"}`; the token reads the
 * identity's config until it expires or is revoked. No Authorization header is needed (Doppler's
 * CLI sends none). Where Doppler's document names no status, the emulator answers 400 for a body
 * without `identity` or `token`, 404 for an unknown identity, 401 for a JWT it cannot trust
 * (malformed, expired, early, unsigned or badly signed) and 403 for a trusted JWT of another
 * audience or subject, each in Doppler's error envelope. Injected faults do not apply here.
 */
export const OIDC_ROUTE: EmulatorRoute = {
  method: 'POST',
  path: OIDC_PATH,
  acceptsFaults: false,
  answer: answerOidc,
};

function answerOidc(request: EmulatorRouteRequest, context: EmulatorRouteContext): PlannedResponse {
  const body = readJsonStrings(request.body, ['identity', 'token']);
  if (isPlannedResponse(body)) return body;
  const identity = context.store.findIdentity(body.identity);
  if (identity === undefined) {
    return dopplerError(404, 'Could not find requested identity');
  }
  const verdict = checkJwt(
    body.token,
    {
      audience: identity.seed.audience,
      subject: identity.seed.subject,
      ...(identity.publicKey !== undefined && { publicKey: identity.publicKey }),
    },
    context.now,
  );
  if (!verdict.ok) return dopplerError(verdict.status, verdict.message);
  const issued = context.store.issueToken(identity, context.now);
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE },
    body: JSON.stringify({
      success: true,
      token: issued.token,
      expires_at: issued.expiresAt.toISOString(),
      // Doppler's CLI reads this field of the answer too.
      dashboard_url: 'https://dashboard.doppler.com',
    }),
  };
}
