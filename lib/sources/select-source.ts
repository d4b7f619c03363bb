import { DopplerConfigurationError } from '../client/doppler.errors.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';

/** The two places secrets can come from. */
export type ResolvedSource = 'api' | 'env';

/**
 * Decides where the secrets come from. `auto` prefers the API when a token is configured,
 * then a `doppler run` environment (recognised by Doppler's own markers), and otherwise
 * refuses with both ways to run, rather than starting with no secrets.
 *
 * @throws {DopplerConfigurationError} for an unknown source, or `auto` with neither.
 */
export function selectSource(
  options: DopplerModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSource {
  const source = options?.source ?? 'auto';
  if (source === 'api' || source === 'env') return source;
  if (source !== 'auto') {
    throw new DopplerConfigurationError("The source option must be 'api', 'env' or 'auto'.");
  }
  const hasToken =
    (typeof options?.token === 'string' && options.token.trim() !== '') || options?.tokenFile !== undefined;
  if (hasToken) return 'api';
  if (env['DOPPLER_PROJECT'] && env['DOPPLER_CONFIG']) return 'env';
  throw new DopplerConfigurationError(
    'No Doppler token and no `doppler run` environment. Either inject a service token (e.g. DOPPLER_TOKEN, passed as the token option, ' +
      'or a mounted file as tokenFile) so the secrets are fetched from the API, or start the app under `doppler run -- node dist/main.js` ' +
      'so they are in the environment.',
  );
}
