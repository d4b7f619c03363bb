import type { OidcCredential } from '../auth/oidc-token.js';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import { checkKnownKeys } from './check-known-keys.js';
import { checkInjectedPath } from './check-path.js';

const OIDC_KEYS = ['identity', 'tokenFile', 'getToken'] as const;
// Printable ASCII, as an id from Doppler's dashboard is; it travels in a JSON body and in messages.
const IDENTITY_SHAPE = /^[\x21-\x7e]{1,256}$/;

/** Whether the options ask for the OIDC exchange (`null`, like an absent key, does not). */
export function hasOidc(options: DopplerModuleOptions): boolean {
  return options.oidc !== undefined && options.oidc !== null;
}

/**
 * Refuses `oidc` beside another way to authenticate or another source, before anything is read:
 * the stored token would disagree with the exchanged one, and a volume or an environment would
 * leave the exchange unused.
 *
 * @throws {DopplerConfigurationError} naming both options.
 */
export function checkOidcConflicts(options: DopplerModuleOptions): void {
  if (!hasOidc(options)) return;
  if (options.token !== undefined || options.tokenFile !== undefined) {
    throw new DopplerConfigurationError(
      `Give either the oidc option or ${options.token !== undefined ? 'token' : 'tokenFile'}, not both: with oidc no Doppler token is stored, ` +
        "one is exchanged for the platform's OIDC token at start-up and when it nears its end.",
    );
  }
  const mounted = options.mounted !== undefined && options.mounted !== null;
  if (mounted || options.source === 'env' || options.source === 'mounted') {
    throw new DopplerConfigurationError(
      `The oidc option authenticates to Doppler's API, but ${mounted ? 'the mounted option reads the secrets from a volume' : `the source option says '${String(options.source)}'`}, ` +
        "so the exchange would never be used. Use source 'api' (or 'auto') without mounted, or drop oidc.",
    );
  }
  if (options.fallback !== undefined && options.fallback !== null) {
    throw new DopplerConfigurationError(
      "The fallback option does not work with oidc yet: the copy's default key and its token binding derive from the Doppler token, which changes at every exchange, " +
        'and the exchange runs before the copy could be read during an outage. Drop fallback, or use a service token.',
    );
  }
}

/**
 * Checks the `oidc` option: the identity, exactly one of `tokenFile` and `getToken`, and the
 * project and config a `dp.said.` token needs. The platform's token is not read here.
 *
 * @throws {DopplerConfigurationError} naming what is wrong.
 */
export function checkOidc(
  raw: unknown,
  scope: { readonly project?: string; readonly config?: string },
): OidcCredential {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DopplerConfigurationError(
      "The oidc option must be an object such as { identity: '<identity id>', tokenFile: '/var/run/secrets/doppler/token' }.",
    );
  }
  const oidc = raw as Record<string, unknown>;
  checkKnownKeys(oidc, OIDC_KEYS, 'oidc');
  const { identity, tokenFile, getToken } = oidc;
  if (typeof identity !== 'string' || !IDENTITY_SHAPE.test(identity)) {
    throw new DopplerConfigurationError(
      typeof identity === 'string' && identity.trim() !== ''
        ? 'The oidc.identity option holds spaces or characters no identity id has (or is over 256 characters); check how it is injected.'
        : "The oidc.identity option must be the identity's id, from the Identities tab of the Doppler service account it belongs to.",
    );
  }
  if (tokenFile !== undefined && getToken !== undefined) {
    throw new DopplerConfigurationError(
      'Give either oidc.tokenFile or oidc.getToken, not both: each is where the platform’s OIDC token comes from.',
    );
  }
  if (tokenFile === undefined && getToken === undefined) {
    throw new DopplerConfigurationError(
      "The oidc option needs where the platform's OIDC token comes from: oidc.tokenFile (e.g. a Kubernetes projected service-account token) " +
        'or oidc.getToken (a function: GitHub Actions, or anything else).',
    );
  }
  if (tokenFile !== undefined) {
    if (typeof tokenFile !== 'string' || tokenFile.trim() === '') {
      throw new DopplerConfigurationError(
        'The oidc.tokenFile option must be the path of the file holding the platform’s OIDC token.',
      );
    }
    checkInjectedPath(tokenFile, 'oidc.tokenFile');
  }
  if (getToken !== undefined && typeof getToken !== 'function') {
    throw new DopplerConfigurationError(
      'The oidc.getToken option must be a function returning the platform’s OIDC token (a string, or a promise of one).',
    );
  }
  if (scope.project === undefined || scope.config === undefined) {
    const missing = [scope.project === undefined && 'project', scope.config === undefined && 'config']
      .filter(Boolean)
      .join(' and ');
    throw new DopplerConfigurationError(
      `The dp.said. token an OIDC exchange issues is not bound to one config, so the oidc option needs explicit project and config options; ${missing} ${missing.includes(' and ') ? 'are' : 'is'} missing.`,
    );
  }
  return {
    identity,
    jwt:
      typeof tokenFile === 'string'
        ? { kind: 'file', path: tokenFile }
        : { kind: 'function', get: getToken as () => string | Promise<string> },
  };
}
