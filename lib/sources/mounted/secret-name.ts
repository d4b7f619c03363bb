import { printableName } from '../../core/flat-string-map.js';

/** The name of the one key that holds the whole set when a DopplerSecret has a `format`. */
export const SECRETS_FILE_KEY = 'DOPPLER_SECRETS_FILE';

/**
 * A secret name, as Doppler's download names them (its name transformers included) and as a
 * Kubernetes Secret key can hold them: a letter or `_`, then letters, digits, `_`, `.`, `-`.
 */
export const SECRET_NAME_SHAPE = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

/** `"NAME"` when `name` has the shape of a secret name; otherwise a phrase that echoes nothing of it. */
export function quotedName(name: string): string {
  return printableName(name, SECRET_NAME_SHAPE);
}
