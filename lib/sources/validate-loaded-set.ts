import type { SignalSource } from '../core/clock.js';
import { scopeOfSet, type DopplerScope } from '../core/scope.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { ScopePin } from '../core/scope-pin.js';
import { within } from '../core/within.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import type { ValidatedSet } from '../refresh/secrets-state.js';
import { rawFormsOf } from '../core/raw-secrets.js';
import { declaredKeysOf } from '../validation/declared-keys.js';
import { validateSecrets, type SecretsSchema } from '../validation/validate-secrets.js';
import type { LoadedSet } from './secrets-source.js';

/**
 * The one way a loaded set becomes a servable one, from any source: its scope checked against
 * the pin, its values validated as a whole against the schema (within the deadline: a Standard
 * Schema may validate asynchronously), and its metadata.
 *
 * @throws {DopplerError} `DOPPLER_SCOPE_MISMATCH` for a set of another project or config.
 * @throws {SecretsValidationError} when the values do not match the schema.
 * @throws {DopplerUnavailableError} when an asynchronous schema outlasts `until.signal` (read only then).
 */
export async function validateLoadedSet(
  loaded: LoadedSet,
  schema: SecretsSchema | undefined,
  fromOptions: DopplerScope,
  pin: ScopePin,
  until: SignalSource,
): Promise<ValidatedSet> {
  const { scope, environment } = scopeOfSet(loaded.raw, fromOptions);
  pin.admit(scopeOfSet(loaded.raw).scope, loaded.origin === 'fallback' ? 'fallback copy' : 'download');
  const validated = validateSecrets(schema, loaded.raw, scope);
  // Only an asynchronous schema can outlast the deadline; a synchronous result stands as it is.
  const values =
    validated instanceof Promise
      ? await within(validated, until.signal, () =>
          dopplerError(
            'DOPPLER_TIMEOUT',
            'Validating the secrets against the schema did not finish before the deadline: an asynchronous refinement of the schema never settled.',
            { reason: 'VALIDATION_STALLED' },
          ),
        )
      : validated;
  const metadata: SecretsMetadata = {
    ...scope,
    ...(environment && { environment }),
    source: loaded.origin,
    fetchedAt: loaded.fetchedAt,
    ...(loaded.etag !== undefined && { etag: loaded.etag }),
    ...(loaded.fallback !== undefined && { fallback: loaded.fallback }),
  };
  const declared = declaredKeysOf(schema);
  return {
    values,
    metadata,
    raw: loaded.raw,
    rawForms: rawFormsOf(values, loaded.raw),
    ...(declared !== undefined && { declared }),
  };
}
