import { describeScope } from '../core/scope.js';
import { printableName } from '../core/flat-string-map.js';
import { DopplerError } from './doppler.errors.js';

/** `get()` of a key the schema does not declare. */
export function secretNotDeclared(key: string): DopplerError {
  return new DopplerError(
    'DOPPLER_SECRET_NOT_DECLARED',
    `Secret ${printableName(key)} is not declared by the schema; add it to the schema class (with at least one class-validator decorator) to read it.`,
  );
}

/**
 * `get()` of a key the schema declares as optional, which the current set does not hold: Doppler
 * did not send it.
 */
export function secretNotSent(
  key: string,
  scope: { readonly project?: string; readonly config?: string },
): DopplerError {
  return new DopplerError(
    'DOPPLER_SECRET_NOT_SENT',
    `Secret ${printableName(key)} is declared by the schema as optional, and the current set (${describeScope(scope, 'this config')}) does not hold it: Doppler did not send it. ` +
      'Check secrets.has() before get(), give it a default in the schema, or define it in that Doppler config.',
  );
}
