import { printable } from '../core/printable.js';
import { withNote } from '../errors/create-doppler-error.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { DopplerError } from '../errors/doppler.errors.js';
import {
  describeHttpFailure,
  dopplerMessages,
  isDopplerErrorBody,
  type FailureContext,
  type HttpFailure,
} from './describe-failure.js';

/** The sentence every exchange failure ends with, so a generic message still says which call failed. */
export const EXCHANGE_NOTE = 'This was the OIDC token exchange (POST /v3/auth/oidc).';

/**
 * Turns an answer to `POST /v3/auth/oidc` that is not a token into the error a user can act on.
 * Doppler's own 400/401/403/404 (in its error envelope) are its verdict on the identity or the
 * platform's token, final and worded for them; anything else (a 429, a 5xx, a proxy's page) is
 * described as for the download, with a note naming the exchange.
 */
export function describeOidcExchangeFailure(
  failure: HttpFailure,
  ctx: FailureContext,
  identity: string,
): DopplerError {
  const { status } = failure;
  const said = dopplerMessages(failure.body, ctx.scrub);
  const who = `identity "${printable(identity, 80)}"`;
  if (isDopplerErrorBody(failure.body)) {
    if (status === 401) {
      return dopplerError(
        'DOPPLER_UNAUTHORIZED',
        `Doppler refused the platform's OIDC token for ${who} (401 Unauthorized): the token is expired or not yet valid, not signed by the issuer the identity trusts, ` +
          "or the identity does not exist. Check the identity id (oidc.identity), the identity's issuer in Doppler, and that the token is fresh " +
          '(a Kubernetes projected token file is rotated by the kubelet; a getToken should fetch a new one each time).' +
          said,
        { status },
      );
    }
    if (status === 403) {
      return dopplerError(
        'DOPPLER_FORBIDDEN',
        `Doppler refused the platform's OIDC token for ${who} (403 Forbidden): its audience or subject does not match the identity's rules. ` +
          "Compare the token's aud and sub claims (the projected volume's audience and the pod's service account; the audience asked of GitHub and the repository, branch or environment) " +
          "with the identity's rules in Doppler." +
          said,
        { status },
      );
    }
    if (status === 404) {
      return dopplerError(
        'DOPPLER_NOT_FOUND',
        `Doppler has no ${who} (404 Not Found). Check oidc.identity: it is the identity's id from the service account's Identities tab in Doppler.${said}`,
        { status },
      );
    }
    if (status === 400) {
      return dopplerError(
        'DOPPLER_BAD_REQUEST',
        `Doppler rejected the OIDC exchange for ${who} (400 Bad Request): the platform's token may not be a JWT, or the identity id is malformed.${said}`,
        { status },
      );
    }
  }
  return withNote(describeHttpFailure(failure, ctx), EXCHANGE_NOTE);
}
